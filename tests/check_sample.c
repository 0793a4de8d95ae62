/*
 * check_sample.c -- gan_sampler, gan_latent_interpolate and the PNG grid
 * API's argument checks (tests/png/check_png.sh decodes the PNGs with
 * independent readers; check_sample_threads.c samples from many threads).
 *
 * The sampler runs the same kernels as gan_model_forward in GAN_MODE_INFER,
 * in its own buffers: at the same batch its images are bit-identical, and
 * it leaves the model's buffers alone.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h" /* handle magics, m->grads */
#include "test_util.h"

/* ---- helpers ------------------------------------------------------------------ */

static gan_sampler *sampler(const gan_model *m, uint64_t seed, size_t max_batch)
{
    gan_sampler *s = NULL;
    gan_status st = gan_sampler_create(&s, m, seed, max_batch);
    ck_assert_msg(st == GAN_OK, "gan_sampler_create: %s", gan_last_error());
    ck_assert_ptr_nonnull(s);
    return s;
}

/*
 * latent 8 -> dense 96, BN, ReLU, dropout 0.5, reshape (4, 4, 6),
 * conv2d_transpose 4 (3x3, stride 2, same), BN, LReLU, dropout 0.3,
 * conv2d 3 (3x3, same), tanh: (8, 8, 3).  Random weights and statistics.
 */
static gan_model *bn_dropout_generator(void)
{
    gan_model *m = tu_model(1, 8, 0, 0);
    gan_dense_config dc;
    gan_conv2d_config cc;
    int shape[3] = {4, 4, 6};
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&dc), GAN_OK);
    dc.units = 96;
    ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_add_relu(m), GAN_OK);
    ck_assert_int_eq(gan_model_add_dropout(m, 0.5f), GAN_OK);
    ck_assert_int_eq(gan_model_add_reshape(m, 3, shape), GAN_OK);
    ck_assert_int_eq(GAN_CONV2D_CONFIG_INIT(&cc), GAN_OK);
    cc.filters = 4;
    cc.stride_h = cc.stride_w = 2;
    cc.padding = GAN_PADDING_SAME;
    ck_assert_int_eq(gan_model_add_conv2d_transpose(m, &cc), GAN_OK);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.2f), GAN_OK);
    ck_assert_int_eq(gan_model_add_dropout(m, 0.3f), GAN_OK);
    cc.filters = 3;
    cc.stride_h = cc.stride_w = 1;
    ck_assert_int_eq(gan_model_add_conv2d(m, &cc), GAN_OK);
    ck_assert_int_eq(gan_model_add_tanh(m), GAN_OK);
    tu_randomize_params(m, 11, 0.5f);
    tu_randomize_bn_state(m, 5);
    return m;
}

/* The sampler's images for n latents drawn from seed equal
   gan_model_forward(INFER) at batch n on the same latents, bit for bit. */
static void assert_matches_forward(gan_model *m, size_t n, size_t max_batch)
{
    gan_sampler *s = sampler(m, 42, max_batch);
    size_t L, I;
    float *z, *a, *b;
    ck_assert_int_eq(gan_sampler_dims(s, &L, &I), GAN_OK);
    ck_assert_uint_eq(L, tu_in_elems(m));
    ck_assert_uint_eq(I, tu_out_elems(m));
    z = tu_alloc(n * L);
    a = tu_alloc(n * I);
    b = tu_alloc(n * I);
    ck_assert_int_eq(gan_sampler_latent(s, n, z, n * L), GAN_OK);
    ck_assert_int_eq(gan_model_forward(m, z, n * L, n, GAN_MODE_INFER, a, n * I), GAN_OK);
    ck_assert_int_eq(gan_sampler_generate(s, z, n * L, n, b, n * I), GAN_OK);
    ck_assert_msg(memcmp(a, b, n * I * sizeof(float)) == 0,
                  "sampler differs from forward (max rel err %g)", tu_max_rel_err(a, b, n * I, 1e-6));
    /* Drawing from the stream after a reseed gives the same latents. */
    memset(b, 0, n * I * sizeof(float));
    ck_assert_int_eq(gan_sampler_set_seed(s, 42), GAN_OK);
    ck_assert_int_eq(gan_sampler_generate(s, NULL, 0, n, b, n * I), GAN_OK);
    ck_assert(memcmp(a, b, n * I * sizeof(float)) == 0);
    free(z);
    free(a);
    free(b);
    gan_sampler_free(s);
}

