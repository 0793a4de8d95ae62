/*
 * check_modconv.c -- StyleGAN2's modulated convolution
 * (libgan/nn/layers/modconv.c) and the equalised learning rate of dense
 * layers (libgan/nn/layers/dense.c):
 *   - forward against a naive twin that builds every sample's modulated
 *     (and demodulated) kernel and convolves with it directly, in double;
 *   - finite-difference gradients (input, kernel, bias, affine parameters,
 *     the style vector through the style input, the mapping network) for
 *     every demodulate x equalized_lr combination, and of equalised dense
 *     layers with learning-rate multipliers, with and without spectral
 *     normalisation;
 *   - the equalised dense layer against its definition, and its
 *     learning-rate multiplier's effect on one Adam step;
 *   - builder errors, the file round trip (bit-identical outputs), the
 *     header flag of equalised files, and the sampler (thread-safe path).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

/* style vector D -> style_input (H, W, C) -> modulated_conv2d (F, k). */
static gan_model *one_layer(int D, int H, int W, int C, int F, int k, int demod, int eq)
{
    gan_model *m = tu_model(1, D, 0, 0);
    OK(gan_model_add_style_input(m, H, W, C));
    OK(gan_model_add_modulated_conv2d(m, F, k, demod, eq));
    return m;
}

/*
 * The definition written out: per sample n, s = cw (ca v A + a),
 * w'[ky,kx,c,f] = s[c] W[ky,kx,c,f], d[f] = 1/sqrt(sum w'^2 + 1e-8),
 * y[i,j,f] = sum_{ky,kx,c} x[i+ky-p, j+kx-p, c] w'[..] d[f] + bias[f].
 */
static void naive(int N, int D, int H, int W, int C, int F, int k, int demod, int eq,
                  const float *v, const float *x, const float *p, double *y)
{
    const int K = k * k * C, pad = (k - 1) / 2;
    const float *Wk = p, *bias = Wk + (size_t)K * F, *A = bias + F, *a = A + (size_t)D * C;
    const double cw = eq ? 1.0 / sqrt((double)K) : 1.0, ca = eq ? 1.0 / sqrt((double)D) : 1.0;
    double *s = calloc((size_t)C, sizeof *s), *wm = calloc((size_t)K * F, sizeof *wm);
    ck_assert(s && wm);
    for (int n = 0; n < N; n++) {
        for (int c = 0; c < C; c++) {
            double acc = 0.0;
            for (int d = 0; d < D; d++)
                acc += (double)v[n * D + d] * A[d * C + c];
            s[c] = cw * (ca * acc + a[c]);
        }
        for (int f = 0; f < F; f++) {
            double ss = 0.0, dm;
            for (int t = 0; t < k * k; t++)
                for (int c = 0; c < C; c++) {
                    const double w = s[c] * Wk[(t * C + c) * F + f];
                    wm[(t * C + c) * F + f] = w;
                    ss += w * w;
                }
            dm = demod ? 1.0 / sqrt(ss + 1e-8) : 1.0;
            for (int t = 0; t < k * k; t++)
                for (int c = 0; c < C; c++)
                    wm[(t * C + c) * F + f] *= dm;
        }
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++)
                for (int f = 0; f < F; f++) {
                    double acc = bias[f];
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            const int ii = i + ky - pad, jj = j + kx - pad;
                            if (ii < 0 || jj < 0 || ii >= H || jj >= W)
                                continue;
                            for (int c = 0; c < C; c++)
                                acc += (double)x[((size_t)n * H * W + (size_t)ii * W + jj) * C + c] *
                                       wm[((ky * k + kx) * C + c) * F + f];
                        }
                    y[((size_t)n * H * W + (size_t)i * W + j) * F + f] = acc;
                }
    }
    free(s);
    free(wm);
}

/* The layer's forward equals the naive twin for every option pair, with
   the constant (the modconv's input) and the parameters randomised. */
