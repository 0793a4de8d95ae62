/*
 * check_spectral_norm.c -- spectral normalisation of dense, conv2d and
 * conv2d_transpose layers (issue 10).
 *
 * Independent oracles: each kernel is rebuilt here as the matrix with one
 * row per output unit or filter (the test's own index formulas), its
 * largest singular value comes from a Jacobi eigen-decomposition of M M^T
 * in double, the power iteration is redone in double, and outputs are
 * compared with the plain layer's naive twins run on W / sigma.  Gradients
 * are checked by central differences in inference mode (u fixed: there the
 * layer's formula is the exact derivative) and in training mode with u
 * restored before every forward (at the fixed point of the iteration the
 * treatment of u and v as constants is exact too).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "train/train.h"
#include "metrics/metrics.h"
#include "test_util.h"

typedef struct sn_case {
    const char *name;
    gan_layer_kind kind;
    size_t ndim;
    int in[3];
    int out;                  /* units or filters */
    int kh, kw, sh, sw;
} sn_case;

static const sn_case cases[] = {
    {"dense", GAN_LAYER_DENSE, 1, {9, 0, 0}, 6, 0, 0, 0, 0},
    {"conv2d", GAN_LAYER_CONV2D, 3, {6, 5, 3}, 4, 3, 2, 2, 1},
    {"conv2d_transpose", GAN_LAYER_CONV2D_TRANSPOSE, 3, {3, 4, 2}, 3, 3, 3, 2, 2},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* Rows and columns of the kernel's matrix. */
static int mat_rows(const sn_case *c)
{
    return c->out;
}

static int mat_cols(const sn_case *c)
{
    return c->kind == GAN_LAYER_DENSE ? c->in[0] : c->kh * c->kw * c->in[2];
}

static size_t kernel_size(const sn_case *c)
{
    return (size_t)mat_rows(c) * (size_t)mat_cols(c);
}

/* M (rows x cols, row-major, double) from the Keras-layout kernel w. */
static void to_matrix(const sn_case *c, const float *w, double *M)
{
    const int O = mat_rows(c), In = mat_cols(c);
    if (c->kind == GAN_LAYER_DENSE) {
        for (int o = 0; o < O; o++)
            for (int d = 0; d < In; d++)
                M[o * In + d] = w[d * O + o];         /* (in, units) */
        return;
    }
    for (int o = 0; o < O; o++)
        for (int ky = 0; ky < c->kh; ky++)
            for (int kx = 0; kx < c->kw; kx++)
                for (int ch = 0; ch < c->in[2]; ch++) {
                    const int C = c->in[2], s = ky * c->kw + kx;
                    const int j = s * C + ch;
                    M[o * In + j] = c->kind == GAN_LAYER_CONV2D
                                        ? w[(s * C + ch) * O + o]    /* (kh, kw, C, F) */
                                        : w[(s * O + o) * C + ch];   /* (kh, kw, F, C) */
                }
}

/* Largest singular value of M: sqrt of the largest eigenvalue of M M^T. */
static double sigma_max(const double *M, int O, int In)
{
    double *a = calloc((size_t)O * O, sizeof *a), *ev = calloc((size_t)O, sizeof *ev), s;
    ck_assert(a && ev);
    for (int i = 0; i < O; i++)
        for (int j = 0; j < O; j++) {
            double acc = 0.0;
            for (int k = 0; k < In; k++)
                acc += M[i * In + k] * M[j * In + k];
            a[i * O + j] = acc;
        }
    OK(gan__sym_eig_ref(a, (size_t)O, ev, 0));
    s = sqrt(ev[O - 1]);
    free(a);
    free(ev);
    return s;
}

static double dnorm(const double *x, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s);
}

/*
 * The estimate in double.  u0: the stored u (any length).  Training: one
 * power iteration, u1 gets the new u; inference (u1 NULL): u0 only read.
 * Returns sigma = u^T M v, computed as that product.
 */
static double naive_sigma(const double *M, int O, int In, const float *u0, double *u1)
{
    double *u = calloc((size_t)O, sizeof *u), *v = calloc((size_t)In, sizeof *v);
    double *mv = calloc((size_t)O, sizeof *mv), n, sigma = 0.0;
    ck_assert(u && v && mv);
    for (int o = 0; o < O; o++)
        u[o] = u0[o];
    n = dnorm(u, O);
    for (int o = 0; o < O; o++)
        u[o] /= n;
    for (int j = 0; j < In; j++)
        for (int o = 0; o < O; o++)
            v[j] += M[o * In + j] * u[o];
    n = dnorm(v, In);
    for (int j = 0; j < In; j++)
        v[j] /= n;
    for (int o = 0; o < O; o++)
        for (int j = 0; j < In; j++)
            mv[o] += M[o * In + j] * v[j];
    if (u1) {
        n = dnorm(mv, O);
        for (int o = 0; o < O; o++)
            u[o] = u1[o] = mv[o] / n;
    }
    for (int o = 0; o < O; o++)
        sigma += u[o] * mv[o];
    free(u);
    free(v);
    free(mv);
    return sigma;
}

