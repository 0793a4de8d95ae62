/*
 * check_gradients.c -- finite-difference checks of every layer's backward
 * pass (inputs and parameters) through the public model API, one row of
 * grad_cases per check (model builder, batch, mode, input, tolerances); the
 * minibatch layers' values; and the contract of gan_model_backward:
 * accumulation, frozen layers, repeated calls, and the dx == NULL path.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "test_util.h"

/* ---- models under test ----------------------------------------------------- */

/* Each builds one case's model with its parameters (and statistics) set;
   the input, batch, mode and tolerances are in the table below. */

static gan_model *dense_bias(int arg)
{
    gan_model *m = tu_model(1, 7, 0, 0);
    (void)arg;
    tu_add_dense(m, 5, 1);
    tu_randomize_params(m, 1, 0.5f);
    return m;
}

static gan_model *dense_nobias(int arg)
{
    gan_model *m = tu_model(1, 6, 0, 0);
    (void)arg;
    tu_add_dense(m, 4, 0);
    ck_assert_uint_eq(tu_layer_params(m, 0), 24);
    tu_randomize_params(m, 3, 0.5f);
    return m;
}

typedef struct conv_case {
    int h, w, c, filters, kh, kw, sh, sw;
    gan_padding pad;
    int use_bias;
} conv_case;

static const conv_case conv_cases[] = {
    {5, 6, 2, 3, 3, 3, 1, 1, GAN_PADDING_VALID, 1},
    {5, 6, 2, 3, 3, 3, 1, 1, GAN_PADDING_SAME, 1},
    {5, 5, 2, 2, 4, 4, 1, 1, GAN_PADDING_SAME, 1},  /* even kernel, stride 1: pads 1 / 2 */
    {6, 6, 2, 3, 4, 4, 2, 2, GAN_PADDING_SAME, 0},  /* the DCGAN block */
    {7, 7, 1, 2, 5, 5, 2, 2, GAN_PADDING_SAME, 1},  /* the MNIST block, odd input */
    {6, 7, 2, 2, 2, 2, 2, 2, GAN_PADDING_VALID, 1},
    {7, 6, 2, 2, 3, 3, 2, 2, GAN_PADDING_VALID, 0}, /* stride does not divide */
    {5, 6, 2, 3, 2, 3, 1, 2, GAN_PADDING_SAME, 1},  /* non-square kernel and stride */
    {4, 4, 3, 2, 5, 5, 1, 1, GAN_PADDING_SAME, 1},  /* kernel larger than the image */
};

static gan_model *conv_model(int idx, int transpose)
{
    const conv_case *k = &conv_cases[idx];
    gan_model *m = tu_model(3, k->h, k->w, k->c);
    gan_conv2d_config c = tu_conv_config(k->filters, k->kh, k->sh, k->pad);
    c.kernel_w = k->kw;
    c.stride_w = k->sw;
    c.use_bias = k->use_bias;
    tu_add_conv_config(m, transpose, &c);
    tu_randomize_params(m, 10 + (uint64_t)idx, 0.5f);
    return m;
}

static gan_model *conv2d(int idx)
{
    return conv_model(idx, 0);
}

static gan_model *conv2d_transpose(int idx)
{
    return conv_model(idx, 1);
}

/* gamma, beta, moving mean and variance of batchnorm layer `layer` (C
   channels), from seed. */
static void set_random_bn(gan_model *m, size_t layer, size_t C, uint64_t seed)
{
    float *p = tu_alloc(2 * C), *s = tu_alloc(2 * C);
    tu_fill(p, C, seed, 0.5f, 1.5f);            /* gamma */
    tu_fill(p + C, C, seed + 1, -0.5f, 0.5f);   /* beta */
    tu_fill(s, C, seed + 2, -0.3f, 0.3f);       /* moving mean */
    tu_fill(s + C, C, seed + 3, 0.5f, 2.0f);    /* moving variance */
    ck_assert_int_eq(gan_model_set_params(m, layer, p, 2 * C), GAN_OK);
    ck_assert_int_eq(gan_model_set_state(m, layer, s, 2 * C), GAN_OK);
    free(p);
    free(s);
}

/* A batchnorm layer alone (epsilon 0: the default), random statistics. */
static const struct bn_case {
    size_t ndim;
    int d0, d1, d2;
    float epsilon;
    uint64_t seed;
} bn_cases[] = {
    {3, 3, 3, 4, 0.0f, 5},
    {1, 6, 0, 0, 0.01f, 7},
    {3, 2, 3, 3, 0.0f, 9},
};