/* ---- equality with gan_model_forward ------------------------------------------- */

START_TEST(test_matches_forward_presets)
{
    gan_model *cifar = tu_preset(GAN_PRESET_DCGAN_CIFAR10_GENERATOR);
    gan_model *mnist = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    gan_model *nb = tu_preset(GAN_PRESET_MNIST_NOTEBOOK_GENERATOR);
    tu_randomize_bn_state(cifar, 1);
    tu_randomize_bn_state(mnist, 2);
    assert_matches_forward(cifar, 3, 0);
    assert_matches_forward(mnist, 2, 0);
    assert_matches_forward(mnist, 1, 1);
    assert_matches_forward(nb, 2, 8);
    gan_model_free(cifar);
    gan_model_free(mnist);
    gan_model_free(nb);
}
END_TEST

START_TEST(test_matches_forward_bn_dropout)
{
    gan_model *m = bn_dropout_generator();
    assert_matches_forward(m, 5, 0);
    assert_matches_forward(m, 1, 0);
    assert_matches_forward(m, 7, 7);
    gan_model_free(m);
}
END_TEST

START_TEST(test_leaves_model_alone)
{
    /* Sampling neither changes the model's last output, its parameters and
       statistics, nor its dropout stream, and needs no gradient arena. */
    gan_model *m = bn_dropout_generator();
    gan_sampler *s;
    float z[3 * 8], y[3 * 192], y2[3 * 192], img[4 * 192], t1[3 * 192], t2[3 * 192];
    const float *out;
    size_t cnt;
    float *saved_grads;
    tu_fill(z, 24, 3, -1, 1);
    ck_assert_int_eq(gan_model_forward(m, z, 24, 3, GAN_MODE_INFER, y, 576), GAN_OK);
    saved_grads = m->grads;
    m->grads = NULL; /* as a model loaded for inference */
    s = sampler(m, 9, 2);
    ck_assert_int_eq(gan_sampler_generate(s, NULL, 0, 4, img, sizeof img / sizeof *img), GAN_OK);
    m->grads = saved_grads;
    ck_assert_int_eq(gan_model_output(m, &out, &cnt), GAN_OK);
    ck_assert_uint_eq(cnt, 576);
    ck_assert(memcmp(out, y, sizeof y) == 0);
    ck_assert_int_eq(gan_model_forward(m, z, 24, 3, GAN_MODE_INFER, y2, 576), GAN_OK);
    ck_assert(memcmp(y, y2, sizeof y) == 0);
    /* The model's dropout stream was not advanced by sampling. */
    ck_assert_int_eq(gan_model_set_seed(m, 77), GAN_OK);
    ck_assert_int_eq(gan_model_forward(m, z, 24, 3, GAN_MODE_TRAIN, t1, 576), GAN_OK);
    ck_assert_int_eq(gan_model_set_seed(m, 77), GAN_OK);
    ck_assert_int_eq(gan_sampler_generate(s, NULL, 0, 4, img, sizeof img / sizeof *img), GAN_OK);
    ck_assert_int_eq(gan_model_forward(m, z, 24, 3, GAN_MODE_TRAIN, t2, 576), GAN_OK);
    ck_assert(memcmp(t1, t2, sizeof t1) == 0);
    gan_sampler_free(s);
    gan_model_free(m);
}
END_TEST

/* ---- chunking and seeds ---------------------------------------------------------- */

/*
 * Results computed in batches of different sizes agree to rounding only: a
 * BLAS may pick other kernels (or thread splits) for another row count, so
 * the sum order of a dot product can change.  Same-size runs are compared
 * bit for bit elsewhere.
 */