static void add_case_layer(gan_model *m, const sn_case *c, int sn, int use_bias)
{
    if (c->kind == GAN_LAYER_DENSE) {
        gan_dense_config d;
        OK(GAN_DENSE_CONFIG_INIT(&d));
        d.units = c->out;
        d.use_bias = use_bias;
        d.spectral_norm = sn;
        OK(gan_model_add_dense(m, &d));
    } else {
        gan_conv2d_config k;
        OK(GAN_CONV2D_CONFIG_INIT(&k));
        k.filters = c->out;
        k.kernel_h = c->kh;
        k.kernel_w = c->kw;
        k.stride_h = c->sh;
        k.stride_w = c->sw;
        k.padding = GAN_PADDING_SAME;
        k.use_bias = use_bias;
        k.spectral_norm = sn;
        if (c->kind == GAN_LAYER_CONV2D)
            OK(gan_model_add_conv2d(m, &k));
        else
            OK(gan_model_add_conv2d_transpose(m, &k));
    }
}

/* The case's layer, optionally followed by tanh (and for images flatten)
   and a plain dense layer of 3 units, so dy varies. */
static gan_model *case_model(const sn_case *c, int sn, int tail)
{
    gan_model *m = NULL;
    OK(gan_model_create(&m, c->ndim, c->in));
    add_case_layer(m, c, sn, 1);
    if (tail) {
        gan_dense_config d;
        OK(gan_model_add_tanh(m));
        if (c->ndim == 3)
            OK(gan_model_add_flatten(m));
        OK(GAN_DENSE_CONFIG_INIT(&d));
        d.units = 3;
        OK(gan_model_add_dense(m, &d));
    }
    return m;
}

/* The plain layer's output computed naively with kernel wsn and bias b. */
static void naive_layer(const gan_model *m, const sn_case *c, const float *x, size_t n, const float *wsn,
                        const float *b, float *y)
{
    const gan__layer *l = &m->layers[0];
    if (c->kind == GAN_LAYER_DENSE) {
        const int D = c->in[0], U = c->out;
        for (size_t s = 0; s < n; s++)
            for (int o = 0; o < U; o++) {
                double acc = b[o];
                for (int d = 0; d < D; d++)
                    acc += (double)x[s * D + d] * wsn[d * U + o];
                y[s * U + o] = (float)acc;
            }
    } else if (c->kind == GAN_LAYER_CONV2D) {
        gan__conv2d_forward_ref(&l->u.conv.g, c->out, (int)n, x, wsn, b, y);
    } else {
        gan__deconv2d_forward_ref(&l->u.conv.g, c->in[2], (int)n, x, wsn, b, y);
    }
}

/* max |a - b| relative to the largest |b|: float GEMMs against double sums. */
static double scaled_err(const float *a, const float *b, size_t n)
{
    double e = 0.0, s = 1e-30;
    for (size_t i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    return e / s;
}

static size_t in_elems(const sn_case *c)
{
    return c->ndim == 1 ? (size_t)c->in[0] : (size_t)c->in[0] * c->in[1] * c->in[2];
}

/* ---- values ------------------------------------------------------------------- */

/* Forward in both modes equals the plain layer on W / sigma, sigma from the
   power iteration redone in double; training updates u, inference not. */
START_TEST(test_forward_values)
{
    const sn_case *c = &cases[_i];
    enum { N = 3 };
    gan_model *m = case_model(c, 1, 0);
    const int O = mat_rows(c), In = mat_cols(c);
    const size_t nk = kernel_size(c), np = tu_layer_params(m, 0), ine = in_elems(c);
    const size_t oute = tu_out_elems(m);
    float *w = tu_alloc(np), *wsn = tu_alloc(np), *x = tu_alloc(N * ine), *y = tu_alloc(N * oute);
    float *yref = tu_alloc(N * oute), *u0 = tu_alloc((size_t)O), *u = tu_alloc((size_t)O);
    float *u2 = tu_alloc((size_t)O);
    double *M = calloc(nk, sizeof *M), *u1 = calloc((size_t)O, sizeof *u1), sigma;
    size_t ns = 0;
    ck_assert(M && u1);
    OK(gan_model_layer_sizes(m, 0, NULL, &ns));
    ck_assert_uint_eq(ns, (size_t)O);
    tu_randomize_params(m, 11 + (uint64_t)_i, 0.5f);
    OK(gan_model_get_params(m, 0, w, np));
    ck_assert_msg(tu_max_abs(w + nk, np - nk) > 0.0, "bias is zero: the test would not see it");
    tu_fill(u0, (size_t)O, 21, -2.0f, 2.0f);  /* not a unit vector: the layer normalises */
    OK(gan_model_set_state(m, 0, u0, (size_t)O));
    tu_fill(x, N * ine, 31, -1.0f, 1.0f);
    to_matrix(c, w, M);

    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_TRAIN, y, N * oute));
    sigma = naive_sigma(M, O, In, u0, u1);
    OK(gan_model_get_state(m, 0, u, (size_t)O));
    for (int o = 0; o < O; o++)
        ck_assert_msg(fabs(u[o] - u1[o]) < 1e-6, "%s: u[%d] = %g, expected %g", c->name, o, u[o], u1[o]);
    for (size_t i = 0; i < np; i++)
        wsn[i] = i < nk ? (float)(w[i] / sigma) : w[i];
    naive_layer(m, c, x, N, wsn, wsn + nk, yref);
    ck_assert_msg(scaled_err(y, yref, N * oute) < 2e-6, "%s: training forward differs by %g",
                  c->name, scaled_err(y, yref, N * oute));

    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_INFER, y, N * oute));
    OK(gan_model_get_state(m, 0, u2, (size_t)O));
    ck_assert_mem_eq(u, u2, (size_t)O * sizeof(float));
    sigma = naive_sigma(M, O, In, u, NULL);
    for (size_t i = 0; i < nk; i++)
        wsn[i] = (float)(w[i] / sigma);
    naive_layer(m, c, x, N, wsn, wsn + nk, yref);
    ck_assert_msg(scaled_err(y, yref, N * oute) < 2e-6, "%s: inference forward differs by %g",
                  c->name, scaled_err(y, yref, N * oute));
    free(w), free(wsn), free(x), free(y), free(yref), free(u0), free(u), free(u2), free(M), free(u1);
    gan_model_free(m);
}
END_TEST