static gan_model *batchnorm(int idx)
{
    const struct bn_case *b = &bn_cases[idx];
    gan_model *m = tu_model(b->ndim, b->d0, b->d1, b->d2);
    gan_batchnorm_config c;
    ck_assert_int_eq(GAN_BATCHNORM_CONFIG_INIT(&c), GAN_OK);
    if (b->epsilon > 0.0f)
        c.epsilon = b->epsilon;
    ck_assert_int_eq(gan_model_add_batchnorm(m, &c), GAN_OK);
    set_random_bn(m, 0, (size_t)(b->ndim == 3 ? b->d2 : b->d0), b->seed);
    return m;
}

/* arg: the input's ndim. */
static gan_model *minibatch_stddev(int ndim)
{
    gan_model *m = ndim == 3 ? tu_model(3, 2, 3, 2) : tu_model(1, 5, 0, 0);
    ck_assert_int_eq(gan_model_add_minibatch_stddev(m), GAN_OK);
    return m;
}

static gan_model *minibatch_discrimination(int arg)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    (void)arg;
    ck_assert_int_eq(gan_model_add_minibatch_discrimination(m, 3, 2), GAN_OK);
    return m;
}

/* Nearest-neighbour up-sampling by `factor` of a 2x3x2 image. */
static gan_model *upsample(int factor)
{
    gan_model *m = tu_model(3, 2, 3, 2);
    ck_assert_int_eq(gan_model_add_upsample(m, factor), GAN_OK);
    return m;
}

/* Average pooling by `factor` of a 4x6x2 image. */
static gan_model *avgpool(int factor)
{
    gan_model *m = tu_model(3, 4, 6, 2);
    ck_assert_int_eq(gan_model_add_avgpool(m, factor), GAN_OK);
    return m;
}

/* A residual block (arg 0: identity shortcut; 1: 1x1-conv shortcut, with
   up-sampling; 2: 1x1-conv shortcut with pooling) around a convolution. */
static gan_model *residual(int arg)
{
    gan_model *m = tu_model(3, 4, 4, 2);
    ck_assert_int_eq(gan_model_add_residual_begin(m), GAN_OK);
    if (arg == 1)
        ck_assert_int_eq(gan_model_add_upsample(m, 2), GAN_OK);
    tu_add_conv(m, 0, arg == 0 ? 2 : 3, 3, 1);
    if (arg == 2)
        ck_assert_int_eq(gan_model_add_avgpool(m, 2), GAN_OK);
    if (arg == 0)
        ck_assert_int_eq(gan_model_add_residual_add(m, 1, 1), GAN_OK);
    else
        ck_assert_int_eq(gan_model_add_residual_conv(m, arg == 1 ? 2 : 1, arg == 2 ? 2 : 1, 1),
                         GAN_OK);
    tu_randomize_params(m, 23 + (uint64_t)arg, 0.5f);
    return m;
}

/* Class-conditional affine map (nn/layers/class_affine.c) after a
   convolution (arg 0: image) or a dense layer (arg 1: vector), 3 classes. */
static gan_model *class_affine(int arg)
{
    gan_model *m = arg == 0 ? tu_model(3, 3, 2, 2) : tu_model(1, 4, 0, 0);
    if (arg == 0)
        tu_add_conv(m, 0, 3, 3, 1);
    else
        tu_add_dense(m, 5, 1);
    ck_assert_int_eq(gan_model_add_class_affine(m, 3), GAN_OK);
    tu_randomize_params(m, 29 + (uint64_t)arg, 0.5f);
    return m;
}

/* The projection head with AC-GAN's class logits (class_projection_aux,
   nn/layers/class_projection.c; more in check_class_aux.c) after a conv
   and a flatten: 1 + 4 outputs per sample. */
static gan_model *class_projection_aux(int arg)
{
    gan_model *m = tu_model(3, 3, 3, 1);
    (void)arg;
    tu_add_conv(m, 0, 2, 3, 2);
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
    ck_assert_int_eq(gan_model_add_class_projection_aux(m, 4), GAN_OK);
    tu_randomize_params(m, 33, 0.5f);
    return m;
}

/* StyleGAN2's modulated convolution (nn/layers/modconv.c; more in
   check_modconv.c): style vector 3 -> style input 3x2x2 -> conv2d (so the
   modconv's input varies with the constant) -> modulated_conv2d 3x3 with
   arg bit 0 demodulation, bit 1 the equalised learning rate. */
static gan_model *modconv(int arg)
{
    gan_model *m = tu_model(1, 3, 0, 0);
    ck_assert_int_eq(gan_model_add_style_input(m, 3, 2, 2), GAN_OK);
    tu_add_conv(m, 0, 3, 3, 1);
    ck_assert_int_eq(gan_model_add_modulated_conv2d(m, 2, 3, arg & 1, arg >> 1), GAN_OK);
    tu_randomize_params(m, 31 + (uint64_t)arg, 0.5f);
    return m;
}