static void assert_close(const float *a, const float *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(a[i] - b[i]) <= 1e-5f + 1e-4f * fabsf(a[i]),
                      "%s: element %zu: %.9g vs %.9g", what, i, (double)a[i], (double)b[i]);
}

static void assert_close_u8(const uint8_t *a, const uint8_t *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(abs((int)a[i] - (int)b[i]) <= 1, "%s: pixel %zu: %d vs %d", what, i, a[i], b[i]);
}

START_TEST(test_chunking_equals_one_pass)
{
    gan_model *m = bn_dropout_generator();
    gan_model *g = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    gan_model *models[2] = {m, g};
    for (int k = 0; k < 2; k++) {
        const size_t n = k == 0 ? 11 : 5;
        gan_sampler *one = sampler(models[k], 5, n), *chunked = sampler(models[k], 5, k == 0 ? 4 : 2);
        size_t L, I;
        float *z, *a, *b;
        uint8_t *ua, *ub;
        ck_assert_int_eq(gan_sampler_dims(one, &L, &I), GAN_OK);
        z = tu_alloc(n * L);
        a = tu_alloc(n * I);
        b = tu_alloc(n * I);
        ua = calloc(n * I, 1);
        ub = calloc(n * I, 1);
        ck_assert_ptr_nonnull(ua);
        ck_assert_ptr_nonnull(ub);
        ck_assert_int_eq(gan_sampler_generate(one, NULL, 0, n, a, n * I), GAN_OK);
        ck_assert_int_eq(gan_sampler_generate(chunked, NULL, 0, n, b, n * I), GAN_OK);
        assert_close(a, b, n * I, "chunked vs one pass");
        /* The stream continues across chunks as one draw of n vectors. */
        ck_assert_int_eq(gan_sampler_set_seed(one, 5), GAN_OK);
        ck_assert_int_eq(gan_sampler_latent(one, n, z, n * L), GAN_OK);
        ck_assert_int_eq(gan_sampler_set_seed(chunked, 5), GAN_OK);
        ck_assert_int_eq(gan_sampler_generate(chunked, z, n * L, n, b, n * I), GAN_OK);
        assert_close(a, b, n * I, "given latents vs drawn");
        ck_assert_int_eq(gan_sampler_generate_u8(one, z, n * L, n, ua, n * I), GAN_OK);
        ck_assert_int_eq(gan_sampler_generate_u8(chunked, z, n * L, n, ub, n * I), GAN_OK);
        assert_close_u8(ua, ub, n * I, "u8 chunked vs one pass");
        free(z);
        free(a);
        free(b);
        free(ua);
        free(ub);
        gan_sampler_free(one);
        gan_sampler_free(chunked);
    }
    gan_model_free(m);
    gan_model_free(g);
}
END_TEST