/* Training forwards drive sigma to the largest singular value. */
START_TEST(test_sigma_converges)
{
    const sn_case *c = &cases[_i];
    gan_model *m = case_model(c, 1, 0);
    const int O = mat_rows(c), In = mat_cols(c);
    const size_t nk = kernel_size(c), np = tu_layer_params(m, 0), ine = in_elems(c);
    float *w = tu_alloc(np), *x = tu_alloc(ine), *u = tu_alloc((size_t)O);
    double *M = calloc(nk, sizeof *M), truth, first, est, nu = 0.0;
    ck_assert(M != NULL);
    tu_randomize_params(m, 5 + (uint64_t)_i, 1.0f);
    OK(gan_model_get_params(m, 0, w, np));
    to_matrix(c, w, M);
    truth = sigma_max(M, O, In);
    OK(gan_model_get_state(m, 0, u, (size_t)O));
    first = naive_sigma(M, O, In, u, NULL);
    tu_fill(x, ine, 3, -1.0f, 1.0f);
    for (int it = 0; it < 300; it++)
        OK(gan_model_forward(m, x, ine, 1, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_get_state(m, 0, u, (size_t)O));
    for (int o = 0; o < O; o++)
        nu += (double)u[o] * u[o];
    ck_assert_msg(fabs(sqrt(nu) - 1.0) < 1e-5, "%s: |u| = %g", c->name, sqrt(nu));
    est = naive_sigma(M, O, In, u, NULL);
    ck_assert_msg(fabs(est - truth) <= 1e-5 * truth, "%s: sigma %.9g after 300 iterations, largest "
                  "singular value %.9g (random u gave %.6g)", c->name, est, truth, first);
    ck_assert_msg(first < truth * (1 - 1e-3), "%s: the random u already gave sigma %g of %g: the "
                  "test does not see convergence", c->name, first, truth);
    free(w), free(x), free(u), free(M);
    gan_model_free(m);
}
END_TEST

/* gan__infer (samplers, metrics, the CLI) gives gan_model_forward's
   inference output bit for bit and leaves u alone. */
START_TEST(test_infer_buffers_match_forward)
{
    const sn_case *c = &cases[_i];
    enum { N = 4 };
    gan_model *m = case_model(c, 1, 1);
    const size_t ine = in_elems(c), oute = tu_out_elems(m);
    const int O = mat_rows(c);
    float *x = tu_alloc(N * ine), *y1 = tu_alloc(N * oute), *y2 = tu_alloc(N * oute);
    float *u = tu_alloc((size_t)O), *u2 = tu_alloc((size_t)O);
    gan__infer_buf b;
    tu_randomize_params(m, 8, 0.5f);
    tu_fill(x, N * ine, 4, -1.0f, 1.0f);
    for (int it = 0; it < 3; it++)
        OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_get_state(m, 0, u, (size_t)O));
    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_INFER, y1, N * oute));
    OK(gan__infer_buf_init(&b, m, N));
    OK(gan__infer(m, &b, x, NULL, N, y2));
    ck_assert_mem_eq(y1, y2, N * oute * sizeof(float));
    gan__infer_buf_free(&b);
    /* Passes of 3 then 1: the same values up to rounding. */
    OK(gan__infer_buf_init(&b, m, 3));
    OK(gan__infer(m, &b, x, NULL, N, y2));
    ck_assert(tu_max_rel_err(y1, y2, N * oute, 1e-3) < 1e-5);
    OK(gan_model_get_state(m, 0, u2, (size_t)O));
    ck_assert_mem_eq(u, u2, (size_t)O * sizeof(float));
    /* Switching the option changes the plan: old buffers refuse. */
    OK(gan_model_set_spectral_norm(m, 0, 0));
    TU_ASSERT_ERROR(gan__infer(m, &b, x, NULL, N, y2), GAN_ESTATE, "changed");
    gan__infer_buf_free(&b);
    free(x), free(y1), free(y2), free(u), free(u2);
    gan_model_free(m);
}
END_TEST

