/*
 * check_residual.c -- residual blocks (libgan/nn/layers/residual.c:
 * residual_begin, residual_add, residual_conv) and average pooling
 * (avgpool.c): forward against the definitions written out, finite-
 * difference gradients through whole blocks (with spectral normalisation),
 * the builders' checks, the plan around a block, the file round trip, and
 * the copies that must give the same images (inference buffers of
 * samplers, the trainer's EMA clone).  Their gradient-penalty checks are
 * in check_penalty.c, with the other critics.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h" /* plan fields, gan__model_clone */
#include "test_util.h"

#define IDX(n, i, j, c, H, W, C) ((((size_t)(n) * (H) + (i)) * (W) + (j)) * (C) + (c))

/* ---- avgpool ----------------------------------------------------------------- */

START_TEST(test_avgpool_naive)
{
    static const int cases[][4] = {{4, 6, 2, 2}, {3, 3, 1, 3}, {2, 2, 3, 1}, {6, 4, 2, 2}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const int h = cases[k][0], w = cases[k][1], c = cases[k][2], f = cases[k][3], n = 2;
        const int oh = h / f, ow = w / f;
        gan_model *m = tu_model(3, h, w, c);
        float *x = tu_alloc((size_t)n * h * w * c), *y = tu_alloc((size_t)n * oh * ow * c);
        float *dy = tu_alloc((size_t)n * oh * ow * c), *dx = tu_alloc((size_t)n * h * w * c);
        OK(gan_model_add_avgpool(m, f));
        tu_fill(x, (size_t)n * h * w * c, 3 + k, -1.0f, 1.0f);
        tu_fill(dy, (size_t)n * oh * ow * c, 5 + k, -1.0f, 1.0f);
        OK(gan_model_forward(m, x, (size_t)n * h * w * c, n, GAN_MODE_TRAIN, y,
                             (size_t)n * oh * ow * c));
        OK(gan_model_backward(m, dy, (size_t)n * oh * ow * c, dx, (size_t)n * h * w * c));
        for (int s = 0; s < n; s++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int q = 0; q < c; q++) {
                        double acc = 0.0;
                        for (int a = 0; a < f; a++)
                            for (int b = 0; b < f; b++)
                                acc += x[IDX(s, i * f + a, j * f + b, q, h, w, c)];
                        ck_assert_double_eq_tol(y[IDX(s, i, j, q, oh, ow, c)], acc / (f * f),
                                                1e-6);
                    }
        for (int s = 0; s < n; s++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    for (int q = 0; q < c; q++)
                        ck_assert_double_eq_tol(dx[IDX(s, i, j, q, h, w, c)],
                                                dy[IDX(s, i / f, j / f, q, oh, ow, c)] / (f * f),
                                                1e-7);
        free(x);
        free(y);
        free(dy);
        free(dx);
        gan_model_free(m);
    }
}
END_TEST

START_TEST(test_avgpool_builder)
{
    gan_model *m = tu_model(3, 4, 6, 1), *v = tu_model(1, 8, 0, 0);
    gan_layer_kind k;
    size_t n;
    TU_ASSERT_ERROR(gan_model_add_avgpool(m, 0), GAN_EINVAL, "gan_model_add_avgpool", "factor 0");
    TU_ASSERT_ERROR(gan_model_add_avgpool(m, 65), GAN_EINVAL, "1..64");
    TU_ASSERT_ERROR(gan_model_add_avgpool(m, 4), GAN_ESHAPE, "avgpool by 4", "(4, 6, 1)");
    TU_ASSERT_ERROR(gan_model_add_avgpool(v, 2), GAN_ESHAPE, "avgpool", "(8)");
    TU_ASSERT_ERROR(gan_model_add_avgpool(NULL, 2), GAN_EINVAL, "gan_model_add_avgpool");
    OK(gan_model_layer_count(m, &n));
    ck_assert_uint_eq(n, 0);
    OK(gan_model_add_avgpool(m, 2));
    OK(gan_model_layer_kind(m, 0, &k));
    ck_assert_int_eq(k, GAN_LAYER_AVGPOOL);
    ck_assert_int_eq(GAN_LAYER_AVGPOOL, 23);
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_AVGPOOL), "avgpool");
    gan_model_free(m);
    gan_model_free(v);
}
END_TEST