START_TEST(test_matches_naive)
{
    const int D = 5, H = 5, W = 4, C = 3, F = 4, N = 3;
    for (int combo = 0; combo < 8; combo++) {
        const int demod = combo & 1, eq = (combo >> 1) & 1, k = combo & 4 ? 1 : 3;
        gan_model *m = one_layer(D, H, W, C, F, k, demod, eq);
        const size_t E = (size_t)H * W * C, np = tu_layer_params(m, 1);
        float *v = tu_alloc((size_t)N * D), *x = tu_alloc(E), *p = tu_alloc(np);
        float *y = tu_alloc((size_t)N * H * W * F), *xb = tu_alloc(N * E);
        double *ref = calloc((size_t)N * H * W * F, sizeof *ref);
        ck_assert(ref);
        ck_assert_uint_eq(np, (size_t)k * k * C * F + F + (size_t)D * C + C);
        tu_fill(v, (size_t)N * D, 1 + combo, -1.0f, 1.0f);
        tu_fill(x, E, 11 + combo, -1.0f, 1.0f);
        OK(gan_model_set_params(m, 0, x, E));
        OK(gan_model_get_params(m, 1, p, np));
        /* a starts at 1 and the bias at 0; then perturb everything. */
        ck_assert(p[np - 1] == 1.0f && p[(size_t)k * k * C * F] == 0.0f);
        tu_fill(p, np, 21 + combo, -0.9f, 0.9f);
        OK(gan_model_set_params(m, 1, p, np));
        OK(gan_model_forward(m, v, (size_t)N * D, N, GAN_MODE_TRAIN, y, (size_t)N * H * W * F));
        for (int n = 0; n < N; n++)
            memcpy(xb + n * E, x, E * sizeof(float));
        naive(N, D, H, W, C, F, k, demod, eq, v, xb, p, ref);
        for (size_t i = 0; i < (size_t)N * H * W * F; i++)
            ck_assert_msg(fabs(y[i] - ref[i]) <= 1e-5 * (1.0 + fabs(ref[i])),
                          "combo %d: y[%zu] = %.7g, naive %.7g", combo, i, (double)y[i], ref[i]);
        free(v), free(x), free(p), free(y), free(xb), free(ref);
        gan_model_free(m);
    }
}
END_TEST

/* A small style generator: mapping (dense, leaky, dense), style input,
   two modulated convolutions with an up-sampling between, so the second
   one's input differs per sample and the style gradient sums two layers. */
static gan_model *style_net(int demod, int eq, int dense_eq, float lrmul)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    gan_dense_config dc;
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 6;
    dc.equalized_lr = dense_eq;
    dc.lr_multiplier = lrmul;
    OK(gan_model_add_dense(m, &dc));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_dense(m, &dc));
    OK(gan_model_add_style_input(m, 2, 3, 3));
    OK(gan_model_add_modulated_conv2d(m, 4, 3, demod, eq));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    OK(gan_model_add_upsample(m, 2));
    OK(gan_model_add_modulated_conv2d(m, 2, 3, demod, eq));
    return m;
}

START_TEST(test_gradients)
{
    for (int combo = 0; combo < 4; combo++) {
        const int demod = combo & 1, eq = combo >> 1;
        gan_model *m = style_net(demod, eq, eq, eq ? 0.1f : 1.0f);
        float *x;
        tu_gradcheck_opts o;
        char name[64];
        tu_randomize_params(m, 5 + combo, 0.6f);
        x = tu_rand_input(m, 3, 9 + combo);
        tu_gradcheck_defaults(&o);
        o.batch = 3;
        o.mode = GAN_MODE_TRAIN;
        o.seed = 17 + combo;
        o.max_skip_frac = 0.1;   /* two leaky ReLUs: eps steps cross kinks */
        o.min_numeric = 1e-3;
        snprintf(name, sizeof name, "modconv demod %d eq %d", demod, eq);
        tu_assert_gradcheck(name, m, x, &o);
        free(x);
        gan_model_free(m);
    }
}
END_TEST

/* Equalised dense layers on their own: y = x W m/sqrt(D) + m b, and the
   gradient check with a multiplier, with and without spectral
   normalisation (the scale composes with W / sigma). */