/* ---- gradients ------------------------------------------------------------------ */

/* The case's layer, spectrally normalised, then tanh and a plain dense
   layer of 3 units (so dy varies); parameters from seed 17. */
static gan_model *gradient_model(int idx)
{
    gan_model *m = case_model(&cases[idx], 1, 1);
    tu_randomize_params(m, 17, 0.5f);
    return m;
}

/* Every input and every parameter.  Inference: u fixed, the layer's
   formula is the exact derivative.  Training: u at the power iteration's
   fixed point after 300 training forwards, and restored before every
   evaluation; there treating u and v as constants is exact too. */
#define SN_TOL                                                                             \
    .eps = 1e-2f, .rtol = 2e-3, .atol = 5e-4, .max_checks = 0, .max_skip_frac = 0.05,      \
    .min_numeric = 1e-3, .restore_state = 1
#define INFER(name, i)                                                                     \
    {name ", inference", gradient_model, i, .batch = 3, .mode = GAN_MODE_INFER,             \
     .input_seed = 2, SN_TOL}
#define TRAIN(name, i)                                                                     \
    {name ", training", gradient_model, i, .batch = 3, .mode = GAN_MODE_TRAIN,              \
     .input_seed = 2, .warmup = 300, SN_TOL}

static const tu_grad_case grad_cases[] = {
    INFER("dense", 0), INFER("conv2d", 1), INFER("conv2d_transpose", 2),
    TRAIN("dense", 0), TRAIN("conv2d", 1), TRAIN("conv2d_transpose", 2),
};
#define N_GRAD_CASES (sizeof grad_cases / sizeof grad_cases[0])

START_TEST(test_grad_case)
{
    tu_run_grad_case(&grad_cases[_i]);
}
END_TEST

/* The backward contract of nn/nn.h: it accumulates, may run twice
   after one forward, and without parameter gradients (frozen layer, or
   accum = 0) gives the same dx. */
START_TEST(test_backward_contract)
{
    const sn_case *c = &cases[_i];
    enum { N = 2 };
    gan_model *m = case_model(c, 1, 1);
    const size_t ine = in_elems(c), oute = tu_out_elems(m), np = tu_layer_params(m, 0);
    float *x = tu_alloc(N * ine), *dy = tu_alloc(N * oute), *dx1 = tu_alloc(N * ine);
    float *dx2 = tu_alloc(N * ine), *g1 = tu_alloc(np), *g2 = tu_alloc(np);
    tu_randomize_params(m, 3, 0.5f);
    tu_fill(x, N * ine, 5, -1.0f, 1.0f);
    tu_fill(dy, N * oute, 6, -1.0f, 1.0f);
    OK(gan_model_zero_grad(m));
    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_backward(m, dy, N * oute, dx1, N * ine));
    OK(gan_model_get_grads(m, 0, g1, np));
    ck_assert(tu_max_abs(g1, np) > 0.0);
    OK(gan_model_backward(m, dy, N * oute, dx2, N * ine));
    OK(gan_model_get_grads(m, 0, g2, np));
    ck_assert_mem_eq(dx1, dx2, N * ine * sizeof(float));
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(g2[i] == 2.0f * g1[i], "gradient %zu: %g after two backwards, %g after one", i,
                      g2[i], g1[i]);
    /* No parameter gradients: the generator's pass through D. */
    OK(gan_model_zero_grad(m));
    OK(gan__model_backward_from(m, tu_layers(m), dy, dx2, 0));
    ck_assert_mem_eq(dx1, dx2, N * ine * sizeof(float));
    OK(gan_model_get_grads(m, 0, g2, np));
    ck_assert(tu_max_abs(g2, np) == 0.0);
    OK(gan_model_set_trainable(m, 0, 0));
    OK(gan_model_backward(m, dy, N * oute, dx2, N * ine));
    ck_assert_mem_eq(dx1, dx2, N * ine * sizeof(float));
    OK(gan_model_get_grads(m, 0, g2, np));
    ck_assert(tu_max_abs(g2, np) == 0.0);
    free(x), free(dy), free(dx1), free(dx2), free(g1), free(g2);
    gan_model_free(m);
}
END_TEST

