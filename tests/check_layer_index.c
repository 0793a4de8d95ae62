/*
 * check_layer_index.c -- layer indices are size_t in every call of gan.h
 * (issue 14): the signatures are pinned at compile time, the special index
 * (size_t)-1 keeps its meaning in each call, and an index out of range is
 * GAN_EINVAL with a message naming it.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"

#define OK(x) ck_assert_msg((x) == GAN_OK, "%s failed: %s", #x, gan_last_error())

/* Each layer-index parameter is size_t: a different type makes these
   initialisations incompatible (an error under -Werror). */
static gan_status (*const set_trainable)(gan_model *, size_t, int) = gan_model_set_trainable;
static gan_status (*const set_spectral_norm)(gan_model *, size_t, int) = gan_model_set_spectral_norm;
static gan_status (*const shape)(const gan_model *, size_t, size_t *, int *) = gan_model_shape;
static gan_status (*const layer_kind)(const gan_model *, size_t, gan_layer_kind *) =
    gan_model_layer_kind;
static gan_status (*const layer_sizes)(const gan_model *, size_t, size_t *, size_t *) =
    gan_model_layer_sizes;
static gan_status (*const get_params)(const gan_model *, size_t, float *, size_t) =
    gan_model_get_params;
static gan_status (*const set_params)(gan_model *, size_t, const float *, size_t) =
    gan_model_set_params;
static gan_status (*const get_grads)(const gan_model *, size_t, float *, size_t) =
    gan_model_get_grads;
static gan_status (*const get_state)(const gan_model *, size_t, float *, size_t) =
    gan_model_get_state;
static gan_status (*const set_state)(gan_model *, size_t, const float *, size_t) =
    gan_model_set_state;
static gan_status (*const metrics_create)(gan_metrics **, gan_model *, size_t, size_t) =
    gan_metrics_create;

/* input 4 -> dense 3 -> relu -> dense 2 */
static gan_model *small_model(void)
{
    gan_model *m = NULL;
    gan_dense_config d;
    int in = 4;
    OK(gan_model_create(&m, 1, &in));
    OK(GAN_DENSE_CONFIG_INIT(&d));
    d.units = 3;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_add_relu(m));
    d.units = 2;
    OK(gan_model_add_dense(m, &d));
    return m;
}

static void expect_range_error(gan_status st, const char *func, size_t layer)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", layer);
    ck_assert_msg(st == GAN_EINVAL, "%s(layer %zu): status %d", func, layer, (int)st);
    ck_assert_msg(strstr(gan_last_error(), func) && strstr(gan_last_error(), num),
                  "%s: message \"%s\" should name the call and layer %zu", func, gan_last_error(),
                  layer);
}

START_TEST(test_special_index)
{
    gan_model *m = small_model();
    gan_metrics *mt = NULL;
    size_t ndim, total, trainable;
    int dims[3];
    ck_assert_uint_eq(GAN_ALL_LAYERS, SIZE_MAX);
    ck_assert_uint_eq(GAN_MODEL_INPUT, SIZE_MAX);
    ck_assert_uint_eq(GAN_DEFAULT_FEATURE_LAYER, SIZE_MAX);
    /* GAN_MODEL_INPUT: the input's shape. */
    OK(shape(m, GAN_MODEL_INPUT, &ndim, dims));
    ck_assert_uint_eq(ndim, 1);
    ck_assert_int_eq(dims[0], 4);
    OK(shape(m, 2, &ndim, dims));
    ck_assert_int_eq(dims[0], 2);
    /* GAN_ALL_LAYERS: every layer. */
    OK(set_trainable(m, GAN_ALL_LAYERS, 0));
    OK(gan_model_param_count(m, &total, &trainable));
    ck_assert_uint_eq(total, 4 * 3 + 3 + 3 * 2 + 2);
    ck_assert_uint_eq(trainable, 0);
    OK(set_trainable(m, 2, 1));
    OK(gan_model_param_count(m, NULL, &trainable));
    ck_assert_uint_eq(trainable, 3 * 2 + 2);
    OK(set_spectral_norm(m, GAN_ALL_LAYERS, 1));   /* skips relu */
    {
        size_t ns0, ns2;
        OK(layer_sizes(m, 0, NULL, &ns0));
        OK(layer_sizes(m, 2, NULL, &ns2));
        ck_assert_uint_eq(ns0, 3);
        ck_assert_uint_eq(ns2, 2);
    }
    /* C callers that wrote -1 before keep working: -1 converts to SIZE_MAX. */
    OK(set_trainable(m, (size_t)-1, 1));
    OK(gan_model_param_count(m, NULL, &trainable));
    ck_assert_uint_eq(trainable, total);
    /* GAN_DEFAULT_FEATURE_LAYER: the input of the last layer (relu's output). */
    OK(metrics_create(&mt, m, GAN_DEFAULT_FEATURE_LAYER, 0));
    {
        size_t feat, classes;
        OK(gan_metrics_dims(mt, &feat, &classes, NULL));
        ck_assert_uint_eq(feat, 3);
        ck_assert_uint_eq(classes, 2);
    }
    gan_metrics_free(mt);
    gan_model_free(m);
}
END_TEST

START_TEST(test_out_of_range)
{
    gan_model *m = small_model();
    gan_metrics *mt = NULL;
    gan_layer_kind kind;
    size_t ndim;
    int dims[3];
    float buf[32];
    const size_t bad[] = {3, 1000, SIZE_MAX - 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const size_t l = bad[i];
        expect_range_error(set_trainable(m, l, 0), "gan_model_set_trainable", l);
        expect_range_error(set_spectral_norm(m, l, 1), "gan_model_set_spectral_norm", l);
        expect_range_error(shape(m, l, &ndim, dims), "gan_model_shape", l);
        expect_range_error(layer_kind(m, l, &kind), "gan_model_layer_kind", l);
        expect_range_error(layer_sizes(m, l, NULL, NULL), "gan_model_layer_sizes", l);
        expect_range_error(get_params(m, l, buf, 32), "gan_model_get_params", l);
        expect_range_error(set_params(m, l, buf, 32), "gan_model_set_params", l);
        expect_range_error(get_grads(m, l, buf, 32), "gan_model_get_grads", l);
        expect_range_error(get_state(m, l, buf, 32), "gan_model_get_state", l);
        expect_range_error(set_state(m, l, buf, 32), "gan_model_set_state", l);
        expect_range_error(metrics_create(&mt, m, l, 0), "gan_metrics_create", l);
        ck_assert_ptr_null(mt);
    }
    /* The special index means nothing to the calls on one layer. */
    expect_range_error(layer_kind(m, SIZE_MAX, &kind), "gan_model_layer_kind", SIZE_MAX);
    expect_range_error(get_params(m, SIZE_MAX, buf, 32), "gan_model_get_params", SIZE_MAX);
    gan_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layer_index");
    TCase *t = tcase_create("layer_index");
    SRunner *sr;
    int failed;
    tcase_add_test(t, test_special_index);
    tcase_add_test(t, test_out_of_range);
    suite_add_tcase(s, t);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