START_TEST(test_seeds)
{
    gan_model *m = bn_dropout_generator();
    gan_sampler *a = sampler(m, 123, 0), *b = sampler(m, 123, 3), *c = sampler(m, 124, 0);
    float ia[6 * 192], ib[6 * 192], ic[6 * 192], z1[6 * 8], z2[6 * 8];
    double mean = 0.0, var = 0.0;
    float zz[4000];
    ck_assert_int_eq(gan_sampler_generate(a, NULL, 0, 6, ia, 1152), GAN_OK);
    ck_assert_int_eq(gan_sampler_generate(b, NULL, 0, 6, ib, 1152), GAN_OK);
    ck_assert_int_eq(gan_sampler_generate(c, NULL, 0, 6, ic, 1152), GAN_OK);
    assert_close(ia, ib, 6 * 192, "same seed, other max_batch");
    ck_assert(memcmp(ia, ic, sizeof ia) != 0);
    /* The stream moves on; set_seed rewinds it. */
    ck_assert_int_eq(gan_sampler_generate(a, NULL, 0, 6, ib, 1152), GAN_OK);
    ck_assert(memcmp(ia, ib, sizeof ia) != 0);
    ck_assert_int_eq(gan_sampler_set_seed(a, 123), GAN_OK);
    ck_assert_int_eq(gan_sampler_generate(a, NULL, 0, 6, ib, 1152), GAN_OK);
    ck_assert(memcmp(ia, ib, sizeof ia) == 0);
    /* Latents: reproducible, standard normal. */
    ck_assert_int_eq(gan_sampler_set_seed(a, 1), GAN_OK);
    ck_assert_int_eq(gan_sampler_latent(a, 6, z1, 48), GAN_OK);
    ck_assert_int_eq(gan_sampler_set_seed(a, 1), GAN_OK);
    ck_assert_int_eq(gan_sampler_latent(a, 3, z2, 24), GAN_OK);
    ck_assert_int_eq(gan_sampler_latent(a, 3, z2 + 24, 24), GAN_OK);
    ck_assert(memcmp(z1, z2, sizeof z1) == 0);
    ck_assert_int_eq(gan_sampler_latent(a, 500, zz, 4000), GAN_OK);
    for (int i = 0; i < 4000; i++)
        mean += zz[i];
    mean /= 4000;
    for (int i = 0; i < 4000; i++)
        var += (zz[i] - mean) * (zz[i] - mean);
    var /= 3999;
    ck_assert_msg(fabs(mean) < 0.06 && fabs(var - 1.0) < 0.08, "mean %g var %g", mean, var);
    gan_sampler_free(a);
    gan_sampler_free(b);
    gan_sampler_free(c);
    gan_model_free(m);
}
END_TEST

/* ---- 8-bit output ----------------------------------------------------------------- */

START_TEST(test_u8_values)
{
    /* A model whose output is its input (a reshape to 1x4x3) shows the
       conversion itself: round((x + 1) * 127.5) clamped to 0..255. */
    int shape[3] = {1, 4, 3};
    gan_model *m = tu_model(1, 12, 0, 0), *g;
    gan_sampler *s;
    const float z[12] = {-1.0f, 1.0f, 0.0f, -2.0f, 2.0f, 0.5f, -0.5f, 1e30f, -1e30f, NAN, 0.999f,
                         -0.999f};
    const uint8_t want[12] = {0, 255, 128, 0, 255, 191, 64, 255, 0, 0, 255, 0};
    uint8_t u[12];
    float f[12];
    ck_assert_int_eq(gan_model_add_reshape(m, 3, shape), GAN_OK);
    s = sampler(m, 0, 0);
    ck_assert_int_eq(gan_sampler_generate(s, z, 12, 1, f, 12), GAN_OK);
    ck_assert(memcmp(f, z, sizeof f) == 0);
    ck_assert_int_eq(gan_sampler_generate_u8(s, z, 12, 1, u, 12), GAN_OK);
    for (int i = 0; i < 12; i++)
        ck_assert_msg(u[i] == want[i], "x=%g: got %d, want %d", (double)z[i], u[i], want[i]);
    gan_sampler_free(s);
    gan_model_free(m);

    /* On a real generator u8 is exactly the conversion of the floats. */
    g = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    tu_randomize_bn_state(g, 3);
    {
        gan_sampler *a = sampler(g, 8, 0);
        float *img = tu_alloc(3 * 784);
        uint8_t px[3 * 784];
        int lo = 255, hi = 0;
        ck_assert_int_eq(gan_sampler_generate(a, NULL, 0, 3, img, 3 * 784), GAN_OK);
        ck_assert_int_eq(gan_sampler_set_seed(a, 8), GAN_OK);
        ck_assert_int_eq(gan_sampler_generate_u8(a, NULL, 0, 3, px, 3 * 784), GAN_OK);
        for (int i = 0; i < 3 * 784; i++) {
            double v = ((double)img[i] + 1.0) * 127.5;
            int e = v <= 0 ? 0 : v >= 255 ? 255 : (int)floor(v + 0.5);
            ck_assert_msg(abs(px[i] - e) <= (fabs(v - floor(v) - 0.5) < 1e-4 ? 1 : 0),
                          "pixel %d: %g -> %d, want %d", i, (double)img[i], px[i], e);
            lo = px[i] < lo ? px[i] : lo;
            hi = px[i] > hi ? px[i] : hi;
        }
        ck_assert_msg(hi > lo, "a constant image");
        free(img);
        gan_sampler_free(a);
    }
    gan_model_free(g);
}
END_TEST