/* ---- state and the option ---------------------------------------------------------- */

START_TEST(test_state_validation_and_counts)
{
    gan_model *m = case_model(&cases[1], 1, 0), *plain = case_model(&cases[1], 0, 0);
    float u[4] = {0, 0, 0, 0};
    size_t total, trainable, total_plain;
    char buf[1024];
    TU_ASSERT_ERROR(gan_model_set_state(m, 0, u, 4), GAN_EINVAL, "layer 0", "all zero");
    u[2] = NAN;
    TU_ASSERT_ERROR(gan_model_set_state(m, 0, u, 4), GAN_ENUMERIC, "layer 0");
    TU_ASSERT_ERROR(gan_model_set_state(m, 0, u, 3), GAN_ESHAPE, "4");
    u[2] = -3.0f;                             /* negative values are fine for u */
    OK(gan_model_set_state(m, 0, u, 4));
    OK(gan_model_param_count(m, &total, &trainable));
    OK(gan_model_param_count(plain, &total_plain, NULL));
    ck_assert_uint_eq(total, total_plain + 4);
    ck_assert_uint_eq(trainable, total_plain);
    OK(gan_model_summary(m, buf, sizeof buf, NULL));
    ck_assert_msg(strstr(buf, "conv2d (sn)") != NULL, "%s", buf);
    OK(gan_model_summary(plain, buf, sizeof buf, NULL));
    ck_assert(strstr(buf, "(sn)") == NULL);
    gan_model_free(m);
    gan_model_free(plain);
}
END_TEST

/* spectral_norm is part of release 1.0's structs (the frozen sizes of
   libgan/config.c): a config that ends before it is refused, not read as
   "off" (check_abi_handshake covers the handshake of every struct). */
START_TEST(test_config_struct_sizes)
{
    gan_model *m = NULL;
    int in[3] = {4, 4, 2};
    gan_dense_config d;
    gan_conv2d_config c;
    size_t ns;
    ck_assert_uint_eq(offsetof(gan_dense_config, spectral_norm), sizeof(uint32_t) + 2 * sizeof(int));
    TU_ASSERT_ERROR(gan_dense_config_init(&d, offsetof(gan_dense_config, spectral_norm)),
                    GAN_EINVAL, "struct size");
    TU_ASSERT_ERROR(gan_conv2d_config_init(&c, offsetof(gan_conv2d_config, spectral_norm)),
                    GAN_EINVAL, "struct size");
    OK(gan_model_create(&m, 3, in));
    OK(GAN_CONV2D_CONFIG_INIT(&c));
    c.filters = 2;
    c.spectral_norm = 1;
    c.struct_size = (uint32_t)offsetof(gan_conv2d_config, spectral_norm);
    TU_ASSERT_ERROR(gan_model_add_conv2d(m, &c), GAN_EINVAL, "struct_size");
    c.struct_size = (uint32_t)sizeof c;
    c.spectral_norm = 0;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_flatten(m));
    OK(gan_model_layer_sizes(m, 0, NULL, &ns));
    ck_assert_uint_eq(ns, 0);
    /* Full-size configs turn it on. */
    OK(GAN_DENSE_CONFIG_INIT(&d));
    ck_assert_int_eq(d.spectral_norm, 0);
    d.units = 3;
    d.spectral_norm = 1;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_layer_sizes(m, 2, NULL, &ns));
    ck_assert_uint_eq(ns, 3);
    gan_model_free(m);
}
END_TEST

/* A discriminator of every normalisable kind with batchnorm in between. */
static gan_model *mixed_model(int sn)
{
    gan_model *m = tu_model(3, 6, 6, 2);
    gan_conv2d_config c = tu_conv_config(3, 3, 2, GAN_PADDING_SAME);
    gan_dense_config d = tu_dense_config(1);
    c.spectral_norm = sn;
    OK(gan_model_add_conv2d(m, &c));
    OK(gan_model_add_batchnorm(m, NULL));
    OK(gan_model_add_leaky_relu(m, 0.2f));
    c.filters = 2;
    OK(gan_model_add_conv2d_transpose(m, &c));
    OK(gan_model_add_flatten(m));
    d.spectral_norm = sn;
    OK(gan_model_add_dense(m, &d));
    OK(gan_model_init_params(m, 77));
    return m;
}

/* Layers appended after gan_model_set_spectral_norm grow the state arena it
   replaced: normalised dense layers added after the switch get the same
   state as a model built normalised from the start (an exact-size arena
   with a stale capacity was written past its end; ASan sees it). */