/* ---- residual blocks: the definition ------------------------------------------- */

/* Variants of a block on a (4, 4, C) input whose branch is only the
   resampling (up: upsample, down: avgpool), so the branch's output is the
   resampled input and the whole block has a closed form. */
typedef struct block_case {
    int conv, up, down, C, F, use_bias;
} block_case;

static const block_case block_cases[] = {
    {0, 1, 1, 2, 2, 0}, {0, 2, 1, 2, 2, 0}, {0, 1, 2, 3, 3, 0},
    {1, 1, 1, 2, 3, 1}, {1, 2, 1, 3, 2, 1}, {1, 1, 2, 2, 3, 1}, {1, 1, 2, 3, 1, 0},
};
#define N_BLOCK_CASES (sizeof block_cases / sizeof block_cases[0])

/* The branch maps C to F channels: a 1x1 conv2d without bias when C != F. */
static gan_model *block_model(const block_case *b)
{
    gan_model *m = tu_model(3, 4, 4, b->C);
    OK(gan_model_add_residual_begin(m));
    if (b->up > 1)
        OK(gan_model_add_upsample(m, b->up));
    if (b->down > 1)
        OK(gan_model_add_avgpool(m, b->down));
    if (b->C != b->F) {
        gan_conv2d_config c = tu_conv_config(b->F, 1, 1, GAN_PADDING_SAME);
        c.use_bias = 0;
        tu_add_conv_config(m, 0, &c);
    }
    if (b->conv)
        OK(gan_model_add_residual_conv(m, b->up, b->down, b->use_bias));
    else
        OK(gan_model_add_residual_add(m, b->up, b->down));
    tu_randomize_params(m, 7, 0.8f);
    return m;
}

/* y[n, i, j, f] = x_branch[n, i, j, f] + sum_c R(s)[n, i, j, c] K[c, f] + b[f]
   written out from the input; R(s) as the definitions of nearest
   up-sampling and average pooling. */
START_TEST(test_block_matches_definition)
{
    const block_case *b = &block_cases[_i];
    gan_model *m = block_model(b);
    const int n = 2, H = 4 * b->up / b->down, W = H, C = b->C, F = b->F;
    const size_t L = tu_layers(m);
    float *x = tu_alloc((size_t)n * 16 * C), *y = tu_alloc((size_t)n * H * W * F);
    float *y2 = tu_alloc((size_t)n * H * W * F);
    float Kb[64] = {0}, M[64] = {0};
    size_t np = tu_layer_params(m, L - 1);
    OK(gan_model_get_params(m, L - 1, Kb, np));
    if (C != F)
        OK(gan_model_get_params(m, L - 2, M, (size_t)C * F));
    tu_fill(x, (size_t)n * 16 * C, 11, -1.0f, 1.0f);
    OK(gan_model_forward(m, x, (size_t)n * 16 * C, n, GAN_MODE_TRAIN, y, (size_t)n * H * W * F));
    for (int s = 0; s < n; s++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double r[8];   /* R(s) at (i, j): C values */
                for (int c = 0; c < C; c++) {
                    if (b->up > 1) {
                        r[c] = x[IDX(s, i / b->up, j / b->up, c, 4, 4, C)];
                    } else {
                        double a = 0.0;
                        for (int p = 0; p < b->down; p++)
                            for (int q = 0; q < b->down; q++)
                                a += x[IDX(s, i * b->down + p, j * b->down + q, c, 4, 4, C)];
                        r[c] = a / (b->down * b->down);
                    }
                }
                for (int f = 0; f < F; f++) {
                    double branch = 0.0, sc = 0.0;
                    for (int c = 0; c < C; c++)
                        branch += r[c] * (C != F ? M[c * F + f] : (c == f));
                    if (b->conv) {
                        for (int c = 0; c < C; c++)
                            sc += r[c] * Kb[c * F + f];
                        if (b->use_bias)
                            sc += Kb[C * F + f];
                    } else {
                        sc = r[f];
                    }
                    ck_assert_double_eq_tol(y[IDX(s, i, j, f, H, W, F)], branch + sc, 1e-5);
                }
            }
    /* Inference mode and the inference buffers of a sampler-like path give
       the same values. */
    OK(gan_model_forward(m, x, (size_t)n * 16 * C, n, GAN_MODE_INFER, y2, (size_t)n * H * W * F));
    ck_assert(memcmp(y, y2, (size_t)n * H * W * F * sizeof(float)) == 0);
    {
        gan__infer_buf ib;
        float *y3 = tu_alloc((size_t)n * H * W * F);
        OK(gan__infer_buf_init(&ib, m, 1));
        OK(gan__infer(m, &ib, x, NULL, n, y3));
        ck_assert_double_le(tu_max_rel_err(y, y3, (size_t)n * H * W * F, 1e-3), 1e-5);
        gan__infer_buf_free(&ib);
        free(y3);
    }
    free(x);
    free(y);
    free(y2);
    gan_model_free(m);
}
END_TEST

