/*
 * check_onnx.c -- the ONNX export's C side (issue 20): the protobuf
 * encoder's bytes against the wire format written out by hand, the export
 * calls' errors and atomic writes, determinism, every layer kind either
 * exportable or one of the discriminator-only kinds, and allocation
 * failures.  bindings/python/tests/test_onnx.py checks the graphs against
 * python3-onnx (same bytes as onnx.helper, onnx.checker) and onnxruntime.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/nn.h"
#include "test_util.h"

static void expect_bytes(const gan__wbuf *b, const unsigned char *want, size_t n)
{
    ck_assert_int_eq(b->failed, 0);
    ck_assert_uint_eq(b->len, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(b->p[i] == want[i], "byte %zu: 0x%02x, expected 0x%02x", i, b->p[i], want[i]);
}

START_TEST(test_varints)
{
    static const struct {
        uint64_t v;
        unsigned char b[10];
        size_t n;
    } cases[] = {{0, {0x00}, 1},
                 {1, {0x01}, 1},
                 {127, {0x7f}, 1},
                 {128, {0x80, 0x01}, 2},
                 {300, {0xac, 0x02}, 2},
                 {16384, {0x80, 0x80, 0x01}, 3},
                 {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gan__wbuf b = {0};
        gan__pb_varint(&b, cases[i].v);
        expect_bytes(&b, cases[i].b, cases[i].n);
        gan__wb_free(&b);
    }
}
END_TEST

START_TEST(test_fields)
{
    /* AttributeProto {name: "alpha", f: 0.25, type: FLOAT} as protobuf
       writes it: 0a 05 'alpha', 15 (field 2, fixed32) 00 00 80 3e,
       a0 01 (field 20, varint) 01. */
    static const unsigned char attr[] = {0x0a, 0x05, 'a', 'l', 'p', 'h', 'a', 0x15, 0x00, 0x00,
                                         0x80, 0x3e, 0xa0, 0x01, 0x01};
    /* field 1 int64 -1: ten bytes; field 3 an embedded empty message;
       field 8 "": 42 00. */
    static const unsigned char misc[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0x01, 0x1a, 0x00, 0x42, 0x00};
    gan__wbuf b = {0}, empty = {0};
    gan__pb_str(&b, 1, "alpha");
    gan__pb_float(&b, 2, 0.25f);
    gan__pb_int(&b, 20, 1);
    expect_bytes(&b, attr, sizeof attr);
    b.len = 0;
    gan__pb_int(&b, 1, -1);
    gan__pb_msg(&b, 3, &empty);
    gan__pb_str(&b, 8, "");
    expect_bytes(&b, misc, sizeof misc);
    /* A failed sub-message fails its parent. */
    empty.failed = 1;
    gan__pb_msg(&b, 3, &empty);
    ck_assert_int_eq(b.failed, 1);
    gan__wb_free(&b);
}
END_TEST

/* The kinds that stay without an ONNX form: the discriminator-only ones.
   A new generator kind must bring its onnx op (docs/layers.md). */
START_TEST(test_every_kind_or_listed)
{
    static const char *const none[] = {"minibatch_stddev", "minibatch_discrimination",
                                       "class_projection", "class_projection_aux"};
    int listed = 0;
    for (int k = 1; k < gan_layer_kind_count(); k++) {
        const gan__layer_ops *ops = gan__layer_ops_for((gan_layer_kind)k);
        int in_list = 0;
        if (!ops)
            continue;
        for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
            in_list |= strcmp(ops->name, none[i]) == 0;
        ck_assert_msg((ops->onnx == NULL) == in_list, "%s: onnx op %s", ops->name,
                      ops->onnx ? "present but listed as unsupported" : "missing");
        listed += in_list;
    }
    ck_assert_int_eq(listed, (int)(sizeof none / sizeof none[0]));
}
END_TEST

static void export_mem(const gan_model *m, void **buf, size_t *len)
{
    gan_status st = gan_model_export_onnx_mem(m, buf, len);
    ck_assert_msg(st == GAN_OK, "%s", gan_last_error());
    ck_assert_uint_gt(*len, 100);
}