START_TEST(test_set_spectral_norm_then_append)
{
    gan_model *built = mixed_model(1), *m = mixed_model(0);
    gan_dense_config d = tu_dense_config(1);
    float *s1, *s2;
    size_t n1, n2;
    OK(gan_model_set_spectral_norm(m, -1, 1));
    d.spectral_norm = 1;
    for (int i = 0; i < 6; i++) {
        d.units = 4 + i;
        OK(gan_model_add_dense(built, &d));
        OK(gan_model_add_dense(m, &d));
    }
    s1 = tu_all_state(built, &n1);
    s2 = tu_all_state(m, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_uint_eq(n1, 6 + 3 + 2 + 1 + (4 + 5 + 6 + 7 + 8 + 9));
    /* The appended layers' u (after the first 12 values) as built so. */
    ck_assert_mem_eq(s1 + 12, s2 + 12, (n1 - 12) * sizeof(float));
    free(s1);
    free(s2);
    gan_model_free(built);
    gan_model_free(m);
}
END_TEST

START_TEST(test_set_spectral_norm)
{
    enum { N = 3 };
    gan_model *built = mixed_model(1), *m = mixed_model(0), *plain = mixed_model(0);
    const size_t ine = 6 * 6 * 2;
    static const float bn_init[6] = {0, 0, 0, 1, 1, 1};
    float x[N * 72], y1[N], y2[N], bn[6], bn2[6];
    float *s1, *s2;
    size_t n1, n2;
    tu_fill(x, N * ine, 9, -1.0f, 1.0f);
    /* Batchnorm statistics (before the normalised layers) survive the switch. */
    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_get_state(m, 1, bn, 6));
    OK(gan_model_set_spectral_norm(m, -1, 1));
    OK(gan_model_get_state(m, 1, bn2, 6));
    ck_assert_mem_eq(bn, bn2, sizeof bn);
    OK(gan_model_set_state(m, 1, bn_init, 6));
    /* Now m is what the config would have built (u too), bit for bit. */
    s1 = tu_all_state(built, &n1);
    s2 = tu_all_state(m, &n2);
    ck_assert_uint_eq(n1, 6 + 3 + 2 + 1);
    ck_assert_uint_eq(n1, n2);
    ck_assert_mem_eq(s1, s2, n1 * sizeof(float));
    OK(gan_model_forward(built, x, N * ine, N, GAN_MODE_TRAIN, y1, N));
    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_TRAIN, y2, N));
    ck_assert_mem_eq(y1, y2, sizeof y1);
    /* Off again (one layer, then the rest): the plain network's outputs. */
    OK(gan_model_set_spectral_norm(m, 5, 0));
    OK(gan_model_set_spectral_norm(m, -1, 0));
    OK(gan_model_set_state(plain, 1, bn_init, 6));
    OK(gan_model_set_state(m, 1, bn_init, 6));
    OK(gan_model_forward(plain, x, N * ine, N, GAN_MODE_INFER, y1, N));
    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_INFER, y2, N));
    ck_assert_mem_eq(y1, y2, sizeof y1);
    free(s2);
    s2 = tu_all_state(m, &n2);
    ck_assert_uint_eq(n2, 6);
    /* Misuse. */
    TU_ASSERT_ERROR(gan_model_set_spectral_norm(m, 2, 1), GAN_EINVAL, "leaky_relu", "dense");
    TU_ASSERT_ERROR(gan_model_set_spectral_norm(m, 6, 1), GAN_EINVAL, "out of range");
    ck_assert_int_eq(gan_model_set_spectral_norm(NULL, -1, 1), GAN_EINVAL);
    /* Setting what is already set changes nothing (u is kept). */
    OK(gan_model_forward(built, x, N * ine, N, GAN_MODE_TRAIN, NULL, 0));
    free(s1);
    s1 = tu_all_state(built, &n1);
    OK(gan_model_set_spectral_norm(built, 0, 1));
    free(s2);
    s2 = tu_all_state(built, &n2);
    ck_assert_mem_eq(s1, s2, n1 * sizeof(float));
    free(s1);
    free(s2);
    gan_model_free(built);
    gan_model_free(m);
    gan_model_free(plain);
}
END_TEST