/* ---- interpolation ------------------------------------------------------------------ */

static double norm(const float *x, size_t n)
{
    return sqrt(tu_dot(x, x, n));
}

START_TEST(test_interpolate_linear)
{
    enum { D = 16, S = 5 };
    float z0[D], z1[D], out[S * D];
    tu_fill(z0, D, 1, -2, 2);
    tu_fill(z1, D, 2, -2, 2);
    ck_assert_int_eq(gan_latent_interpolate(z0, z1, D, S, 0, out, S * D), GAN_OK);
    ck_assert(memcmp(out, z0, sizeof z0) == 0);
    ck_assert(memcmp(out + (S - 1) * D, z1, sizeof z1) == 0);
    for (int i = 0; i < D; i++) {
        ck_assert_float_eq_tol(out[2 * D + i], 0.5f * (z0[i] + z1[i]), 1e-6f);
        ck_assert_float_eq_tol(out[1 * D + i], 0.75f * z0[i] + 0.25f * z1[i], 1e-6f);
    }
    /* steps == 2: just the endpoints. */
    ck_assert_int_eq(gan_latent_interpolate(z0, z1, D, 2, 1, out, 2 * D), GAN_OK);
    ck_assert(memcmp(out, z0, sizeof z0) == 0 && memcmp(out + D, z1, sizeof z1) == 0);
}
END_TEST

START_TEST(test_interpolate_slerp)
{
    enum { D = 32, S = 9 };
    float z0[D], z1[D], out[S * D], lin[S * D];
    double n0, n1, omega;
    tu_fill(z0, D, 3, -1, 1);
    tu_fill(z1, D, 4, -3, 3);
    n0 = norm(z0, D);
    n1 = norm(z1, D);
    omega = acos(tu_dot(z0, z1, D) / (n0 * n1));
    ck_assert_int_eq(gan_latent_interpolate(z0, z1, D, S, 1, out, S * D), GAN_OK);
    ck_assert(memcmp(out, z0, sizeof z0) == 0);
    ck_assert(memcmp(out + (S - 1) * D, z1, sizeof z1) == 0);
    for (int k = 0; k < S; k++) {
        const float *o = out + k * D;
        double t = k / (double)(S - 1), nk = norm(o, D);
        double a0 = acos(fmin(1.0, tu_dot(o, z0, D) / (nk * n0)));
        double a1 = acos(fmin(1.0, tu_dot(o, z1, D) / (nk * n1)));
        /* norm interpolated linearly; angle t*omega from z0, (1-t)*omega from z1 */
        ck_assert_msg(fabs(nk - ((1 - t) * n0 + t * n1)) < 1e-4 * n1, "k=%d norm %g", k, nk);
        ck_assert_msg(fabs(a0 - t * omega) < 1e-3 && fabs(a1 - (1 - t) * omega) < 1e-3,
                      "k=%d angles %g %g, omega %g", k, a0, a1, omega);
    }
    /* Parallel, antiparallel and zero vectors fall back to linear. */
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < D; i++)
            z1[i] = c == 0 ? 2.5f * z0[i] : c == 1 ? -z0[i] : 0.0f;
        ck_assert_int_eq(gan_latent_interpolate(z0, z1, D, S, 1, out, S * D), GAN_OK);
        ck_assert_int_eq(gan_latent_interpolate(z0, z1, D, S, 0, lin, S * D), GAN_OK);
        ck_assert_msg(tu_max_rel_err(out, lin, S * D, 1e-6) < 1e-5, "case %d", c);
        for (int i = 0; i < S * D; i++)
            ck_assert(isfinite(out[i]));
    }
}
END_TEST