START_TEST(test_equalized_dense)
{
    const int D = 4, U = 3, N = 2;
    const float lrmul = 0.01f;
    for (int sn = 0; sn < 2; sn++) {
        gan_model *m = tu_model(1, D, 0, 0);
        gan_dense_config dc;
        float w[4 * 3 + 3], x[8], y[6], *xi;
        tu_gradcheck_opts o;
        OK(GAN_DENSE_CONFIG_INIT(&dc));
        ck_assert_int_eq(dc.equalized_lr, 0);
        ck_assert_float_eq(dc.lr_multiplier, 1.0f);
        ck_assert_float_eq(dc.equalized_gain, 1.0f);
        dc.units = U;
        dc.equalized_lr = 1;
        dc.lr_multiplier = lrmul;
        dc.equalized_gain = 1.5f;
        dc.spectral_norm = sn;
        OK(gan_model_add_dense(m, &dc));
        OK(gan_model_add_leaky_relu(m, 0.2f));
        dc.units = 2;
        OK(gan_model_add_dense(m, &dc));
        if (!sn) {
            /* N(0, 1) / lrmul at initialisation: values far above 1. */
            OK(gan_model_get_params(m, 0, w, 15));
            ck_assert(tu_max_abs(w, 12) > 10.0);
            for (int i = 12; i < 15; i++)
                ck_assert(w[i] == 0.0f);
            tu_fill(w, 15, 3, -50.0f, 50.0f);
            OK(gan_model_set_params(m, 0, w, 15));
            tu_fill(x, 8, 4, -1.0f, 1.0f);
            {
                gan_model *one = tu_model(1, D, 0, 0);
                dc.units = U;
                dc.spectral_norm = 0;
                OK(gan_model_add_dense(one, &dc));
                OK(gan_model_set_params(one, 0, w, 15));
                OK(gan_model_forward(one, x, 8, N, GAN_MODE_INFER, y, 6));
                for (int n = 0; n < N; n++)
                    for (int u = 0; u < U; u++) {
                        double acc = 0.0;
                        for (int d = 0; d < D; d++)
                            acc += (double)x[n * D + d] * w[d * U + u];
                        acc = acc * 1.5 * lrmul / sqrt((double)D) + lrmul * (double)w[12 + u];
                        ck_assert_double_eq_tol(y[n * U + u], acc, 1e-5);
                    }
                gan_model_free(one);
            }
        }
        /* Without SN the stored values are large (1 / lrmul); with it
           their scale cancels, and large ones only shrink the gradient. */
        tu_randomize_params(m, 7 + sn, sn ? 1.0f : 40.0f);
        xi = tu_rand_input(m, 3, 8);
        tu_gradcheck_defaults(&o);
        o.batch = 3;
        /* Inference: SN's u fixed, so its formula is the exact derivative
           (check_spectral_norm.c's argument). */
        o.mode = sn ? GAN_MODE_INFER : GAN_MODE_TRAIN;
        o.restore_state = 1;
        o.max_skip_frac = 0.1;   /* a leaky ReLU on 35 points: eps may cross a kink */
        o.min_numeric = 1e-4;
        tu_assert_gradcheck(sn ? "equalized dense, SN" : "equalized dense", m, xi, &o);
        free(xi);
        gan_model_free(m);
    }
}
END_TEST

/*
 * The learning-rate multiplier acts through the parameterisation: one Adam
 * step (whose size does not depend on the gradient's scale) moves each
 * stored weight by about lr, so the effective weight lr_mul / sqrt(D) * W
 * moves lr_mul times as far as with lr_mul = 1.
 */
START_TEST(test_lr_multiplier_step)
{
    float moved[2];
    for (int k = 0; k < 2; k++) {
        const float lrmul = k ? 0.01f : 1.0f;
        gan_model *m = tu_model(1, 4, 0, 0);
        gan_dense_config dc;
        gan_optimizer_config oc;
        gan_optimizer *opt = NULL;
        float x[4] = {0.5f, -1.0f, 0.25f, 2.0f}, y, dy = 1.0f, w0[5], w1[5];
        OK(GAN_DENSE_CONFIG_INIT(&dc));
        dc.units = 1;
        dc.equalized_lr = 1;
        dc.lr_multiplier = lrmul;
        OK(gan_model_add_dense(m, &dc));
        OK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
        oc.lr = 1e-2f;
        OK(gan_optimizer_create(&opt, m, &oc));
        OK(gan_model_get_params(m, 0, w0, 5));
        OK(gan_model_zero_grad(m));
        OK(gan_model_forward(m, x, 4, 1, GAN_MODE_TRAIN, &y, 1));
        OK(gan_model_backward(m, &dy, 1, NULL, 0));
        OK(gan_optimizer_step(opt));
        OK(gan_model_get_params(m, 0, w1, 5));
        /* effective change of the first kernel weight */
        moved[k] = fabsf(w1[0] - w0[0]) * lrmul / 2.0f;
        gan_optimizer_free(opt);
        gan_model_free(m);
    }
    ck_assert_msg(fabs(moved[1] / moved[0] - 0.01) < 1e-3, "ratio %g", (double)(moved[1] / moved[0]));
}
END_TEST