/* Gradients of each variant: input and parameters (the 1x1 kernel, and
   the branch's kernel, whose gradient passes through the block). */
START_TEST(test_block_gradients)
{
    gan_model *m = block_model(&block_cases[_i]);
    float *x = tu_rand_input(m, 3, 40 + _i);
    tu_gradcheck_opts o;
    tu_gradcheck_defaults(&o);
    o.batch = 3;
    o.mode = GAN_MODE_TRAIN;
    o.max_checks = 0;
    tu_assert_gradcheck("block", m, x, &o);
    free(x);
    gan_model_free(m);
}
END_TEST

/* ---- residual networks ------------------------------------------------------------- */

/* An SN-ResNet-like critic: conv, a down block with a conv shortcut, an
   identity block, flatten, dense; sn: every kernel spectrally
   normalised. */
static gan_model *resnet_critic(int sn)
{
    gan_model *m = tu_model(3, 4, 4, 2);
    gan_conv2d_config c = tu_conv_config(3, 3, 1, GAN_PADDING_SAME);
    tu_add_conv_config(m, 0, &c);
    OK(gan_model_add_residual_begin(m));
    OK(gan_model_add_relu(m));
    tu_add_conv_config(m, 0, &c);
    OK(gan_model_add_leaky_relu(m, 0.2f));
    c.filters = 4;
    tu_add_conv_config(m, 0, &c);
    OK(gan_model_add_avgpool(m, 2));
    OK(gan_model_add_residual_conv(m, 1, 2, 1));
    OK(gan_model_add_leaky_relu(m, 0.1f));
    OK(gan_model_add_residual_begin(m));
    tu_add_conv_config(m, 0, &c);
    OK(gan_model_add_residual_add(m, 1, 1));
    OK(gan_model_add_flatten(m));
    tu_add_dense(m, 1, 1);
    if (sn)
        OK(gan_model_set_spectral_norm(m, GAN_ALL_LAYERS, 1));
    tu_randomize_params(m, 9, 0.6f);
    return m;
}

/* A generator-like stack: an up block with a conv shortcut and batchnorm
   in the branch (fused with its ReLU), then an identity block. */
static gan_model *resnet_generator(int arg)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    const int shp[3] = {2, 2, 3};
    gan_conv2d_config c = tu_conv_config(2, 3, 1, GAN_PADDING_SAME);
    gan_batchnorm_config bn;
    (void)arg;
    tu_add_dense(m, 12, 1);
    OK(gan_model_add_reshape(m, 3, shp));
    OK(gan_model_add_residual_begin(m));
    OK(GAN_BATCHNORM_CONFIG_INIT(&bn));
    OK(gan_model_add_batchnorm(m, &bn));
    OK(gan_model_add_relu(m));
    OK(gan_model_add_upsample(m, 2));
    tu_add_conv_config(m, 0, &c);
    OK(gan_model_add_residual_conv(m, 2, 1, 0));
    OK(gan_model_add_residual_begin(m));
    OK(gan_model_add_relu(m));
    tu_add_conv_config(m, 0, &c);
    OK(gan_model_add_residual_add(m, 1, 1));
    OK(gan_model_add_tanh(m));
    tu_randomize_params(m, 12, 0.5f);
    return m;
}

