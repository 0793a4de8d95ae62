/*
 * check_upsample.c -- the upsample layer (libgan/nn/layers/upsample.c), the
 * tests every layer kind gets (docs/layers.md): forward and backward
 * against naive loops, finite-difference gradients in a network, the
 * builder's checks, the plan around it, and a save/load round trip.  Its
 * gradient-penalty check is in check_penalty.c, with the other critics.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h" /* the plan fields (in_place) of a built model */
#include "test_util.h"


/* The definition, written out: y[n, i, j, c] = x[n, i / f, j / f, c]. */
static void naive_forward(int n, int h, int w, int c, int f, const float *x, float *y)
{
    for (int s = 0; s < n; s++)
        for (int i = 0; i < h * f; i++)
            for (int j = 0; j < w * f; j++)
                for (int k = 0; k < c; k++)
                    y[(((size_t)s * h * f + i) * w * f + j) * c + k] =
                        x[(((size_t)s * h + i / f) * w + j / f) * c + k];
}

/* dx[n, i, j, c] = the sum of dy over the input pixel's f x f block, in
   double (the layer sums in float: compared with a tolerance). */
static void naive_backward(int n, int h, int w, int c, int f, const float *dy, float *dx)
{
    for (int s = 0; s < n; s++)
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                for (int k = 0; k < c; k++) {
                    double acc = 0.0;
                    for (int a = 0; a < f; a++)
                        for (int b = 0; b < f; b++)
                            acc += dy[(((size_t)s * h * f + i * f + a) * w * f + j * f + b) * c + k];
                    dx[(((size_t)s * h + i) * w + j) * c + k] = (float)acc;
                }
}

START_TEST(test_matches_naive_loops)
{
    static const int cases[][5] = {   /* n, h, w, c, f */
        {2, 3, 4, 2, 2}, {1, 2, 2, 1, 3}, {3, 1, 5, 3, 4}, {2, 4, 3, 5, 1}, {1, 1, 1, 2, 7},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const int n = cases[t][0], h = cases[t][1], w = cases[t][2], c = cases[t][3];
        const int f = cases[t][4];
        const size_t in_n = (size_t)n * h * w * c, out_n = in_n * f * f;
        gan_model *m = tu_model(3, h, w, c);
        float *x = tu_alloc(in_n), *y = tu_alloc(out_n), *ref = tu_alloc(out_n);
        float *dy = tu_alloc(out_n), *dx = tu_alloc(in_n), *dref = tu_alloc(in_n);
        size_t ndim;
        int dims[3];
        OK(gan_model_add_upsample(m, f));
        OK(gan_model_shape(m, 0, &ndim, dims));
        ck_assert(ndim == 3 && dims[0] == h * f && dims[1] == w * f && dims[2] == c);
        tu_fill(x, in_n, 10 + t, -1.0f, 1.0f);
        tu_fill(dy, out_n, 20 + t, -1.0f, 1.0f);
        for (int mode = 0; mode < 2; mode++) {
            OK(gan_model_forward(m, x, in_n, (size_t)n, (gan_mode)mode, y, out_n));
            naive_forward(n, h, w, c, f, x, ref);
            ck_assert_msg(memcmp(y, ref, out_n * sizeof(float)) == 0, "case %zu: forward", t);
            OK(gan_model_backward(m, dy, out_n, dx, in_n));
            naive_backward(n, h, w, c, f, dy, dref);
            ck_assert_msg(tu_max_rel_err(dx, dref, in_n, 1e-3) < 1e-5, "case %zu: backward %g", t,
                          tu_max_rel_err(dx, dref, in_n, 1e-3));
        }
        gan_model_free(m);
        free(x); free(y); free(ref); free(dy); free(dx); free(dref);
    }
}
END_TEST

/* Finite differences through a generator-like stack: parameters below and
   above the layer get their gradients through its backward, and the leaky
   ReLU after it runs in place over its output. */
START_TEST(test_gradients_in_a_network)
{
    gan_model *m = tu_model(3, 3, 3, 2);
    gan_conv2d_config c;
    gan_dense_config d;
    tu_gradcheck_opts o;
    float *x;
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 3;
    c.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_upsample(m, 2));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    c.filters = 2;
    c.stride_h = c.stride_w = 2;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_upsample(m, 3));
    OK(gan_model_add_flatten(m));
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 2;
    OK(gan_model_add_dense(m, &d));
    ck_assert_int_eq(m->layers[2].in_place, 1);     /* over the upsample's output */
    tu_randomize_params(m, 5, 0.5f);
    x = tu_alloc(2 * 3 * 3 * 2);
    tu_fill(x, 2 * 3 * 3 * 2, 6, -1.0f, 1.0f);
    tu_gradcheck_defaults(&o);
    o.batch = 2;
    o.mode = GAN_MODE_TRAIN;
    o.eps = 1e-2f;
    tu_assert_gradcheck("upsample in a network", m, x, &o);
    free(x);
    gan_model_free(m);
}
END_TEST