/* arg: the activation's gan_layer_kind. */
static gan_status add_leaky_relu(gan_model *m) { return gan_model_add_leaky_relu(m, 0.2f); }

/* The activation builders, by the layer kind a table row names. */
static const struct { gan_layer_kind kind; gan_status (*add)(gan_model *); } activations[] = {
    {GAN_LAYER_LEAKY_RELU, add_leaky_relu},
    {GAN_LAYER_RELU, gan_model_add_relu},
    {GAN_LAYER_TANH, gan_model_add_tanh},
    {GAN_LAYER_SIGMOID, gan_model_add_sigmoid},
};

static gan_model *activation(int kind)
{
    gan_model *m = tu_model(3, 2, 3, 2);
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
        if ((int)activations[i].kind == kind) {
            ck_assert_int_eq(activations[i].add(m), GAN_OK);
            return m;
        }
    ck_abort_msg("kind %d is not an activation", kind);
    return m;
}

/* dense -> dropout -> dense: the mask is fixed by gan_model_set_seed before
   every forward, so the function is smooth. */
static gan_model *dropout_between_dense(int arg)
{
    gan_model *m = tu_model(1, 5, 0, 0);
    (void)arg;
    tu_add_dense(m, 8, 1);
    ck_assert_int_eq(gan_model_add_dropout(m, 0.4f), GAN_OK);
    tu_add_dense(m, 3, 1);
    tu_randomize_params(m, 41, 0.5f);
    return m;
}

static gan_model *dropout_only(int arg)
{
    gan_model *m = tu_model(1, 9, 0, 0);
    (void)arg;
    ck_assert_int_eq(gan_model_add_dropout(m, 0.5f), GAN_OK);
    return m;
}

/* Only views: the gradient is passed through unchanged. */
static gan_model *reshape_only(int arg)
{
    int dims[3] = {2, 3, 2};
    gan_model *m = tu_model(1, 12, 0, 0);
    (void)arg;
    ck_assert_int_eq(gan_model_add_reshape(m, 3, dims), GAN_OK);
    return m;
}

static gan_model *dense_reshape_conv(int arg)
{
    int dims[3] = {3, 3, 2};
    gan_model *m = tu_model(1, 4, 0, 0);
    (void)arg;
    tu_add_dense(m, 18, 1);
    ck_assert_int_eq(gan_model_add_reshape(m, 3, dims), GAN_OK);
    tu_add_conv(m, 1, 2, 3, 2);
    tu_randomize_params(m, 45, 0.5f);
    return m;
}

/* A view at the bottom (flatten of the input) and in the middle. */
static gan_model *flatten_dense(int arg)
{
    gan_model *m = tu_model(3, 3, 2, 2);
    (void)arg;
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
    tu_add_dense(m, 3, 1);
    tu_randomize_params(m, 47, 0.5f);
    return m;
}

/* conv -> batchnorm -> leaky ReLU -> flatten -> dense (also the model of
   the backward contract's tests). */
static gan_model *small_net(void)
{
    gan_model *m = tu_model(3, 6, 6, 2);
    tu_add_conv(m, 0, 4, 3, 2);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.2f), GAN_OK);
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
    tu_add_dense(m, 2, 1);
    tu_randomize_params(m, 51, 0.5f);
    return m;
}

static gan_model *small_net_random_bn(int arg)
{
    gan_model *m = small_net();
    (void)arg;
    set_random_bn(m, 1, 4, 53);
    return m;
}

/* dense (no bias) -> BN -> lrelu -> reshape -> deconv -> BN -> lrelu ->
   deconv (stride 1, even kernel) -> tanh: a miniature CIFAR generator. */
static gan_model *generator_like(int arg)
{
    int dims[3] = {2, 2, 3};
    gan_model *m = tu_model(1, 4, 0, 0);
    gan_conv2d_config c = tu_conv_config(3, 4, 2, GAN_PADDING_SAME);
    (void)arg;
    c.use_bias = 0;
    tu_add_dense(m, 12, 0);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.3f), GAN_OK);
    ck_assert_int_eq(gan_model_add_reshape(m, 3, dims), GAN_OK);
    tu_add_conv_config(m, 1, &c);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.3f), GAN_OK);
    c.filters = 2;
    c.stride_h = c.stride_w = 1;
    tu_add_conv_config(m, 1, &c);
    ck_assert_int_eq(gan_model_add_tanh(m), GAN_OK);
    tu_randomize_params(m, 55, 0.5f);
    return m;
}

/* ---- the cases ------------------------------------------------------------------ */