START_TEST(test_interpolate_misuse)
{
    float z0[4] = {1, 2, 3, 4}, z1[4] = {0, 1, 0, 1}, out[12];
    TU_ASSERT_ERROR(gan_latent_interpolate(NULL, z1, 4, 3, 0, out, 12), GAN_EINVAL, "z0");
    TU_ASSERT_ERROR(gan_latent_interpolate(z0, NULL, 4, 3, 0, out, 12), GAN_EINVAL, "z1");
    TU_ASSERT_ERROR(gan_latent_interpolate(z0, z1, 4, 3, 0, NULL, 12), GAN_EINVAL, "out");
    TU_ASSERT_ERROR(gan_latent_interpolate(z0, z1, 0, 3, 0, out, 0), GAN_EINVAL, "dim");
    TU_ASSERT_ERROR(gan_latent_interpolate(z0, z1, 4, 1, 0, out, 4), GAN_EINVAL, "steps");
    TU_ASSERT_ERROR(gan_latent_interpolate(z0, z1, 4, 3, 1, out, 11), GAN_ESHAPE, "11", "12");
    TU_ASSERT_ERROR(gan_latent_interpolate(z0, z1, (size_t)1 << 62, 8, 1, out, 12), GAN_EINVAL,
                    "overflow");
    z1[2] = NAN;
    TU_ASSERT_ERROR(gan_latent_interpolate(z0, z1, 4, 3, 1, out, 12), GAN_ENUMERIC, "NaN");
}
END_TEST

/* ---- misuse ------------------------------------------------------------------------- */