/* Trainers and samplers made before the switch refuse to run. */
START_TEST(test_switch_after_trainer_or_sampler)
{
    tu_pair p;
    tu_pair_config c;
    gan_sampler *s = NULL;
    float x[8 * 2], out[2 * 2];
    tu_pair_config_init(&c);
    c.hidden = 8;                    /* G 4 -> 8 -> relu -> 2, D 2 -> 8 -> 1 */
    OK(tu_pair_create(&p, &c));
    OK(gan_sampler_create(&s, p.g, 1, 2));
    tu_fill(x, 16, 1, -1.0f, 1.0f);
    OK(gan_trainer_step(p.t, x, 16, 8, NULL));
    OK(gan_model_set_spectral_norm(p.d, -1, 1));
    TU_ASSERT_ERROR(gan_trainer_step(p.t, x, 16, 8, NULL), GAN_ESTATE, "discriminator", "spectral");
    OK(gan_sampler_generate(s, NULL, 0, 2, out, 4));
    OK(gan_model_set_spectral_norm(p.g, 2, 1));
    TU_ASSERT_ERROR(gan_sampler_generate(s, NULL, 0, 2, out, 4), GAN_ESTATE, "changed");
    gan_sampler_free(s);
    gan_trainer_free(p.t);
    /* A trainer made now works. */
    OK(gan_trainer_create(&p.t, p.g, p.d, p.g_opt, p.d_opt, p.loss, NULL));
    OK(gan_trainer_step(p.t, x, 16, 8, NULL));
    tu_pair_free(&p);
}
END_TEST

/* ---- files ------------------------------------------------------------------------- */

START_TEST(test_model_file_round_trip)
{
    enum { N = 3 };
    gan_model *m = mixed_model(1), *back = NULL, *plain = mixed_model(0);
    const size_t ine = 72;
    float x[N * 72], y1[N], y2[N];
    float *s1, *s2;
    size_t n1, n2, len;
    void *buf;
    unsigned char *b;
    char sum[2048];
    tu_fill(x, N * ine, 2, -1.0f, 1.0f);
    for (int it = 0; it < 4; it++)
        OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_TRAIN, NULL, 0));
    OK(gan_model_save_mem(m, &buf, &len));
    b = buf;
    ck_assert_uint_eq(b[8], 1);                /* required flag: spectral normalisation */
    OK(gan_model_load_mem(&back, buf, len));
    s1 = tu_all_state(m, &n1);
    s2 = tu_all_state(back, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_mem_eq(s1, s2, n1 * sizeof(float));
    OK(gan_model_forward(m, x, N * ine, N, GAN_MODE_INFER, y1, N));
    OK(gan_model_forward(back, x, N * ine, N, GAN_MODE_INFER, y2, N));
    ck_assert_mem_eq(y1, y2, sizeof y1);
    OK(gan_model_summary(back, sum, sizeof sum, NULL));
    ck_assert_msg(strstr(sum, "conv2d (sn)") && strstr(sum, "conv2d_transpose (sn)") &&
                  strstr(sum, "dense (sn)"), "%s", sum);
    gan_model_free(back);
    back = NULL;
    /* Readers that do not know the flag refuse it (version check); a file
       whose layers claim the option without the flag is malformed. */
    b[8] = 0;
    tu_fix_header_crc(b);
    TU_ASSERT_ERROR(gan_model_load_mem(&back, buf, len), GAN_EFORMAT, "spectral normalisation",
                    "flag");
    b[8] = 5;   /* bit 2: unknown (bit 1 is the equalised learning rate) */
    tu_fix_header_crc(b);
    TU_ASSERT_ERROR(gan_model_load_mem(&back, buf, len), GAN_EVERSION, "newer libgan");
    gan_free(buf);
    /* Files without the option are written exactly as before: flags 0. */
    OK(gan_model_save_mem(plain, &buf, &len));
    ck_assert_uint_eq(((unsigned char *)buf)[8], 0);
    gan_free(buf);
    /* A zero u is refused on load. */
    memset(m->state + m->layers[0].state_off, 0, 3 * sizeof(float));
    OK(gan_model_save_mem(m, &buf, &len));
    TU_ASSERT_ERROR(gan_model_load_mem(&back, buf, len), GAN_EFORMAT, "layer 0", "all zero");
    gan_free(buf);
    free(s1);
    free(s2);
    gan_model_free(m);
    gan_model_free(plain);
}
END_TEST

/* ---- training ---------------------------------------------------------------------- */

/* Latent 4 -> hidden -> hidden -> 2 (plain, ReLU) against a spectrally
   normalised D 2 -> hidden -> hidden -> 1, Adam(lr, 0.5). */
static void make_sn_pair(tu_pair *p, int hidden, float lr, gan_loss_kind kind, float r1)
{
    tu_pair_config c;
    tu_pair_config_init(&c);
    c.hidden = hidden;
    c.depth = 2;
    c.d_spectral_norm = 1;
    c.g_seed = 1;
    c.d_seed = 2;
    c.opt.lr = lr;
    c.opt.beta1 = 0.5f;
    c.loss.kind = kind;
    c.loss.r1_gamma = r1;
    OK(tu_pair_create(p, &c));
}

/* A checkpoint mid-run continues bit for bit (u is in it), and a failed
   step puts u back. */