#define TRAIN .mode = GAN_MODE_TRAIN
#define INFER .mode = GAN_MODE_INFER
/* Networks where batchnorm feeds a leaky ReLU: perturbing one value moves
   every normalised value of its channel, so a large eps often carries some
   of them across the kink at 0.  A smaller step keeps that rare (and the
   checker skips the few crossings it detects). */
#define NET_TOL                                                                            \
    .eps = 1e-3f, .rtol = 2e-3, .atol = 5e-4, .max_checks = 48, .max_skip_frac = 0.05,     \
    .min_numeric = 1e-3
#define CONV(i)                                                                            \
    {"conv2d " #i, conv2d, i, .batch = 2, TRAIN, .input_seed = 20 + i, TU_GRAD_TOL},      \
    {"conv2d_transpose " #i, conv2d_transpose, i, .batch = 2, TRAIN, .input_seed = 20 + i, \
     TU_GRAD_TOL}
/* Activations: inputs with |x| in [0.1, 2), so the kinks at 0 are further
   than eps. */
#define ACTIVATION(name, kind, m)                                                          \
    {name, activation, kind, .batch = 3, m, .input_seed = 31 + kind, .input_away = 1,      \
     TU_GRAD_TOL}

static const tu_grad_case grad_cases[] = {
    {"dense", dense_bias, 0, .batch = 3, TRAIN, .input_seed = 2, TU_GRAD_TOL},
    {"dense without bias", dense_nobias, 0, .batch = 2, INFER, .input_seed = 4, TU_GRAD_TOL},
    CONV(0), CONV(1), CONV(2), CONV(3), CONV(4), CONV(5), CONV(6), CONV(7), CONV(8),
    {"batchnorm, training, image", batchnorm, 0, .batch = 2, TRAIN, .input_seed = 6, TU_GRAD_TOL},
    {"batchnorm, training, vector", batchnorm, 1, .batch = 5, TRAIN, .input_seed = 8, TU_GRAD_TOL},
    {"batchnorm, inference", batchnorm, 2, .batch = 3, INFER, .input_seed = 10, TU_GRAD_TOL},
    ACTIVATION("leaky ReLU", GAN_LAYER_LEAKY_RELU, TRAIN),
    ACTIVATION("ReLU", GAN_LAYER_RELU, INFER),
    ACTIVATION("tanh", GAN_LAYER_TANH, TRAIN),
    ACTIVATION("sigmoid", GAN_LAYER_SIGMOID, TRAIN),
    {"minibatch stddev, image", minibatch_stddev, 3, .batch = 4, TRAIN, .input_seed = 44,
     TU_GRAD_TOL},
    {"minibatch stddev, vector", minibatch_stddev, 1, .batch = 4, INFER, .input_seed = 42,
     TU_GRAD_TOL},
    {"minibatch discrimination", minibatch_discrimination, 0, .batch = 4, TRAIN,
     .input_seed = 53, TU_GRAD_TOL},
    {"dropout, training", dropout_between_dense, 0, .batch = 4, TRAIN, .input_seed = 42,
     TU_GRAD_TOL},
    {"dropout, inference", dropout_only, 0, .batch = 2, INFER, .input_seed = 43, TU_GRAD_TOL},
    {"upsample x2", upsample, 2, .batch = 2, TRAIN, .input_seed = 61, TU_GRAD_TOL},
    {"upsample x3", upsample, 3, .batch = 1, INFER, .input_seed = 62, TU_GRAD_TOL},
    {"avgpool x2", avgpool, 2, .batch = 2, TRAIN, .input_seed = 63, TU_GRAD_TOL},
    {"avgpool x1", avgpool, 1, .batch = 1, INFER, .input_seed = 64, TU_GRAD_TOL},
    {"residual, identity", residual, 0, .batch = 2, TRAIN, .input_seed = 65, TU_GRAD_TOL},
    {"residual, conv shortcut, up", residual, 1, .batch = 2, TRAIN, .input_seed = 66,
     TU_GRAD_TOL},
    {"residual, conv shortcut, down", residual, 2, .batch = 2, INFER, .input_seed = 67,
     TU_GRAD_TOL},
    {"class_affine, image", class_affine, 0, .batch = 4, TRAIN, .input_seed = 68, .classes = 3,
     .label_seed = 5, TU_GRAD_TOL},
    {"class_affine, vector", class_affine, 1, .batch = 5, INFER, .input_seed = 69, .classes = 3,
     .label_seed = 6, TU_GRAD_TOL},
    {"class_projection_aux", class_projection_aux, 0, .batch = 5, TRAIN, .input_seed = 72,
     .classes = 4, .label_seed = 7, TU_GRAD_TOL},
    {"modulated_conv2d", modconv, 0, .batch = 3, TRAIN, .input_seed = 70, TU_GRAD_TOL},
    {"modulated_conv2d, demodulated, equalised", modconv, 3, .batch = 3, INFER,
     .input_seed = 71, TU_GRAD_TOL},
    {"reshape", reshape_only, 0, .batch = 2, TRAIN, .input_seed = 44, TU_GRAD_TOL},
    {"dense -> reshape -> conv2d_transpose", dense_reshape_conv, 0, .batch = 2, TRAIN,
     .input_seed = 46, TU_GRAD_TOL},
    {"flatten", flatten_dense, 0, .batch = 2, TRAIN, .input_seed = 48, TU_GRAD_TOL},
    {"small network, training", small_net_random_bn, 0, .batch = 3, TRAIN, .input_seed = 52,
     NET_TOL},
    {"small network, inference", small_net_random_bn, 0, .batch = 3, INFER, .input_seed = 52,
     NET_TOL},
    {"generator", generator_like, 0, .batch = 4, TRAIN, .input_seed = 56, NET_TOL},
};
#define N_GRAD_CASES (sizeof grad_cases / sizeof grad_cases[0])

START_TEST(test_grad_case)
{
    tu_run_grad_case(&grad_cases[_i]);
}
END_TEST

/* ---- minibatch layers: values ------------------------------------------------------- */

/* The forward value against the formula computed here in double. */
START_TEST(test_minibatch_stddev_values)
{
    enum { N = 3, H = 2, W = 2, C = 2, F = H * W * C };
    gan_model *m = tu_model(3, H, W, C);
    float x[N * F], y[N * H * W * (C + 1)];
    double s = 0.0;
    size_t ndim;
    int dims[3];
    tu_fill(x, N * F, 77, -2.0f, 2.0f);
    ck_assert_int_eq(gan_model_add_minibatch_stddev(m), GAN_OK);
    ck_assert_int_eq(gan_model_shape(m, 0, &ndim, dims), GAN_OK);
    ck_assert(ndim == 3 && dims[0] == H && dims[1] == W && dims[2] == C + 1);
    ck_assert_int_eq(gan_model_forward(m, x, N * F, N, GAN_MODE_INFER, y, N * H * W * (C + 1)), GAN_OK);
    for (int f = 0; f < F; f++) {
        double mu = 0.0, v = 0.0;
        for (int n = 0; n < N; n++)
            mu += x[n * F + f] / (double)N;
        for (int n = 0; n < N; n++)
            v += (x[n * F + f] - mu) * (x[n * F + f] - mu) / (double)N;
        s += sqrt(v + 1e-8) / F;
    }
    for (int n = 0; n < N; n++)
        for (int p = 0; p < H * W; p++) {
            for (int c = 0; c < C; c++)
                ck_assert_float_eq(y[(n * H * W + p) * (C + 1) + c], x[(n * H * W + p) * C + c]);
            ck_assert_double_eq_tol(y[(n * H * W + p) * (C + 1) + C], s, 1e-6);
        }
    gan_model_free(m);
}
END_TEST

/* Forward values against the definition, computed here in double. */
START_TEST(test_minibatch_discrimination_values)
{
    enum { N = 3, A = 4, B = 2, C = 3 };
    gan_model *m = tu_model(1, A, 0, 0);
    float x[N * A], T[A * B * C], y[N * (A + B)];
    size_t ndim;
    int dims[3];
    tu_fill(x, N * A, 61, -1.0f, 1.0f);
    tu_fill(T, A * B * C, 62, -1.0f, 1.0f);
    ck_assert_int_eq(gan_model_add_minibatch_discrimination(m, B, C), GAN_OK);
    ck_assert_int_eq(gan_model_set_params(m, 0, T, A * B * C), GAN_OK);
    ck_assert_int_eq(gan_model_shape(m, 0, &ndim, dims), GAN_OK);
    ck_assert(ndim == 1 && dims[0] == A + B);
    ck_assert_int_eq(gan_model_forward(m, x, N * A, N, GAN_MODE_INFER, y, N * (A + B)), GAN_OK);
    for (int i = 0; i < N; i++) {
        for (int a = 0; a < A; a++)
            ck_assert_float_eq(y[i * (A + B) + a], x[i * A + a]);
        for (int b = 0; b < B; b++) {
            double o = 0.0;
            for (int j = 0; j < N; j++) {
                double d = 0.0;
                for (int c = 0; c < C; c++) {
                    double mi = 0.0, mj = 0.0;
                    for (int a = 0; a < A; a++) {
                        mi += (double)x[i * A + a] * T[a * B * C + b * C + c];
                        mj += (double)x[j * A + a] * T[a * B * C + b * C + c];
                    }
                    d += fabs(mi - mj);
                }
                o += exp(-d);
            }
            ck_assert_double_eq_tol(y[i * (A + B) + A + b], o, 1e-5);
        }
    }
    ck_assert_int_eq(gan_model_add_minibatch_discrimination(m, 0, 3), GAN_EINVAL);
    gan_model_free(m);
}
END_TEST

/* ---- backward contract ----------------------------------------------------- */

/* Forward in training mode on x, then dy = r (seeded). */
static void fwd(gan_model *m, const float *x, size_t batch, gan_mode mode)
{
    gan_status st;
    ck_assert_int_eq(gan_model_set_seed(m, 7), GAN_OK);
    st = gan_model_forward(m, x, batch * tu_in_elems(m), batch, mode, NULL, 0);
    ck_assert_msg(st == GAN_OK, "forward: %s", gan_last_error());
}

START_TEST(test_backward_accumulates)
{
    /* Every layer kind with parameters: dense, conv2d, batchnorm and
       conv2d_transpose (which accumulate through different GEMMs/loops). */
    gan_model *m = small_net();
    {
        int dims[3] = {1, 1, 2};
        ck_assert_int_eq(gan_model_add_reshape(m, 3, dims), GAN_OK);
        tu_add_conv(m, 1, 3, 3, 2);
        tu_randomize_params(m, 59, 0.5f);
    }
    const size_t B = 3, in = B * tu_in_elems(m), out = B * tu_out_elems(m);
    float *x = tu_rand_input(m, B, 60), *dy = tu_alloc(out), *dx = tu_alloc(in);
    float *g1, *g2;
    size_t n1, n2;
    tu_fill(dy, out, 61, -1.0f, 1.0f);
    fwd(m, x, B, GAN_MODE_TRAIN);
    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    ck_assert_int_eq(gan_model_backward(m, dy, out, dx, in), GAN_OK);
    g1 = tu_all_grads(m, &n1);
    ck_assert_double_gt(tu_max_abs(g1, n1), 1e-3);
    ck_assert_int_eq(gan_model_backward(m, dy, out, dx, in), GAN_OK);
    g2 = tu_all_grads(m, &n2);
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++)
        g1[i] *= 2.0f;
    /* Not bit-exact: a GEMM with beta = 1 may add its partial sums into C
       in another order than it forms the product with beta = 0. */
    ck_assert_msg(tu_max_rel_err(g1, g2, n1, 1e-3 * tu_max_abs(g1, n1)) < 1e-5,
                  "two backward calls do not double the gradients (max rel err %g)",
                  tu_max_rel_err(g1, g2, n1, 1e-3 * tu_max_abs(g1, n1)));
    /* zero_grad clears them. */
    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    free(g2);
    g2 = tu_all_grads(m, &n2);
    ck_assert_double_eq(tu_max_abs(g2, n2), 0.0);
    free(g1);
    free(g2);
    free(x);
    free(dy);
    free(dx);
    gan_model_free(m);
}
END_TEST