START_TEST(test_builder_checks)
{
    gan_model *v = tu_model(1, 8, 0, 0), *m = tu_model(3, 4, 4, 1);
    size_t n;
    TU_ASSERT_ERROR(gan_model_add_upsample(m, 0), GAN_EINVAL, "gan_model_add_upsample", "factor 0");
    TU_ASSERT_ERROR(gan_model_add_upsample(m, 65), GAN_EINVAL, "1..64");
    TU_ASSERT_ERROR(gan_model_add_upsample(v, 2), GAN_ESHAPE, "upsample", "(8)");
    TU_ASSERT_ERROR(gan_model_add_upsample(NULL, 2), GAN_EINVAL, "gan_model_add_upsample");
    OK(gan_model_layer_count(m, &n));
    ck_assert_uint_eq(n, 0);                         /* refused: unchanged */
    OK(gan_model_add_upsample(m, 64));
    gan_model_free(v);
    gan_model_free(m);
}
END_TEST

START_TEST(test_name_kind_and_summary)
{
    gan_model *m = tu_model(3, 2, 2, 3);
    gan_layer_kind k;
    char sum[2048];
    size_t p, s;
    OK(gan_model_add_upsample(m, 2));
    OK(gan_model_layer_kind(m, 0, &k));
    ck_assert_int_eq(k, GAN_LAYER_UPSAMPLE);
    ck_assert_int_eq(GAN_LAYER_UPSAMPLE, 19);
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_UPSAMPLE), "upsample");
    ck_assert_int_ge(gan_layer_kind_count(), GAN_LAYER_UPSAMPLE + 1);
    OK(gan_model_layer_sizes(m, 0, &p, &s));
    ck_assert(p == 0 && s == 0);
    OK(gan_model_summary(m, sum, sizeof sum, NULL));
    ck_assert_ptr_nonnull(strstr(sum, "upsample"));
    ck_assert_ptr_nonnull(strstr(sum, "(4, 4, 3)"));
    gan_model_free(m);
}
END_TEST

/* Saved and loaded: the same kind, factor and outputs, and the loaded
   model saves to the same bytes. */
START_TEST(test_save_load_round_trip)
{
    gan_model *m = tu_model(1, 12, 0, 0), *back = NULL;
    gan_dense_config d;
    gan_conv2d_config c;
    const int shp[3] = {2, 2, 3};
    void *buf = NULL, *buf2 = NULL;
    size_t len, len2, out_n;
    float x[2 * 12], *y1, *y2;
    gan_layer_kind k;
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 12;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_add_reshape(m, 3, shp));
    OK(gan_model_add_upsample(m, 3));
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 1;
    c.padding = GAN_PADDING_SAME;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_upsample(m, 2));
    OK(gan_model_add_tanh(m));
    OK(gan_model_set_trainable(m, 2, 0));
    OK(gan_model_init_params(m, 3));
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&back, buf, len));
    OK(gan_model_layer_kind(back, 4, &k));
    ck_assert_int_eq(k, GAN_LAYER_UPSAMPLE);
    out_n = 2 * tu_out_elems(m);
    ck_assert_uint_eq(out_n, 2 * 12 * 12);
    ck_assert_uint_eq(tu_out_elems(back), 12 * 12);
    y1 = tu_alloc(out_n);
    y2 = tu_alloc(out_n);
    tu_fill(x, 24, 4, -1.0f, 1.0f);
    OK(gan_model_forward(m, x, 24, 2, GAN_MODE_INFER, y1, out_n));
    OK(gan_model_forward(back, x, 24, 2, GAN_MODE_INFER, y2, out_n));
    ck_assert(memcmp(y1, y2, out_n * sizeof(float)) == 0);
    OK(gan_model_save_mem(back, &buf2, &len2));
    ck_assert_uint_eq(len2, len);
    ck_assert(memcmp(buf, buf2, len) == 0);
    gan_free(buf);
    gan_free(buf2);
    free(y1);
    free(y2);
    gan_model_free(m);
    gan_model_free(back);
}
END_TEST

static Suite *upsample_suite(void)
{
    Suite *s = suite_create("upsample");
    TCase *t = tcase_create("layer");
    tcase_add_test(t, test_matches_naive_loops);
    tcase_add_test(t, test_gradients_in_a_network);
    tcase_add_test(t, test_builder_checks);
    tcase_add_test(t, test_name_kind_and_summary);
    tcase_add_test(t, test_save_load_round_trip);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(upsample_suite());
    int failed;
    srunner_run_all(r, CK_NORMAL);
    failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