START_TEST(test_resume_exact_and_rollback)
{
    enum { B = 16 };
    tu_pair p;
    gan_trainer *t2 = NULL;
    gan_model *d2;
    float x[B * 2];
    void *a, *b1, *b2;
    size_t la, lb1, lb2, n0, n1;
    float *u0, *u1;
    tu_lcg r = {7};
    make_sn_pair(&p, 16, 1e-3f, GAN_LOSS_BCE, 0.0f);
    for (int s = 0; s < 3; s++) {
        tu_ring_batch(&r, x, B, 0.05);
        OK(gan_trainer_step(p.t, x, B * 2, B, NULL));
    }
    OK(gan_trainer_save_mem(p.t, NULL, &a, &la));
    ck_assert_uint_eq(((unsigned char *)a)[8], 1);
    r.s = 99;
    for (int s = 0; s < 2; s++) {
        tu_ring_batch(&r, x, B, 0.05);
        OK(gan_trainer_step(p.t, x, B * 2, B, NULL));
    }
    OK(gan_trainer_save_mem(p.t, NULL, &b1, &lb1));
    OK(gan_trainer_load_mem(&t2, NULL, a, la));
    r.s = 99;
    for (int s = 0; s < 2; s++) {
        tu_ring_batch(&r, x, B, 0.05);
        OK(gan_trainer_step(t2, x, B * 2, B, NULL));
    }
    OK(gan_trainer_save_mem(t2, NULL, &b2, &lb2));
    ck_assert_uint_eq(lb1, lb2);
    ck_assert_msg(memcmp(b1, b2, lb1) == 0, "resumed run differs from the uninterrupted one");
    /* A non-finite step is undone, u included (every forward moved it). */
    OK(gan_trainer_models(t2, NULL, &d2, NULL, NULL));
    u0 = tu_all_state(d2, &n0);
    ck_assert_uint_eq(n0, 16 + 16 + 1);
    tu_ring_batch(&r, x, B, 0.05);
    x[5] = NAN;
    ck_assert_int_eq(gan_trainer_step(t2, x, B * 2, B, NULL), GAN_ENUMERIC);
    u1 = tu_all_state(d2, &n1);
    ck_assert_mem_eq(u0, u1, n0 * sizeof(float));
    x[5] = 0.5f;
    OK(gan_trainer_step(t2, x, B * 2, B, NULL));
    free(u1);
    u1 = tu_all_state(d2, &n1);
    ck_assert_msg(memcmp(u0, u1, n0 * sizeof(float)) != 0, "a good step must move u");
    free(u0);
    free(u1);
    gan_free(a);
    gan_free(b1);
    gan_free(b2);
    gan_trainer_free(t2);
    tu_pair_free(&p);
}
END_TEST

/*
 * The 8-Gaussian ring (as tests/check_train.c) against a spectrally
 * normalised discriminator: the generator covers the modes.  Each layer of
 * D is 1-Lipschitz, so D cannot be sharp around modes 0.05 wide: it needs
 * the DCGAN learning rate 2e-4 (1e-3, fine without the option, collapses
 * to one or two modes here) and more steps than the plain test.
 */
START_TEST(test_ring_learns)
{
    tu_pair p;
    tu_lcg r = {42};
    make_sn_pair(&p, 128, 2e-4f, GAN_LOSS_BCE, 0.0f);
    tu_assert_ring_learned(&p, &r, 6000, 128, 0.05, 2000);
    tu_pair_free(&p);
}
END_TEST

static Suite *sn_suite(void)
{
    Suite *s = suite_create("spectral_norm");
    TCase *v = tcase_create("values");
    TCase *g = tcase_create("gradients");
    TCase *o = tcase_create("option");
    TCase *t = tcase_create("training");
    tcase_add_loop_test(v, test_forward_values, 0, N_CASES);
    tcase_add_loop_test(v, test_sigma_converges, 0, N_CASES);
    tcase_add_loop_test(v, test_infer_buffers_match_forward, 0, N_CASES);
    tcase_add_loop_test(g, test_grad_case, 0, (int)N_GRAD_CASES);
    tcase_add_loop_test(g, test_backward_contract, 0, N_CASES);
    tcase_add_test(o, test_state_validation_and_counts);
    tcase_add_test(o, test_config_struct_sizes);
    tcase_add_test(o, test_set_spectral_norm);
    tcase_add_test(o, test_set_spectral_norm_then_append);
    tcase_add_test(o, test_switch_after_trainer_or_sampler);
    tcase_add_test(o, test_model_file_round_trip);
    tcase_add_test(t, test_resume_exact_and_rollback);
    tcase_add_test(t, test_ring_learns);
    tcase_set_timeout(g, 300);
    tcase_set_timeout(t, 600);
    suite_add_tcase(s, v);
    suite_add_tcase(s, g);
    suite_add_tcase(s, o);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(sn_suite());
}