START_TEST(test_backward_repeatable)
{
    /* Includes dropout and batchnorm: their saved forward data must survive
       backward. */
    gan_model *m = tu_model(3, 6, 6, 2);
    size_t B = 3, in, out, n1, n2;
    float *x, *dy, *dx1, *dx2, *g1, *g2;
    tu_add_conv(m, 0, 4, 3, 2);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.2f), GAN_OK);
    ck_assert_int_eq(gan_model_add_dropout(m, 0.3f), GAN_OK);
    tu_add_conv(m, 1, 2, 4, 2);
    ck_assert_int_eq(gan_model_add_sigmoid(m), GAN_OK);
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
    tu_add_dense(m, 2, 1);
    in = B * tu_in_elems(m);
    out = B * tu_out_elems(m);
    x = tu_rand_input(m, B, 62);
    dy = tu_alloc(out);
    dx1 = tu_alloc(in);
    dx2 = tu_alloc(in);
    tu_fill(dy, out, 63, -1.0f, 1.0f);
    fwd(m, x, B, GAN_MODE_TRAIN);
    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    ck_assert_int_eq(gan_model_backward(m, dy, out, dx1, in), GAN_OK);
    g1 = tu_all_grads(m, &n1);
    for (int rep = 0; rep < 3; rep++) {
        ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
        ck_assert_int_eq(gan_model_backward(m, dy, out, dx2, in), GAN_OK);
        g2 = tu_all_grads(m, &n2);
        ck_assert_msg(memcmp(dx1, dx2, in * sizeof(float)) == 0, "dx differs on call %d", rep + 2);
        ck_assert_msg(memcmp(g1, g2, n1 * sizeof(float)) == 0, "grads differ on call %d", rep + 2);
        free(g2);
    }
    ck_assert_double_gt(tu_max_abs(dx1, in), 1e-4);
    free(g1);
    free(x);
    free(dy);
    free(dx1);
    free(dx2);
    gan_model_free(m);
}
END_TEST