START_TEST(test_plan_around_blocks)
{
    gan_model *d = resnet_critic(0), *g = resnet_generator(0);
    /* The ReLU after a begin layer does not run over the kept shortcut. */
    ck_assert_int_eq(d->layers[2].in_place, 0);
    ck_assert_int_eq(d->layers[2].absorbed, 0);
    /* An activation after the block's end runs in place over it. */
    ck_assert_int_eq(d->layers[8].in_place, 1);
    ck_assert_int_eq(g->layers[4].absorbed, 1);   /* batchnorm + ReLU fused inside */
    gan_model_free(d);
    gan_model_free(g);
}
END_TEST

#define NET_TOL                                                                            \
    .eps = 2e-3f, .rtol = 5e-3, .atol = 1e-3, .max_checks = 48, .max_skip_frac = 0.1,      \
    .min_numeric = 1e-3
#define SN_TOL                                                                             \
    .eps = 2e-3f, .rtol = 5e-3, .atol = 1e-3, .max_checks = 48, .max_skip_frac = 0.1,      \
    .min_numeric = 1e-3, .restore_state = 1

static const tu_grad_case net_cases[] = {
    {"resnet critic, training", resnet_critic, 0, .batch = 3, .mode = GAN_MODE_TRAIN,
     .input_seed = 72, .input_away = 1, NET_TOL},
    {"resnet critic, inference", resnet_critic, 0, .batch = 2, .mode = GAN_MODE_INFER,
     .input_seed = 76, .input_away = 1, NET_TOL},
    {"resnet critic, spectral norm, inference", resnet_critic, 1, .batch = 2,
     .mode = GAN_MODE_INFER, .input_seed = 73, .input_away = 1, SN_TOL},
    {"resnet critic, spectral norm, training", resnet_critic, 1, .batch = 2,
     .mode = GAN_MODE_TRAIN, .input_seed = 74, .input_away = 1, .warmup = 300, SN_TOL},
    {"resnet generator, training", resnet_generator, 0, .batch = 4, .mode = GAN_MODE_TRAIN,
     .input_seed = 75, NET_TOL},
};
#define N_NET_CASES (sizeof net_cases / sizeof net_cases[0])

START_TEST(test_network_gradients)
{
    tu_run_grad_case(&net_cases[_i]);
}
END_TEST

/* ---- building ---------------------------------------------------------------------- */

START_TEST(test_builder_checks)
{
    gan_model *m = tu_model(3, 4, 4, 2), *v = tu_model(1, 8, 0, 0);
    size_t n;
    TU_ASSERT_ERROR(gan_model_add_residual_add(m, 1, 1), GAN_EINVAL, "gan_model_add_residual_add",
                    "no residual block is open");
    TU_ASSERT_ERROR(gan_model_add_residual_conv(m, 1, 1, 1), GAN_EINVAL,
                    "gan_model_add_residual_conv", "gan_model_add_residual_begin");
    TU_ASSERT_ERROR(gan_model_add_residual_begin(v), GAN_ESHAPE, "residual_begin", "(8)");
    TU_ASSERT_ERROR(gan_model_add_residual_begin(NULL), GAN_EINVAL,
                    "gan_model_add_residual_begin");
    OK(gan_model_layer_count(m, &n));
    ck_assert_uint_eq(n, 0);
    OK(gan_model_add_residual_begin(m));
    TU_ASSERT_ERROR(gan_model_add_residual_begin(m), GAN_EINVAL, "layer 0 is still open",
                    "do not nest");
    TU_ASSERT_ERROR(gan_model_add_residual_add(m, 0, 1), GAN_EINVAL, "up 0", "1..8");
    TU_ASSERT_ERROR(gan_model_add_residual_add(m, 1, 9), GAN_EINVAL, "down 9");
    TU_ASSERT_ERROR(gan_model_add_residual_add(m, 2, 2), GAN_EINVAL, "at most one");
    TU_ASSERT_ERROR(gan_model_add_residual_add(m, 2, 1), GAN_ESHAPE, "(4, 4, 2)", "does not match");
    TU_ASSERT_ERROR(gan_model_add_residual_conv(m, 1, 1, 2), GAN_EINVAL, "use_bias is 2");
    {
        gan_conv2d_config c = tu_conv_config(3, 3, 1, GAN_PADDING_SAME);
        tu_add_conv_config(m, 0, &c);
    }
    TU_ASSERT_ERROR(gan_model_add_residual_add(m, 1, 1), GAN_ESHAPE, "identity shortcut needs "
                    "equal channels");
    OK(gan_model_layer_count(m, &n));
    ck_assert_uint_eq(n, 2);
    OK(gan_model_add_residual_conv(m, 1, 1, 1));
    ck_assert_uint_eq(tu_layer_params(m, 2), 2 * 3 + 3);
    TU_ASSERT_ERROR(gan_model_add_residual_add(m, 1, 1), GAN_EINVAL, "no residual block is open");
    /* A new block after the first one closed. */
    OK(gan_model_add_residual_begin(m));
    OK(gan_model_add_avgpool(m, 2));
    OK(gan_model_add_residual_add(m, 1, 2));
    gan_model_free(m);
    gan_model_free(v);
}
END_TEST