START_TEST(test_sampler_misuse)
{
    gan_model *g = bn_dropout_generator();
    gan_model *d = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    gan_model *empty = tu_model(1, 4, 0, 0);
    gan_sampler *s = (gan_sampler *)&s, *ok;
    float z[16], img[2 * 192];
    uint8_t px[2 * 192];
    size_t L;

    TU_ASSERT_ERROR(gan_sampler_create(NULL, g, 0, 0), GAN_EINVAL, "out");
    TU_ASSERT_ERROR(gan_sampler_create(&s, NULL, 0, 0), GAN_EINVAL, "NULL");
    ck_assert_ptr_null(s);
    TU_ASSERT_ERROR(gan_sampler_create(&s, d, 0, 0), GAN_ESHAPE, "(28, 28, 1)", "vector");
    ck_assert_ptr_null(s);
    TU_ASSERT_ERROR(gan_sampler_create(&s, empty, 0, 0), GAN_ESTATE, "no layers");
    TU_ASSERT_ERROR(gan_sampler_create(&s, g, 0, GAN__MAX_BATCH + 1), GAN_EINVAL, "max_batch");

    ok = sampler(g, 0, 4);
    /* Wrong handle types both ways. */
    TU_ASSERT_ERROR(gan_sampler_create(&s, (const gan_model *)ok, 0, 0), GAN_ESTATE, "gan_model");
    TU_ASSERT_ERROR(gan_sampler_set_seed((gan_sampler *)g, 1), GAN_ESTATE, "gan_sampler");
    TU_ASSERT_ERROR(gan_sampler_generate((gan_sampler *)d, NULL, 0, 1, img, 192), GAN_ESTATE,
                    "gan_sampler");
    TU_ASSERT_ERROR(gan_sampler_set_seed(NULL, 1), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_sampler_dims(NULL, &L, NULL), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_sampler_dims(ok, NULL, NULL), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_sampler_latent(NULL, 1, z, 8), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_sampler_latent(ok, 1, NULL, 8), GAN_EINVAL, "z");
    TU_ASSERT_ERROR(gan_sampler_latent(ok, 0, z, 0), GAN_EINVAL, "n");
    TU_ASSERT_ERROR(gan_sampler_latent(ok, 2, z, 8), GAN_ESHAPE, "8", "16");
    TU_ASSERT_ERROR(gan_sampler_latent(ok, (size_t)1 << 62, z, 8), GAN_EINVAL, "overflow");
    /* generate and generate_u8: counts, NULLs, n == 0 */
    TU_ASSERT_ERROR(gan_sampler_generate(NULL, NULL, 0, 1, img, 192), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_sampler_generate(ok, NULL, 0, 0, img, 0), GAN_EINVAL, "n is 0");
    TU_ASSERT_ERROR(gan_sampler_generate(ok, NULL, 0, 1, NULL, 192), GAN_EINVAL, "out");
    TU_ASSERT_ERROR(gan_sampler_generate(ok, NULL, 0, 2, img, 192), GAN_ESHAPE, "192", "384");
    TU_ASSERT_ERROR(gan_sampler_generate(ok, z, 15, 2, img, 384), GAN_ESHAPE, "15", "16");
    TU_ASSERT_ERROR(gan_sampler_generate(ok, NULL, 16, 2, img, 384), GAN_EINVAL, "z_count");
    TU_ASSERT_ERROR(gan_sampler_generate_u8(ok, NULL, 0, 2, px, 383), GAN_ESHAPE, "383");
    TU_ASSERT_ERROR(gan_sampler_generate_u8(ok, NULL, 0, 2, NULL, 384), GAN_EINVAL, "out");
    TU_ASSERT_ERROR(gan_sampler_generate_u8(ok, NULL, 0, (size_t)1 << 62, px, 384), GAN_EINVAL,
                    "overflow");
    /* Nothing above consumed the stream or broke the sampler. */
    {
        gan_sampler *fresh = sampler(g, 0, 4);
        float a[2 * 192];
        ck_assert_int_eq(gan_sampler_generate(ok, NULL, 0, 2, img, 384), GAN_OK);
        ck_assert_int_eq(gan_sampler_generate(fresh, NULL, 0, 2, a, 384), GAN_OK);
        ck_assert(memcmp(a, img, sizeof a) == 0);
        gan_sampler_free(fresh);
    }
    /* A model changed under a sampler is refused, not overrun. */
    ck_assert_int_eq(gan_model_add_relu(g), GAN_OK);
    TU_ASSERT_ERROR(gan_sampler_generate(ok, NULL, 0, 2, img, 384), GAN_ESTATE, "changed");
    gan_sampler_free(ok);
    gan_sampler_free(NULL);
    gan_model_free(g);
    gan_model_free(d);
    gan_model_free(empty);
}
END_TEST

START_TEST(test_png_misuse)
{
    uint8_t px[2 * 3 * 3 * 3] = {0};
    void *buf = (void *)px;
    size_t len = 7;
    TU_ASSERT_ERROR(gan_png_encode_grid(NULL, 2, 3, 3, 3, 0, 1, &buf, &len), GAN_EINVAL, "images");
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(len, 0);
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 3, 3, 3, 0, 1, NULL, &len), GAN_EINVAL, "buf");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 3, 3, 3, 0, 1, &buf, NULL), GAN_EINVAL, "len");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 0, 3, 3, 3, 0, 1, &buf, &len), GAN_EINVAL, "n is 0");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 0, 3, 3, 0, 1, &buf, &len), GAN_EINVAL, "0x3");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 3, -1, 3, 0, 1, &buf, &len), GAN_EINVAL, "3x-1");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 3, 3, 2, 0, 1, &buf, &len), GAN_EINVAL, "2 channels");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 3, 3, 3, -1, 1, &buf, &len), GAN_EINVAL, "cols");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 3, 3, 3, 0, -2, &buf, &len), GAN_EINVAL, "pad");
    /* Too many pixels, checked before anything is read or allocated. */
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 1 << 14, 1 << 14, 1, 0, 0, &buf, &len), GAN_EINVAL,
                    "larger than");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, (size_t)1 << 40, 1, 1, 1, 0, 0, &buf, &len), GAN_EINVAL,
                    "images");
    TU_ASSERT_ERROR(gan_png_encode_grid(px, 2, 3, 3, 3, 1 << 30, 1 << 20, &buf, &len), GAN_EINVAL,
                    "larger than");
    TU_ASSERT_ERROR(gan_png_write_grid(NULL, px, 2, 3, 3, 3, 0, 1), GAN_EINVAL, "path");
    TU_ASSERT_ERROR(gan_png_write_grid("/nonexistent-dir/x.png", px, 2, 3, 3, 3, 0, 1), GAN_EIO,
                    "nonexistent-dir");
    TU_ASSERT_ERROR(gan_png_write_grid("x.png", px, 2, 3, 3, 5, 0, 1), GAN_EINVAL, "5 channels");
    /* A valid call for contrast: signature, IHDR, width 3*2+3, height 3+2. */
    ck_assert_int_eq(gan_png_encode_grid(px, 2, 3, 3, 3, 0, 1, &buf, &len), GAN_OK);
    ck_assert_uint_gt(len, 8 + 25 + 12 + 12);
    ck_assert(memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0);
    ck_assert(memcmp((unsigned char *)buf + 12, "IHDR\0\0\0\x09\0\0\0\x05\x08\x02", 14) == 0);
    ck_assert(memcmp((unsigned char *)buf + len - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0);
    gan_free(buf);
}
END_TEST