START_TEST(test_backward_frozen)
{
    gan_model *m = small_net();
    const size_t B = 2, in = B * tu_in_elems(m), out = B * tu_out_elems(m);
    float *x = tu_rand_input(m, B, 64), *dy = tu_alloc(out);
    float *dx1 = tu_alloc(in), *dx2 = tu_alloc(in);
    float *g1, *g2;
    size_t n1, n2, conv_n = tu_layer_params(m, 0), bn_n = tu_layer_params(m, 1);
    size_t total = 0;
    tu_fill(dy, out, 65, -1.0f, 1.0f);
    fwd(m, x, B, GAN_MODE_TRAIN);
    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    ck_assert_int_eq(gan_model_backward(m, dy, out, dx1, in), GAN_OK);
    g1 = tu_all_grads(m, &n1);

    /* Freeze the conv layer: its gradients stay at their old values (here
       the accumulated g1), the others accumulate again, dx is unchanged. */
    ck_assert_int_eq(gan_model_set_trainable(m, 0, 0), GAN_OK);
    ck_assert_int_eq(gan_model_param_count(m, NULL, &total), GAN_OK);
    ck_assert_uint_eq(total, n1 - conv_n);
    ck_assert_int_eq(gan_model_backward(m, dy, out, dx2, in), GAN_OK);
    g2 = tu_all_grads(m, &n2);
    ck_assert_msg(memcmp(dx1, dx2, in * sizeof(float)) == 0, "frozen layer changed dx");
    ck_assert_msg(memcmp(g1, g2, conv_n * sizeof(float)) == 0, "frozen layer got gradients");
    for (size_t i = conv_n; i < n1; i++)
        ck_assert_float_eq_tol(g2[i], 2.0f * g1[i], 1e-5f * (fabsf(g1[i]) + 1e-3f));
    free(g2);

    /* Freeze everything: nothing changes, dx still flows. */
    ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
    ck_assert_int_eq(gan_model_set_trainable(m, -1, 0), GAN_OK);
    ck_assert_int_eq(gan_model_backward(m, dy, out, dx2, in), GAN_OK);
    g2 = tu_all_grads(m, &n2);
    ck_assert_double_eq(tu_max_abs(g2, n2), 0.0);
    ck_assert_msg(memcmp(dx1, dx2, in * sizeof(float)) == 0, "frozen model changed dx");
    free(g2);

    /* Unfreeze only the batchnorm layer. */
    ck_assert_int_eq(gan_model_set_trainable(m, 1, 1), GAN_OK);
    ck_assert_int_eq(gan_model_backward(m, dy, out, NULL, 0), GAN_OK);
    g2 = tu_all_grads(m, &n2);
    for (size_t i = 0; i < n2; i++) {
        if (i >= conv_n && i < conv_n + bn_n)
            ck_assert_float_eq(g2[i], g1[i]);
        else
            ck_assert_float_eq(g2[i], 0.0f);
    }
    free(g2);
    free(g1);
    free(x);
    free(dy);
    free(dx1);
    free(dx2);
    gan_model_free(m);
}
END_TEST