START_TEST(test_name_kind_and_summary)
{
    gan_model *m = resnet_critic(0);
    gan_layer_kind k;
    char sum[4096];
    OK(gan_model_layer_kind(m, 1, &k));
    ck_assert_int_eq(k, GAN_LAYER_RESIDUAL_BEGIN);
    OK(gan_model_layer_kind(m, 7, &k));
    ck_assert_int_eq(k, GAN_LAYER_RESIDUAL_CONV);
    OK(gan_model_layer_kind(m, 11, &k));
    ck_assert_int_eq(k, GAN_LAYER_RESIDUAL_ADD);
    ck_assert_int_eq(GAN_LAYER_RESIDUAL_BEGIN, 20);
    ck_assert_int_eq(GAN_LAYER_RESIDUAL_ADD, 21);
    ck_assert_int_eq(GAN_LAYER_RESIDUAL_CONV, 22);
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_RESIDUAL_BEGIN), "residual_begin");
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_RESIDUAL_ADD), "residual_add");
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_RESIDUAL_CONV), "residual_conv");
    OK(gan_model_summary(m, sum, sizeof sum, NULL));
    ck_assert_ptr_nonnull(strstr(sum, "residual_conv"));
    ck_assert_ptr_nonnull(strstr(sum, "residual_begin"));
    gan_model_free(m);
}
END_TEST

/* Saved and loaded (with spectral normalisation and a frozen layer): the
   same outputs, and the loaded model saves to the same bytes. */
START_TEST(test_save_load_round_trip)
{
    gan_model *m = resnet_critic(1), *back = NULL, *g = resnet_generator(0), *gb = NULL;
    void *buf = NULL, *buf2 = NULL;
    size_t len, len2;
    float *x = tu_rand_input(m, 3, 5), y1[3], y2[3];
    OK(gan_model_set_trainable(m, 7, 0));
    OK(gan_model_save_mem(m, &buf, &len));
    OK(gan_model_load_mem(&back, buf, len));
    OK(gan_model_forward(m, x, 3 * 32, 3, GAN_MODE_INFER, y1, 3));
    OK(gan_model_forward(back, x, 3 * 32, 3, GAN_MODE_INFER, y2, 3));
    ck_assert(memcmp(y1, y2, sizeof y1) == 0);
    OK(gan_model_save_mem(back, &buf2, &len2));
    ck_assert_uint_eq(len2, len);
    ck_assert(memcmp(buf, buf2, len) == 0);
    gan_free(buf);
    gan_free(buf2);
    OK(gan_model_save_mem(g, &buf, &len));
    OK(gan_model_load_mem(&gb, buf, len));
    {
        float z[2 * 4], a[2 * 32], b[2 * 32];
        tu_fill(z, 8, 2, -1.0f, 1.0f);
        OK(gan_model_forward(g, z, 8, 2, GAN_MODE_INFER, a, 64));
        OK(gan_model_forward(gb, z, 8, 2, GAN_MODE_INFER, b, 64));
        ck_assert(memcmp(a, b, sizeof a) == 0);
    }
    gan_free(buf);
    free(x);
    gan_model_free(m);
    gan_model_free(back);
    gan_model_free(g);
    gan_model_free(gb);
}
END_TEST

/* Samplers (their own inference buffers, several at once on one model) and
   the EMA clone give the model's own inference outputs; a training step
   before keeps everything consistent. */