START_TEST(test_deterministic_and_file)
{
    gan_model *a = tu_preset(GAN_PRESET_CGAN_GENERATOR), *b = NULL;
    void *x, *y, *z;
    size_t nx, ny, nz;
    char dir[] = "/tmp/check_onnx_XXXXXX", path[128];
    FILE *f;
    tu_randomize_params(a, 5, 0.3f);
    tu_randomize_bn_state(a, 6);
    export_mem(a, &x, &nx);
    export_mem(a, &y, &ny);
    ck_assert_uint_eq(nx, ny);
    ck_assert(memcmp(x, y, nx) == 0);
    /* a model saved and loaded exports the same bytes */
    ck_assert_int_eq(gan_model_save_mem(a, &z, &nz), GAN_OK);
    ck_assert_int_eq(gan_model_load_mem(&b, z, nz), GAN_OK);
    gan_free(z);
    export_mem(b, &z, &nz);
    ck_assert(nz == nx && memcmp(x, z, nx) == 0);
    gan_free(z);
    /* the file is the buffer, written atomically (no temporary left) */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/g.onnx", dir);
    ck_assert_int_eq(gan_model_export_onnx(a, path), GAN_OK);
    f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    z = tu_malloc(nx + 1);
    ck_assert_uint_eq(fread(z, 1, nx + 1, f), nx);
    fclose(f);
    ck_assert(memcmp(x, z, nx) == 0);
    free(z);
    /* a failed export leaves the old file */
    {
        gan_model *d = tu_preset(GAN_PRESET_CGAN_DISCRIMINATOR);
        struct stat s0, s1;
        ck_assert_int_eq(stat(path, &s0), 0);
        ck_assert_int_eq(gan_model_export_onnx(d, path), GAN_EUNSUPPORTED);
        ck_assert_int_eq(stat(path, &s1), 0);
        ck_assert(s0.st_size == s1.st_size && s0.st_ino == s1.st_ino);
        gan_model_free(d);
    }
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    gan_free(x);
    gan_free(y);
    gan_model_free(a);
    gan_model_free(b);
}
END_TEST

START_TEST(test_errors)
{
    gan_model *m = tu_preset(GAN_PRESET_MNIST_GENERATOR), *e = tu_model(1, 4, 0, 0);
    gan_model *d = tu_preset(GAN_PRESET_CGAN_DISCRIMINATOR);
    void *buf = (void *)1;
    size_t len = 7;
    ck_assert_int_eq(gan_model_export_onnx_mem(NULL, &buf, &len), GAN_EINVAL);
    ck_assert_int_eq(gan_model_export_onnx_mem(m, NULL, &len), GAN_EINVAL);
    ck_assert_int_eq(gan_model_export_onnx_mem(m, &buf, NULL), GAN_EINVAL);
    ck_assert_int_eq(gan_model_export_onnx(m, NULL), GAN_EINVAL);
    ck_assert_int_eq(gan_model_export_onnx(NULL, "/tmp/x.onnx"), GAN_EINVAL);
    ck_assert_int_eq(gan_model_export_onnx_mem(e, &buf, &len), GAN_ESTATE);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "no layers"));
    ck_assert_int_eq(gan_model_export_onnx_mem(d, &buf, &len), GAN_EUNSUPPORTED);
    ck_assert_ptr_null(buf);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "layer 7 (minibatch_discrimination)"));
    ck_assert_int_eq(gan_model_export_onnx(m, "/nonexistent-dir/g.onnx"), GAN_EIO);
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "/nonexistent-dir/g.onnx"));
    gan_model_free(m);
    gan_model_free(e);
    gan_model_free(d);
}
END_TEST

START_TEST(test_oom)
{
    /* Fail the k-th allocation of an export for every k: GAN_ENOMEM, no
       buffer, nothing leaked; the style generator covers the most ops. */
    tu_oom o;
    gan_model *m;
    int done = 0;
    tu_oom_install(&o);
    m = tu_preset(GAN_PRESET_STYLE_GENERATOR);
    for (long k = 0; !done && k < 2000; k++) {
        void *buf = NULL;
        size_t len = 0;
        long live0 = o.live;
        gan_status st;
        tu_oom_fail_after(&o, k, 0);
        st = gan_model_export_onnx_mem(m, &buf, &len);
        ck_assert_msg(st == GAN_OK || st == GAN_ENOMEM, "k=%ld: %s", k, gan_last_error());
        if (st == GAN_OK) {
            ck_assert_msg(o.failures == 0, "k=%ld: succeeded although an allocation failed", k);
            done = 1;
        } else {
            ck_assert_ptr_null(buf);
        }
        gan_free(buf);
        ck_assert_msg(o.live == live0, "k=%ld: %ld blocks leaked", k, o.live - live0);
    }
    ck_assert(done);
    tu_oom_never(&o);
    gan_model_free(m);
    tu_oom_uninstall();
}
END_TEST

static Suite *onnx_suite(void)
{
    Suite *s = suite_create("onnx");
    TCase *t = tcase_create("protobuf");
    tcase_add_test(t, test_varints);
    tcase_add_test(t, test_fields);
    suite_add_tcase(s, t);
    t = tcase_create("export");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_every_kind_or_listed);
    tcase_add_test(t, test_deterministic_and_file);
    tcase_add_test(t, test_errors);
    tcase_add_test(t, test_oom);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(onnx_suite());
}