START_TEST(test_builder_errors)
{
    gan_model *m = tu_model(1, 4, 0, 0), *img = tu_model(3, 4, 4, 2);
    gan_dense_config dc;
    TU_ASSERT_ERROR(gan_model_add_modulated_conv2d(img, 3, 3, 1, 1), GAN_EINVAL, "style input");
    TU_ASSERT_FAILS(gan_model_add_modulated_conv2d(NULL, 3, 3, 1, 1), GAN_EINVAL);
    OK(gan_model_add_style_input(m, 4, 4, 2));
    TU_ASSERT_ERROR(gan_model_add_modulated_conv2d(m, 0, 3, 1, 1), GAN_EINVAL, "filters");
    TU_ASSERT_ERROR(gan_model_add_modulated_conv2d(m, 3, 2, 1, 1), GAN_EINVAL, "kernel 2", "odd");
    TU_ASSERT_ERROR(gan_model_add_modulated_conv2d(m, 3, 3, 2, 1), GAN_EINVAL, "demodulate");
    TU_ASSERT_ERROR(gan_model_add_modulated_conv2d(m, 3, 3, 1, -1), GAN_EINVAL, "equalized_lr");
    OK(gan_model_add_flatten(m));
    TU_ASSERT_ERROR(gan_model_add_modulated_conv2d(m, 3, 3, 1, 1), GAN_ESHAPE, "image input");
    ck_assert_int_eq(GAN_LAYER_MODULATED_CONV2D, 25);
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_MODULATED_CONV2D), "modulated_conv2d");
    OK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.units = 2;
    dc.lr_multiplier = 0.5f;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "lr_multiplier 0.5", "equalized_lr");
    dc.equalized_lr = 1;
    dc.lr_multiplier = 0.0f;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "lr_multiplier 0");
    dc.lr_multiplier = NAN;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "lr_multiplier");
    dc.equalized_lr = 2;
    dc.lr_multiplier = 1.0f;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "equalized_lr is 2");
    dc.equalized_lr = 0;
    dc.equalized_gain = 1.4f;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "equalized_gain 1.4");
    dc.equalized_lr = 1;
    dc.equalized_gain = 0.0f;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "equalized_gain 0");
    gan_model_free(m);
    gan_model_free(img);
}
END_TEST

/* Save and load (file flag 2 set only with an equalised dense layer), the
   same outputs bit for bit; the sampler agrees with the model's forward. */
START_TEST(test_round_trip_and_sampler)
{
    for (int eq = 0; eq < 2; eq++) {
        gan_model *m = style_net(1, eq, eq, eq ? 0.01f : 1.0f), *back = NULL;
        gan_sampler *s = NULL;
        const size_t N = 5, out = 4 * 6 * 2;
        float *z = tu_rand_input(m, N, 3), *y1 = tu_alloc(N * out), *y2 = tu_alloc(N * out);
        float *y3 = tu_alloc(N * out);
        unsigned char *buf = NULL;
        size_t len;
        uint32_t flags;
        tu_randomize_params(m, 11, 0.5f);
        OK(gan_model_save_mem(m, (void **)&buf, &len));
        flags = (uint32_t)buf[8] | (uint32_t)buf[9] << 8;
        ck_assert_uint_eq(flags & 2u, eq ? 2u : 0u);
        OK(gan_model_load_mem(&back, buf, len));
        OK(gan_model_forward(m, z, N * 4, N, GAN_MODE_INFER, y1, N * out));
        OK(gan_model_forward(back, z, N * 4, N, GAN_MODE_INFER, y2, N * out));
        ck_assert(memcmp(y1, y2, N * out * sizeof(float)) == 0);
        OK(gan_sampler_create(&s, back, 1, 2));
        OK(gan_sampler_generate(s, z, N * 4, N, y3, N * out));
        for (size_t i = 0; i < N * out; i++)
            ck_assert_double_eq_tol(y3[i], y1[i], 1e-5);
        /* An equalised record in a file without the header flag: refused. */
        if (eq) {
            gan_model *bad = NULL;
            buf[8] &= (unsigned char)~2u;
            tu_fix_header_crc(buf);
            TU_ASSERT_ERROR(gan_model_load_mem(&bad, buf, len), GAN_EFORMAT, "equalised");
            ck_assert_ptr_null(bad);
        }
        gan_sampler_free(s);
        gan_free(buf);
        free(z), free(y1), free(y2), free(y3);
        gan_model_free(m);
        gan_model_free(back);
    }
}
END_TEST

static Suite *modconv_suite(void)
{
    Suite *s = suite_create("modconv");
    TCase *t = tcase_create("layer");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_matches_naive);
    tcase_add_test(t, test_gradients);
    tcase_add_test(t, test_equalized_dense);
    tcase_add_test(t, test_lr_multiplier_step);
    tcase_add_test(t, test_builder_errors);
    tcase_add_test(t, test_round_trip_and_sampler);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(modconv_suite());
}
