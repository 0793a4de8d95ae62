/*
 * check_hostile.c -- crafted files with VALID checksums that must still be
 * refused: the semantic validators behind the CRCs (issue 18).
 *
 * Each test writes a real file with libgan, changes one field of a section,
 * re-encodes the container with fresh CRCs (the same writer libgan uses),
 * and checks that every reader refuses the result with GAN_EFORMAT and a
 * message that says what is wrong.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "checkpoint/checkpoint.h"
#include "gan.h"

/* ---- re-encoding a GANC file with one section patched ----------------------- */

typedef void (*patch_fn)(unsigned char *raw, size_t len);

/* The file in buf with section (type, slot) passed through patch, every
   CRC recomputed.  Returns a malloc'ed buffer (*out_len bytes). */
static unsigned char *repack(const void *buf, size_t len, uint32_t type, uint32_t slot,
                             patch_fn patch, size_t *out_len)
{
    gan__container c;
    gan__wbuf file = {0};
    ck_assert_int_eq(gan__parse_container(buf, len, "test", &c), GAN_OK);
    gan__put_header(&file, c.kind, c.n, c.flags);
    int patched = 0;
    for (uint32_t i = 0; i < c.n; i++) {
        unsigned char *raw = NULL;
        ck_assert_int_eq(gan__inflate_section(&c, &c.sec[i], &raw), GAN_OK);
        if (c.sec[i].type == type && c.sec[i].slot == slot) {
            patch(raw, c.sec[i].raw_len);
            patched = 1;
        }
        gan__wbuf sec = {.p = raw, .len = c.sec[i].raw_len, .cap = c.sec[i].raw_len};
        ck_assert_int_eq(gan__put_section(&file, c.sec[i].type, c.sec[i].slot, &sec), GAN_OK);
        gan_free(raw);
    }
    ck_assert_msg(patched, "section %u/%u not found", (unsigned)type, (unsigned)slot);
    ck_assert(!file.failed);
    unsigned char *out = malloc(file.len);
    ck_assert_ptr_nonnull(out);
    memcpy(out, file.p, file.len);
    *out_len = file.len;
    gan__wb_free(&file);
    return out;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A small trainer (tiny dense G and D) saved to memory. */
static void *small_checkpoint(size_t *len)
{
    gan_model *g = NULL, *d = NULL;
    gan_optimizer *go = NULL, *dop = NULL;
    gan_loss *loss = NULL;
    gan_trainer *t = NULL;
    gan_dense_config dc;
    gan_optimizer_config oc;
    gan_loss_config lc;
    void *buf = NULL;
    const int in_g = 4, in_d = 3;
    ck_assert_int_eq(gan_model_create(&g, 1, &in_g), GAN_OK);
    ck_assert_int_eq(gan_model_create(&d, 1, &in_d), GAN_OK);
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&dc), GAN_OK);
    dc.units = 3;
    ck_assert_int_eq(gan_model_add_dense(g, &dc), GAN_OK);
    dc.units = 1;
    ck_assert_int_eq(gan_model_add_dense(d, &dc), GAN_OK);
    ck_assert_int_eq(GAN_OPTIMIZER_CONFIG_INIT(&oc), GAN_OK);
    ck_assert_int_eq(gan_optimizer_create(&go, g, &oc), GAN_OK);
    ck_assert_int_eq(gan_optimizer_create(&dop, d, &oc), GAN_OK);
    ck_assert_int_eq(GAN_LOSS_CONFIG_INIT(&lc), GAN_OK);
    ck_assert_int_eq(gan_loss_create(&loss, &lc), GAN_OK);
    ck_assert_int_eq(gan_trainer_create(&t, g, d, go, dop, loss, NULL), GAN_OK);
    ck_assert_int_eq(gan_trainer_save_mem(t, NULL, &buf, len), GAN_OK);
    gan_trainer_free(t);
    gan_loss_free(loss);
    gan_optimizer_free(go);
    gan_optimizer_free(dop);
    gan_model_free(g);
    gan_model_free(d);
    return buf;
}

/* The trainer section: n_critic u32, seed, step, epoch u64, then three
   random streams of 4 u64 + has_spare u32 + spare f32, then the loss kind. */
#define TRAINER_RNG0_SPARE (4 + 3 * 8 + 4 * 8)
#define TRAINER_LOSS_KIND (4 + 3 * 8 + 3 * (4 * 8 + 4 + 4))

static void patch_has_spare(unsigned char *raw, size_t len)
{
    ck_assert_uint_gt(len, TRAINER_RNG0_SPARE + 4);
    put_u32(raw + TRAINER_RNG0_SPARE, 0xffffffffu);
}

static void patch_loss_kind(unsigned char *raw, size_t len)
{
    ck_assert_uint_gt(len, TRAINER_LOSS_KIND + 4);
    put_u32(raw + TRAINER_LOSS_KIND, 99);
}