START_TEST(test_backward_no_dx)
{
    /* dx == NULL must give the same parameter gradients, whether the lowest
       trainable layer is the first one or sits above frozen layers. */
    for (int variant = 0; variant < 3; variant++) {
        gan_model *m = small_net();
        size_t B = 2, in, out, n1, n2;
        float *x, *dy, *dx, *g1, *g2;
        if (variant == 1)
            ck_assert_int_eq(gan_model_set_trainable(m, 0, 0), GAN_OK);
        if (variant == 2) {
            ck_assert_int_eq(gan_model_set_trainable(m, 0, 0), GAN_OK);
            ck_assert_int_eq(gan_model_set_trainable(m, 1, 0), GAN_OK);
        }
        in = B * tu_in_elems(m);
        out = B * tu_out_elems(m);
        x = tu_rand_input(m, B, 66);
        dy = tu_alloc(out);
        dx = tu_alloc(in);
        tu_fill(dy, out, 67, -1.0f, 1.0f);
        fwd(m, x, B, GAN_MODE_TRAIN);
        ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
        ck_assert_int_eq(gan_model_backward(m, dy, out, dx, in), GAN_OK);
        g1 = tu_all_grads(m, &n1);
        ck_assert_int_eq(gan_model_zero_grad(m), GAN_OK);
        ck_assert_int_eq(gan_model_backward(m, dy, out, NULL, 0), GAN_OK);
        g2 = tu_all_grads(m, &n2);
        ck_assert_msg(memcmp(g1, g2, n1 * sizeof(float)) == 0,
                      "variant %d: dx == NULL changed the parameter gradients", variant);
        ck_assert_double_gt(tu_max_abs(g2, n2), 1e-4);
        free(g1);
        free(g2);
        free(x);
        free(dy);
        free(dx);
        gan_model_free(m);
    }
}
END_TEST