/* ---- allocation failures ---------------------------------------------------------- */

START_TEST(test_oom)
{
    /* Fail the k-th allocation of create + generate_u8 + PNG encode for
       every k: each fails cleanly with GAN_ENOMEM and leaks nothing. */
    tu_oom o;
    gan_model *m;
    int done = 0;
    tu_oom_install(&o);
    m = bn_dropout_generator();
    for (long k = 0; !done && k < 200; k++) {
        gan_sampler *s = NULL;
        uint8_t px[3 * 192];
        void *buf = NULL;
        size_t len = 0;
        gan_status st;
        long live0 = o.live;
        tu_oom_fail_after(&o, k, 0);
        st = gan_sampler_create(&s, m, 1, 2);
        if (st == GAN_OK)
            st = gan_sampler_generate_u8(s, NULL, 0, 3, px, sizeof px);
        if (st == GAN_OK)
            st = gan_png_encode_grid(px, 3, 8, 8, 3, 0, 1, &buf, &len);
        ck_assert_msg(st == GAN_OK || st == GAN_ENOMEM, "k=%ld: %s", k, gan_last_error());
        if (st == GAN_OK) {
            ck_assert_msg(o.failures == 0, "k=%ld: succeeded although an allocation failed", k);
            done = 1;
        } else if (s == NULL) {
            ck_assert_int_eq(o.live, live0);
        }
        gan_free(buf);
        gan_sampler_free(s);
        ck_assert_msg(o.live == live0, "k=%ld: %ld blocks leaked", k, o.live - live0);
    }
    ck_assert(done);
    tu_oom_never(&o);
    gan_model_free(m);
    ck_assert_int_eq(o.live, 0);
    tu_oom_uninstall();
}
END_TEST

static Suite *sample_suite(void)
{
    Suite *s = suite_create("sample");
    TCase *t = tcase_create("sampler");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_matches_forward_presets);
    tcase_add_test(t, test_matches_forward_bn_dropout);
    tcase_add_test(t, test_leaves_model_alone);
    tcase_add_test(t, test_chunking_equals_one_pass);
    tcase_add_test(t, test_seeds);
    tcase_add_test(t, test_u8_values);
    tcase_add_test(t, test_sampler_misuse);
    tcase_add_test(t, test_oom);
    suite_add_tcase(s, t);
    t = tcase_create("interpolate");
    tcase_add_test(t, test_interpolate_linear);
    tcase_add_test(t, test_interpolate_slerp);
    tcase_add_test(t, test_interpolate_misuse);
    suite_add_tcase(s, t);
    t = tcase_create("png");
    tcase_add_test(t, test_png_misuse);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(sample_suite());
}