static char *write_temp(const void *buf, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/check_hostile_%ld.gan", (long)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* Both the loader and gan_file_info (what `gan info` prints) refuse it. */
static void assert_checkpoint_refused(const unsigned char *file, size_t len, const char *needle)
{
    gan_trainer *t = NULL;
    char info[4096];
    ck_assert_int_eq(gan_trainer_load_mem(&t, NULL, file, len), GAN_EFORMAT);
    ck_assert_msg(strstr(gan_last_error(), needle), "load: %s", gan_last_error());
    ck_assert_ptr_null(t);
    char *path = write_temp(file, len);
    ck_assert_int_eq(gan_file_info(path, info, sizeof info, NULL), GAN_EFORMAT);
    ck_assert_msg(strstr(gan_last_error(), needle), "info: %s", gan_last_error());
    unlink(path);
}

static void patch_nothing(unsigned char *raw, size_t len)
{
    (void)raw;
    (void)len;
}

START_TEST(test_repack_roundtrip)
{
    size_t len = 0, len2 = 0;
    void *buf = small_checkpoint(&len);
    gan_trainer *t = NULL;
    unsigned char *same = repack(buf, len, GAN__SEC_TRAINER, 0, patch_nothing, &len2);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(same, buf, len);
    ck_assert_int_eq(gan_trainer_load_mem(&t, NULL, same, len2), GAN_OK);
    gan_trainer_free(t);
    free(same);
    gan_free(buf);
}
END_TEST

START_TEST(test_rng_has_spare_out_of_range)
{
    size_t len = 0, len2 = 0;
    void *buf = small_checkpoint(&len);
    unsigned char *bad = repack(buf, len, GAN__SEC_TRAINER, 0, patch_has_spare, &len2);
    assert_checkpoint_refused(bad, len2, "invalid random generator state");
    free(bad);
    gan_free(buf);
}
END_TEST

START_TEST(test_unknown_loss_kind)
{
    size_t len = 0, len2 = 0;
    void *buf = small_checkpoint(&len);
    unsigned char *bad = repack(buf, len, GAN__SEC_TRAINER, 0, patch_loss_kind, &len2);
    assert_checkpoint_refused(bad, len2, "loss kind 99 is unknown");
    free(bad);
    gan_free(buf);
}
END_TEST

/* ---- FID statistics -------------------------------------------------------------- */

#define DIM 6

static unsigned char *fid_file(size_t *len)
{
    gan_fid_stats *s = NULL;
    float x[200 * DIM];
    uint64_t r = 12345;
    void *buf = NULL;
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((r >> 40) & 0xffff) / 65536.0f - 0.5f;
    }
    ck_assert_int_eq(gan_fid_stats_create(&s, DIM), GAN_OK);
    ck_assert_int_eq(gan_fid_stats_add(s, x, 200 * DIM, 200), GAN_OK);
    ck_assert_int_eq(gan_fid_stats_save_mem(s, &buf, len), GAN_OK);
    gan_fid_stats_free(s);
    unsigned char *out = malloc(*len);
    ck_assert_ptr_nonnull(out);
    memcpy(out, buf, *len);
    gan_free(buf);
    return out;
}

static double get_f64(const unsigned char *p)
{
    uint64_t u = 0;
    double v;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    memcpy(&v, &u, sizeof v);
    return v;
}

static void put_f64(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static void fid_fix_crc(unsigned char *b, size_t len)
{
    put_u32(b + len - 4, (uint32_t)crc32(0L, b, (uInt)(len - 4)));
}

#define COV(b, i, j) ((b) + 32 + 8 * DIM + 8 * ((size_t)(i) * DIM + (j)))

START_TEST(test_fid_stats_asymmetric)
{
    size_t len = 0;
    unsigned char *b = fid_file(&len);
    gan_fid_stats *s = NULL;
    ck_assert_int_eq(gan_fid_stats_load_mem(&s, b, len), GAN_OK);  /* as written: fine */
    gan_fid_stats_free(s);
    put_f64(COV(b, 1, 3), get_f64(COV(b, 1, 3)) + 0.01);
    fid_fix_crc(b, len);
    s = NULL;
    ck_assert_int_eq(gan_fid_stats_load_mem(&s, b, len), GAN_EFORMAT);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(gan_last_error(), "not symmetric"), "%s", gan_last_error());
    free(b);
}
END_TEST

START_TEST(test_fid_stats_not_psd)
{
    size_t len = 0;
    unsigned char *b = fid_file(&len);
    gan_fid_stats *s = NULL;
    /* Variances 1 on dims 0 and 1 with covariance 2 between them: the 2x2
       block [[1, 2], [2, 1]] has eigenvalue -1, yet every variance is >= 0. */
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++)
            put_f64(COV(b, i, j), i == j ? 1.0 : 0.0);
    put_f64(COV(b, 0, 1), 2.0);
    put_f64(COV(b, 1, 0), 2.0);
    fid_fix_crc(b, len);
    ck_assert_int_eq(gan_fid_stats_load_mem(&s, b, len), GAN_EFORMAT);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(gan_last_error(), "positive semi-definite"), "%s", gan_last_error());
    /* The same with the block made PSD (covariance 0.5) loads. */
    put_f64(COV(b, 0, 1), 0.5);
    put_f64(COV(b, 1, 0), 0.5);
    fid_fix_crc(b, len);
    ck_assert_int_eq(gan_fid_stats_load_mem(&s, b, len), GAN_OK);
    gan_fid_stats_free(s);
    free(b);
}
END_TEST

/* The shipped reference statistics pass the new checks. */
START_TEST(test_fid_stats_shipped_loads)
{
    gan_fid_stats *s = NULL;
    const char *dir = getenv("GAN_MODELS_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/fashion_mnist_t10k.fidstats", dir ? dir : GAN_TEST_MODELS_DIR);
    ck_assert_msg(gan_fid_stats_load(&s, path) == GAN_OK, "%s", gan_last_error());
    gan_fid_stats_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("valid checksums, invalid content");
    tcase_add_test(tc, test_repack_roundtrip);
    tcase_add_test(tc, test_rng_has_spare_out_of_range);
    tcase_add_test(tc, test_unknown_loss_kind);
    tcase_add_test(tc, test_fid_stats_asymmetric);
    tcase_add_test(tc, test_fid_stats_not_psd);
    tcase_add_test(tc, test_fid_stats_shipped_loads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