START_TEST(test_sampler_and_clone)
{
    gan_model *g = resnet_generator(0), *c = NULL;
    gan_sampler *s1 = NULL, *s2 = NULL;
    float z[5 * 4], a[5 * 32], b[5 * 32], d[5 * 32], e[5 * 32];
    tu_fill(z, 20, 8, -1.5f, 1.5f);
    /* A training forward first: batchnorm statistics and buffers in use. */
    OK(gan_model_forward(g, z, 20, 5, GAN_MODE_TRAIN, a, 160));
    OK(gan_model_forward(g, z, 20, 5, GAN_MODE_INFER, a, 160));
    OK(gan_sampler_create(&s1, g, 1, 2));
    OK(gan_sampler_create(&s2, g, 1, 5));
    OK(gan_sampler_generate(s1, z, 20, 5, b, 160));
    OK(gan_sampler_generate(s2, z, 20, 5, d, 160));
    ck_assert_double_le(tu_max_rel_err(a, b, 160, 1e-3), 1e-5);
    ck_assert(memcmp(a, d, sizeof a) == 0);
    OK(gan__model_clone(g, &c));
    OK(gan_model_forward(c, z, 20, 5, GAN_MODE_INFER, e, 160));
    ck_assert(memcmp(a, e, sizeof a) == 0);
    gan_sampler_free(s1);
    gan_sampler_free(s2);
    gan_model_free(c);
    gan_model_free(g);
}
END_TEST

/* A backward pass from inside a block (the trainer's feature layers):
   the begin layer then adds no stale shortcut gradient, so dx is that of
   the model cut at that layer. */
START_TEST(test_backward_from_inside_a_block)
{
    gan_model *m = resnet_critic(0), *cut = tu_model(3, 4, 4, 2);
    gan_conv2d_config c = tu_conv_config(3, 3, 1, GAN_PADDING_SAME);
    float *x = tu_rand_input(m, 2, 6), y[2], dy[2 * 48], dx1[2 * 32], dx2[2 * 32], yc[2 * 48];
    float *p = tu_alloc(256);
    /* Fill skip_grad with a full pass first. */
    float one[2] = {1.0f, 1.0f};
    OK(gan_model_forward(m, x, 64, 2, GAN_MODE_TRAIN, y, 2));
    OK(gan_model_backward(m, one, 2, dx1, 64));
    tu_add_conv_config(cut, 0, &c);
    OK(gan_model_add_residual_begin(cut));
    OK(gan_model_add_relu(cut));
    tu_add_conv_config(cut, 0, &c);
    for (size_t k = 0; k < 4; k += 3) {
        size_t np = tu_layer_params(m, k);
        OK(gan_model_get_params(m, k, p, np));
        OK(gan_model_set_params(cut, k, p, np));
    }
    OK(gan_model_forward(cut, x, 64, 2, GAN_MODE_TRAIN, yc, 96));
    tu_fill(dy, 96, 3, -1.0f, 1.0f);
    OK(gan_model_backward(cut, dy, 96, dx2, 64));
    OK(gan_model_forward(m, x, 64, 2, GAN_MODE_TRAIN, y, 2));
    OK(gan__model_backward_from(m, 4, dy, dx1, 0));
    ck_assert_double_le(tu_max_rel_err(dx1, dx2, 64, 1e-3), 1e-6);
    free(x);
    free(p);
    gan_model_free(m);
    gan_model_free(cut);
}
END_TEST

static Suite *residual_suite(void)
{
    Suite *s = suite_create("residual");
    TCase *t = tcase_create("layer");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_avgpool_naive);
    tcase_add_test(t, test_avgpool_builder);
    tcase_add_loop_test(t, test_block_matches_definition, 0, N_BLOCK_CASES);
    tcase_add_loop_test(t, test_block_gradients, 0, N_BLOCK_CASES);
    tcase_add_test(t, test_plan_around_blocks);
    tcase_add_loop_test(t, test_network_gradients, 0, N_NET_CASES);
    tcase_add_test(t, test_builder_checks);
    tcase_add_test(t, test_name_kind_and_summary);
    tcase_add_test(t, test_save_load_round_trip);
    tcase_add_test(t, test_sampler_and_clone);
    tcase_add_test(t, test_backward_from_inside_a_block);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(residual_suite());
}
