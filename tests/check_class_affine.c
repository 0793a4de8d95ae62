/*
 * check_class_affine.c -- the class-conditional affine layer
 * (libgan/nn/layers/class_affine.c): forward and backward against the
 * definition written out, the builder's checks, the class bookkeeping,
 * and the file round trip.  Its finite-difference rows are in
 * check_gradients.c, its penalty rows in check_penalty.c.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* y = x (1 + G[y_n]) + B[y_n]; dG[k] = sum over samples of class k and
   positions of dy x, dB[k] the same of dy; dx = dy (1 + G[y_n]). */
START_TEST(test_matches_definition)
{
    const int H = 2, W = 3, C = 2, K = 3, N = 4, P = H * W;
    gan_model *m = tu_model(3, H, W, C);
    const int32_t lab[4] = {2, 0, 2, 1};
    float x[4 * 12], y[4 * 12], dy[4 * 12], dx[4 * 12], w[2 * 3 * 2], dw[2 * 3 * 2];
    int nc;
    OK(gan_model_add_class_affine(m, K));
    OK(gan_model_num_classes(m, &nc));
    ck_assert_int_eq(nc, K);
    ck_assert_uint_eq(tu_layer_params(m, 0), 2 * K * C);
    OK(gan_model_get_params(m, 0, w, 12));
    for (int i = 0; i < 12; i++)
        ck_assert(w[i] == 0.0f);                /* starts as the identity */
    tu_fill(w, 12, 4, -0.8f, 0.8f);
    OK(gan_model_set_params(m, 0, w, 12));
    tu_fill(x, 48, 5, -1.0f, 1.0f);
    tu_fill(dy, 48, 6, -1.0f, 1.0f);
    OK(gan_model_zero_grad(m));
    OK(gan_model_forward_labeled(m, x, 48, lab, N, GAN_MODE_TRAIN, y, 48));
    OK(gan_model_backward(m, dy, 48, dx, 48));
    OK(gan_model_get_grads(m, 0, dw, 12));
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++)
            for (int c = 0; c < C; c++) {
                const int i = (n * P + p) * C + c;
                const float g = w[lab[n] * C + c], b = w[K * C + lab[n] * C + c];
                ck_assert_double_eq_tol(y[i], x[i] * (1.0f + g) + b, 1e-6);
                ck_assert_double_eq_tol(dx[i], dy[i] * (1.0f + g), 1e-6);
            }
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++) {
            double sg = 0.0, sb = 0.0;
            for (int n = 0; n < N; n++)
                if (lab[n] == k)
                    for (int p = 0; p < P; p++) {
                        sg += (double)dy[(n * P + p) * C + c] * x[(n * P + p) * C + c];
                        sb += dy[(n * P + p) * C + c];
                    }
            ck_assert_double_eq_tol(dw[k * C + c], sg, 1e-5);
            ck_assert_double_eq_tol(dw[K * C + k * C + c], sb, 1e-5);
        }
    /* Without labels a conditional model refuses to run. */
    TU_ASSERT_ERROR(gan_model_forward(m, x, 48, N, GAN_MODE_TRAIN, y, 48), GAN_EINVAL,
                    "conditional");
    gan_model_free(m);
}
END_TEST

START_TEST(test_builder_and_round_trip)
{
    gan_model *m = tu_model(1, 5, 0, 0), *back = NULL;
    const int32_t lab[2] = {1, 0};
    float x[10], y1[10], y2[10];
    void *buf = NULL;
    size_t len;
    gan_layer_kind k;
    TU_ASSERT_ERROR(gan_model_add_class_affine(m, 0), GAN_EINVAL, "gan_model_add_class_affine",
                    "n_classes 0");
    TU_ASSERT_ERROR(gan_model_add_class_affine(NULL, 2), GAN_EINVAL, "gan_model_add_class_affine");
    OK(gan_model_add_class_affine(m, 2));
    TU_ASSERT_ERROR(gan_model_add_class_affine(m, 3), GAN_EINVAL, "differs");
    OK(gan_model_add_class_projection(m, 2));
    OK(gan_model_layer_kind(m, 0, &k));
    ck_assert_int_eq(k, GAN_LAYER_CLASS_AFFINE);
    ck_assert_int_eq(GAN_LAYER_CLASS_AFFINE, 24);
    ck_assert_str_eq(gan_layer_kind_name(k), "class_affine");
    tu_randomize_params(m, 3, 0.5f);
    tu_fill(x, 10, 7, -1.0f, 1.0f);
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&back, buf, len));
    OK(gan_model_forward_labeled(m, x, 10, lab, 2, GAN_MODE_INFER, y1, 2));
    OK(gan_model_forward_labeled(back, x, 10, lab, 2, GAN_MODE_INFER, y2, 2));
    ck_assert(memcmp(y1, y2, 2 * sizeof(float)) == 0);
    gan_free(buf);
    gan_model_free(m);
    gan_model_free(back);
}
END_TEST

static Suite *class_affine_suite(void)
{
    Suite *s = suite_create("class_affine");
    TCase *t = tcase_create("layer");
    tcase_add_test(t, test_matches_definition);
    tcase_add_test(t, test_builder_and_round_trip);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(class_affine_suite());
}