START_TEST(test_backward_smaller_batch)
{
    /* A forward with a batch smaller than a previous one: backward uses the
       last batch, and gradients match a model that only saw that batch. */
    gan_model *a = small_net(), *b = small_net();
    size_t in1 = 1 * tu_in_elems(a), out1 = 1 * tu_out_elems(a), n1, n2;
    float *big = tu_rand_input(a, 4, 68), *x = tu_rand_input(a, 1, 69);
    float *dy = tu_alloc(out1), *dxa = tu_alloc(in1), *dxb = tu_alloc(in1), *ga, *gb;
    tu_fill(dy, out1, 70, -1.0f, 1.0f);
    fwd(a, big, 4, GAN_MODE_INFER);
    fwd(a, x, 1, GAN_MODE_INFER);
    fwd(b, x, 1, GAN_MODE_INFER);
    ck_assert_int_eq(gan_model_backward(a, dy, out1, dxa, in1), GAN_OK);
    ck_assert_int_eq(gan_model_backward(b, dy, out1, dxb, in1), GAN_OK);
    ga = tu_all_grads(a, &n1);
    gb = tu_all_grads(b, &n2);
    ck_assert_msg(memcmp(ga, gb, n1 * sizeof(float)) == 0, "grads depend on an older batch");
    ck_assert_msg(memcmp(dxa, dxb, in1 * sizeof(float)) == 0, "dx depends on an older batch");
    free(ga);
    free(gb);
    free(big);
    free(x);
    free(dy);
    free(dxa);
    free(dxb);
    gan_model_free(a);
    gan_model_free(b);
}
END_TEST

START_TEST(test_backward_dx_overwritten)
{
    /* dx is written, not added: a buffer full of NaN gives the same dx as a
       zeroed one, whatever kind the lowest layer is. */
    for (int kind = 0; kind < 8; kind++) {
        gan_model *m = tu_model(3, 4, 4, 2);
        size_t B = 2, in, out;
        float *x, *dy, *dx0, *dx1;
        int dims[3] = {2, 8, 2};
        switch (kind) {
        case 0: tu_add_conv(m, 0, 3, 3, 2); break;
        case 1: tu_add_conv(m, 1, 3, 3, 2); break;
        case 2: ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK); break;
        case 3: ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.2f), GAN_OK); break;
        case 4: ck_assert_int_eq(gan_model_add_dropout(m, 0.5f), GAN_OK); break;
        case 5: ck_assert_int_eq(gan_model_add_sigmoid(m), GAN_OK); break;
        case 6: ck_assert_int_eq(gan_model_add_reshape(m, 3, dims), GAN_OK); break;
        default:
            ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
            tu_add_dense(m, 3, 1);
            break;
        }
        in = B * tu_in_elems(m);
        out = B * tu_out_elems(m);
        x = tu_rand_input(m, B, 80);
        dy = tu_alloc(out);
        dx0 = tu_alloc(in);
        dx1 = tu_alloc(in);
        tu_fill(dy, out, 81, -1, 1);
        for (size_t i = 0; i < in; i++)
            dx1[i] = NAN;
        fwd(m, x, B, GAN_MODE_TRAIN);
        ck_assert_int_eq(gan_model_backward(m, dy, out, dx0, in), GAN_OK);
        ck_assert_int_eq(gan_model_backward(m, dy, out, dx1, in), GAN_OK);
        ck_assert_msg(memcmp(dx0, dx1, in * sizeof(float)) == 0,
                      "kind %d: dx depends on its previous contents", kind);
        free(x);
        free(dy);
        free(dx0);
        free(dx1);
        gan_model_free(m);
    }
}
END_TEST

static Suite *gradients_suite(void)
{
    Suite *s = suite_create("gradients");
    TCase *t = tcase_create("layers");
    tcase_add_loop_test(t, test_grad_case, 0, (int)N_GRAD_CASES);
    tcase_add_test(t, test_minibatch_stddev_values);
    tcase_add_test(t, test_minibatch_discrimination_values);
    suite_add_tcase(s, t);
    t = tcase_create("backward");
    tcase_add_test(t, test_backward_accumulates);
    tcase_add_test(t, test_backward_repeatable);
    tcase_add_test(t, test_backward_frozen);
    tcase_add_test(t, test_backward_no_dx);
    tcase_add_test(t, test_backward_smaller_batch);
    tcase_add_test(t, test_backward_dx_overwritten);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(gradients_suite());
}
