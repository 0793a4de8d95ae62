/*
 * batchnorm.c -- batch normalisation over the last axis (Keras axis=-1).
 *
 * R = batch * h * w rows, C channels.  Training mode:
 *   mu = mean_r x,  var = mean_r (x - mu)^2 (biased),  s = 1/sqrt(var + eps)
 *   xhat = (x - mu) s,  y = gamma xhat + beta
 *   running_mean = m running_mean + (1-m) mu
 *   running_var  = m running_var  + (1-m) var * R/(R-1)   (unbiased, as
 *                  TensorFlow's fused kernel and PyTorch do)
 *   dgamma += sum dy xhat,  dbeta += sum dy
 *   dx = gamma s / R * (R dy - sum dy - xhat sum(dy xhat))
 * Inference mode uses the running statistics; then dx = gamma s dy.
 *
 * Saved forward data (aux): the mean used (C doubles) and s (C floats).
 * xhat is not stored: backward recomputes it from x -- the layer's input,
 * which the model keeps for backward anyway -- with the forward's own
 * expression, so it has the same bits (training: in double from the double
 * batch mean; inference: in float from the running mean).  That saves an
 * R x C tensor per batchnorm.  Channel sums are accumulated in double in
 * the workspace.
 *
 * Fused with the next layer's leaky ReLU/ReLU (l->fused_act, see plan.c):
 * forward writes a(gamma xhat + beta) with a(v) = v * (v > 0 ? 1 : alpha),
 * and backward receives y and dy of the activation's output and uses
 * dy * (y > 0 ? 1 : alpha) as the batchnorm's output gradient: the same
 * float operations as the two layers apart, so the same bits.
 */
#include <math.h>

#include "nn/nn.h"

/* xhat of element (r, c): the forward's expression in each mode. */
static inline float bn_xhat(int train, float x, double mean, float inv)
{
    return train ? (float)((x - mean) * inv) : (x - (float)mean) * inv;
}

/* The activation slope applied to dy (neg: the slope for v <= 0). */
static inline float bn_act_grad(const float *y, size_t i, float dy, float neg)
{
    return y ? dy * (y[i] > 0.0f ? 1.0f : neg) : dy;
}

/*
 * The element-wise passes.  Loops run over channels inside rows, so they
 * vectorise along c; neg is the fused activation's slope for v <= 0 (1 when
 * unfused: v * 1 == v).  train selects the xhat expression (a constant in
 * each caller below, so each loop is specialised).  dx may alias dy (each
 * element is read before it is written); nothing else aliases.
 */
static inline void bn_normalise(int train, size_t R, size_t C, const float *restrict x,
                                const double *restrict mean, const float *restrict inv,
                                const float *restrict gamma, const float *restrict beta,
                                float neg, float *restrict y)
{
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            const float xh = bn_xhat(train, x[r * C + c], mean[c], inv[c]);
            const float v = gamma[c] * xh + beta[c];
            y[r * C + c] = v * (v > 0.0f ? 1.0f : neg);
        }
}

static inline void bn_grad_sums(int train, size_t R, size_t C, size_t c0, size_t c1,
                                const float *restrict dy, const float *restrict y, float neg,
                                const float *restrict x, const double *restrict mean,
                                const float *restrict inv, double *restrict sdy,
                                double *restrict sdyx)
{
    for (size_t r = 0; r < R; r++)
        for (size_t c = c0; c < c1; c++) {
            const float g = bn_act_grad(y, r * C + c, dy[r * C + c], neg);
            sdy[c] += g;
            sdyx[c] += (double)g * bn_xhat(train, x[r * C + c], mean[c], inv[c]);
        }
}

/* mean = the channel means, sq = the sums of squared deviations from them
   (two passes, in double: no cancellation). */
/* Channels [c0, c1): the threads split the channels of the two channel
   reductions (each channel's sums run over the rows in order, whoever
   computes them: the same bits) and the rows of the element-wise passes. */
GAN__SIMD_BODY void bn_stats_body(size_t R, size_t C, size_t c0, size_t c1,
                                  const float *restrict x, double *restrict mean,
                                  double *restrict sq)
{
    for (size_t c = c0; c < c1; c++)
        mean[c] = sq[c] = 0.0;
    for (size_t r = 0; r < R; r++)
        for (size_t c = c0; c < c1; c++)
            mean[c] += x[r * C + c];
    for (size_t c = c0; c < c1; c++)
        mean[c] /= (double)R;
    for (size_t r = 0; r < R; r++)
        for (size_t c = c0; c < c1; c++) {
            double d = x[r * C + c] - mean[c];
            sq[c] += d * d;
        }
}
GAN__SIMD_VARIANTS(bn_stats, (size_t R, size_t C, size_t c0, size_t c1, const float *restrict x,
                   double *restrict mean, double *restrict sq),
                   (R, C, c0, c1, x, mean, sq))

/* Every argument of the passes below; each slice takes what it needs. */
typedef struct bn_job {
    int train;
    size_t R, C;
    float neg;
    const float *x, *dy, *y, *inv, *gamma, *beta;
    const double *mean, *sdy, *sdyx;
    double *omean, *osq;
    float *out;
} bn_job;

/* Channel slices need R * (c1 - c0) floats worth a thread; row slices
   R' * C. */
static void bn_split_channels(const bn_job *j, gan__range_fn fn)
{
    gan__parallel_range(j->C, 16, gan__par_min_items(j->R), fn, (void *)j);
}

static void bn_split_rows(const bn_job *j, gan__range_fn fn)
{
    gan__parallel_range(j->R, 1, gan__par_min_items(j->C), fn, (void *)j);
}

static void bn_stats_slice(void *ctx, size_t lo, size_t hi)
{
    const bn_job *j = ctx;
    GAN__SIMD_CALL(bn_stats, (j->R, j->C, lo, hi, j->x, j->omean, j->osq));
}

void gan__bn_stats(size_t R, size_t C, const float *restrict x,
                                    double *restrict mean, double *restrict sq)
{
    bn_job j = {.R = R, .C = C, .x = x, .omean = mean, .osq = sq};
    bn_split_channels(&j, bn_stats_slice);
}

GAN__SIMD_BODY void bn_normalise_body(int train, size_t R, size_t C, const float *restrict x,
                       const double *restrict mean, const float *restrict inv,
                       const float *restrict gamma, const float *restrict beta, float neg,
                       float *restrict y)
{
    if (train)
        bn_normalise(1, R, C, x, mean, inv, gamma, beta, neg, y);
    else
        bn_normalise(0, R, C, x, mean, inv, gamma, beta, neg, y);
}
GAN__SIMD_VARIANTS(bn_normalise, (int train, size_t R, size_t C, const float *restrict x,
                   const double *restrict mean, const float *restrict inv,
                   const float *restrict gamma, const float *restrict beta, float neg,
                   float *restrict y),
                   (train, R, C, x, mean, inv, gamma, beta, neg, y))

static void bn_normalise_slice(void *ctx, size_t lo, size_t hi)
{
    const bn_job *j = ctx;
    GAN__SIMD_CALL(bn_normalise, (j->train, hi - lo, j->C, j->x + lo * j->C, j->mean, j->inv,
                                  j->gamma, j->beta, j->neg, j->out + lo * j->C));
}

void gan__bn_normalise(int train, size_t R, size_t C, const float *restrict x,
                       const double *restrict mean, const float *restrict inv,
                       const float *restrict gamma, const float *restrict beta, float neg,
                       float *restrict y)
{
    bn_job j = {.train = train, .R = R, .C = C, .neg = neg, .x = x, .inv = inv, .gamma = gamma,
                .beta = beta, .mean = mean, .out = y};
    bn_split_rows(&j, bn_normalise_slice);
}

GAN__SIMD_BODY void bn_grad_sums_body(int train, size_t R, size_t C, size_t c0, size_t c1,
                       const float *restrict dy, const float *restrict y, float neg,
                       const float *restrict x, const double *restrict mean,
                       const float *restrict inv, double *restrict sdy, double *restrict sdyx)
{
    if (train && y)
        bn_grad_sums(1, R, C, c0, c1, dy, y, neg, x, mean, inv, sdy, sdyx);
    else if (train)
        bn_grad_sums(1, R, C, c0, c1, dy, NULL, neg, x, mean, inv, sdy, sdyx);
    else if (y)
        bn_grad_sums(0, R, C, c0, c1, dy, y, neg, x, mean, inv, sdy, sdyx);
    else
        bn_grad_sums(0, R, C, c0, c1, dy, NULL, neg, x, mean, inv, sdy, sdyx);
}
GAN__SIMD_VARIANTS(bn_grad_sums, (int train, size_t R, size_t C, size_t c0, size_t c1,
                   const float *restrict dy, const float *restrict y, float neg,
                   const float *restrict x, const double *restrict mean,
                   const float *restrict inv, double *restrict sdy, double *restrict sdyx),
                   (train, R, C, c0, c1, dy, y, neg, x, mean, inv, sdy, sdyx))

static void bn_grad_sums_slice(void *ctx, size_t lo, size_t hi)
{
    const bn_job *j = ctx;
    GAN__SIMD_CALL(bn_grad_sums, (j->train, j->R, j->C, lo, hi, j->dy, j->y, j->neg, j->x,
                                  j->mean, j->inv, j->omean, j->osq));
}

void gan__bn_grad_sums(int train, size_t R, size_t C, const float *restrict dy,
                       const float *restrict y, float neg, const float *restrict x,
                       const double *restrict mean, const float *restrict inv,
                       double *restrict sdy, double *restrict sdyx)
{
    bn_job j = {.train = train, .R = R, .C = C, .neg = neg, .x = x, .dy = dy, .y = y, .inv = inv,
                .mean = mean, .omean = sdy, .osq = sdyx};
    bn_split_channels(&j, bn_grad_sums_slice);
}

GAN__SIMD_BODY void bn_dx_train_body(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
                      const float *restrict x, const double *restrict mean,
                      const float *restrict gamma, const float *restrict inv,
                      const double *restrict sdy, const double *restrict sdyx, float *dx)
{
    if (!y) {
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++) {
                const float xh = bn_xhat(1, x[r * C + c], mean[c], inv[c]);
                dx[r * C + c] = gamma[c] * inv[c] * (float)(dy[r * C + c] - sdy[c] - xh * sdyx[c]);
            }
        return;
    }
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            const float g = dy[r * C + c] * (y[r * C + c] > 0.0f ? 1.0f : neg);
            const float xh = bn_xhat(1, x[r * C + c], mean[c], inv[c]);
            dx[r * C + c] = gamma[c] * inv[c] * (float)(g - sdy[c] - xh * sdyx[c]);
        }
}
GAN__SIMD_VARIANTS(bn_dx_train, (size_t R, size_t C, const float *dy, const float *restrict y,
                   float neg, const float *restrict x, const double *restrict mean,
                   const float *restrict gamma, const float *restrict inv,
                   const double *restrict sdy, const double *restrict sdyx, float *dx),
                   (R, C, dy, y, neg, x, mean, gamma, inv, sdy, sdyx, dx))

static void bn_dx_train_slice(void *ctx, size_t lo, size_t hi)
{
    const bn_job *j = ctx;
    const size_t o = lo * j->C;
    GAN__SIMD_CALL(bn_dx_train, (hi - lo, j->C, j->dy + o, j->y ? j->y + o : NULL, j->neg,
                                 j->x + o, j->mean, j->gamma, j->inv, j->sdy, j->sdyx,
                                 j->out + o));
}

void gan__bn_dx_train(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
                      const float *restrict x, const double *restrict mean,
                      const float *restrict gamma, const float *restrict inv,
                      const double *restrict sdy, const double *restrict sdyx, float *dx)
{
    bn_job j = {.R = R, .C = C, .neg = neg, .x = x, .dy = dy, .y = y, .inv = inv,
                .gamma = gamma, .mean = mean, .sdy = sdy, .sdyx = sdyx, .out = dx};
    bn_split_rows(&j, bn_dx_train_slice);
}

GAN__SIMD_BODY void bn_dx_infer_body(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
                      const float *restrict gamma, const float *restrict inv, float *dx)
{
    if (!y) {
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++)
                dx[r * C + c] = gamma[c] * inv[c] * dy[r * C + c];
        return;
    }
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++)
            dx[r * C + c] = gamma[c] * inv[c] * (dy[r * C + c] * (y[r * C + c] > 0.0f ? 1.0f : neg));
}
GAN__SIMD_VARIANTS(bn_dx_infer, (size_t R, size_t C, const float *dy, const float *restrict y,
                   float neg, const float *restrict gamma, const float *restrict inv, float *dx),
                   (R, C, dy, y, neg, gamma, inv, dx))

static void bn_dx_infer_slice(void *ctx, size_t lo, size_t hi)
{
    const bn_job *j = ctx;
    const size_t o = lo * j->C;
    GAN__SIMD_CALL(bn_dx_infer, (hi - lo, j->C, j->dy + o, j->y ? j->y + o : NULL, j->neg,
                                 j->gamma, j->inv, j->out + o));
}

void gan__bn_dx_infer(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
                      const float *restrict gamma, const float *restrict inv, float *dx)
{
    bn_job j = {.R = R, .C = C, .neg = neg, .dy = dy, .y = y, .inv = inv, .gamma = gamma,
                .out = dx};
    bn_split_rows(&j, bn_dx_infer_slice);
}

static gan_status bn_setup(gan__layer *l)
{
    const size_t C = (size_t)gan__shape_channels(&l->in);
    l->out = l->in;
    l->n_params = 2 * C;
    l->n_state = 2 * C;
    l->aux_per_sample = 0;
    l->aux_fixed = C * (sizeof(double) + sizeof(float));   /* mean, then s */
    return GAN_OK;
}

static size_t bn_workspace(const gan__layer *l, size_t batch)
{
    (void)batch;
    return 2 * (size_t)gan__shape_channels(&l->in) * sizeof(double);
}

static void bn_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const size_t C = (size_t)gan__shape_channels(&l->in);
    (void)r;
    for (size_t c = 0; c < C; c++) {
        w[c] = 1.0f;          /* gamma */
        w[C + c] = 0.0f;      /* beta */
        state[c] = 0.0f;      /* moving mean */
        state[C + c] = 1.0f;  /* moving variance */
    }
}

static void bn_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t C = (size_t)gan__shape_channels(&l->in);
    const size_t R = cx->batch * gan__shape_spatial(&l->in);
    const float *gamma = cx->w, *beta = cx->w + C;
    double *mean = cx->aux;
    float *inv = (void *)(mean + C); /* floats after the C doubles */
    float *rmean = cx->state, *rvar = cx->state + C;
    double *sq = cx->ws;
    const float eps = l->u.bn.epsilon, mom = l->u.bn.momentum;
    const float neg = l->fused_act ? l->fused_alpha : 1.0f;

    if (cx->training) {
        gan__bn_stats(R, C, x, mean, sq);
        for (size_t c = 0; c < C; c++) {
            double var = sq[c] / (double)R;
            double unbiased = R > 1 ? sq[c] / (double)(R - 1) : var;
            inv[c] = (float)(1.0 / sqrt(var + eps));
            rmean[c] = (float)(mom * rmean[c] + (1.0 - mom) * mean[c]);
            rvar[c] = (float)(mom * rvar[c] + (1.0 - mom) * unbiased);
        }
    } else {
        /* Kept with the forward: backward must not depend on later changes
           of the running statistics. */
        for (size_t c = 0; c < C; c++) {
            mean[c] = rmean[c];
            inv[c] = 1.0f / sqrtf(rvar[c] + eps);
        }
    }
    gan__bn_normalise(cx->training, R, C, x, mean, inv, gamma, beta, neg, y);
}

static void bn_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                        const float *y, const float *dy, float *dx)
{
    const size_t C = (size_t)gan__shape_channels(&l->in);
    const size_t R = cx->batch * gan__shape_spatial(&l->in);
    const float *gamma = cx->w;
    const double *mean = cx->aux;
    const float *inv = (const void *)(mean + C);
    double *sdy = cx->ws, *sdyx = sdy + C;
    const float neg = l->fused_act ? l->fused_alpha : 1.0f;
    const float *act_y = l->fused_act ? y : NULL;

    memset(sdy, 0, 2 * C * sizeof(double));
    gan__bn_grad_sums(cx->training, R, C, dy, act_y, neg, x, mean, inv, sdy, sdyx);
    if (cx->dw)
        for (size_t c = 0; c < C; c++) {
            cx->dw[c] += (float)sdyx[c];
            cx->dw[C + c] += (float)sdy[c];
        }
    if (!dx)
        return;
    if (cx->training) {
        for (size_t c = 0; c < C; c++) {
            sdy[c] /= (double)R;
            sdyx[c] /= (double)R;
        }
        gan__bn_dx_train(R, C, dy, act_y, neg, x, mean, gamma, inv, sdy, sdyx, dx);
    } else {
        gan__bn_dx_infer(R, C, dy, act_y, neg, gamma, inv, dx);
    }
}

/* Moving variances (the second half of the state) must be >= 0. */
static gan_status bn_check_state(const gan__layer *l, size_t from, const float *v, size_t n, uint32_t *acc)
{
    (void)acc;
    for (size_t i = 0; i < n; i++)
        if (from + i >= l->n_state / 2 && v[i] < 0.0f)
            return gan__err(GAN_EINVAL, "moving variance %zu is negative (%g)", from + i - l->n_state / 2,
                            (double)v[i]);
    return GAN_OK;
}

/* ---- building and the file record ---------------------------------------- */

gan_status gan_batchnorm_config_init(gan_batchnorm_config *cfg, size_t size)
{
    return gan__config_read(&gan__batchnorm_config_type, cfg, size, NULL, __func__);
}

static gan_status bn_build(gan_model *m, gan__layer *t, const char *func)
{
    if (!(t->u.bn.momentum >= 0.0f && t->u.bn.momentum <= 1.0f))
        return gan__err(GAN_EINVAL, "%s: momentum %g must be in [0, 1]", func, (double)t->u.bn.momentum);
    if (!(t->u.bn.epsilon > 0.0f && t->u.bn.epsilon < 1.0f))
        return gan__err(GAN_EINVAL, "%s: epsilon %g must be in (0, 1)", func, (double)t->u.bn.epsilon);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_batchnorm(gan_model *m, const gan_batchnorm_config *cfg)
{
    gan_batchnorm_config c;
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if ((st = gan__config_read(&gan__batchnorm_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;   /* cfg NULL: the defaults */
    gan__layer_blank(&t, GAN_LAYER_BATCHNORM);
    t.u.bn.momentum = c.momentum;
    t.u.bn.epsilon = c.epsilon;
    return bn_build(m, &t, __func__);
}

/* Record: f32 momentum, f32 epsilon. */
static void bn_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_f32(b, l->u.bn.momentum);
    gan__wb_f32(b, l->u.bn.epsilon);
}

static gan_status bn_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    t->u.bn.momentum = gan__rb_f32(r);
    t->u.bn.epsilon = gan__rb_f32(r);
    return r->st;
}

/* ONNX: BatchNormalization with the running statistics (inference), over
   dimension 1: the channels of an NCHW image, the features of a vector. */
static gan_status bn_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const int64_t C = gan__shape_channels(&l->in);
    const gan__onnx_attr a = {.name = "epsilon", .type = 'f', .f = l->u.bn.epsilon};
    char sn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME], mn[GAN__ONNX_NAME], vn[GAN__ONNX_NAME];
    char y[GAN__ONNX_NAME];
    const char *in[5] = {gan__onnx_in(g), sn, bn, mn, vn};
    if (l->in.ndim == 2)
        return gan__err(GAN_EUNSUPPORTED, "batchnorm of a 2-D sample (A, B) has no ONNX form here; "
                        "reshape to a vector or an image first");
    gan__onnx_init_f32(g, "gamma", &C, 1, w, sn);
    gan__onnx_init_f32(g, "beta", &C, 1, w + C, bn);
    gan__onnx_init_f32(g, "moving_mean", &C, 1, state, mn);
    gan__onnx_init_f32(g, "moving_variance", &C, 1, state + C, vn);
    gan__onnx_node(g, "BatchNormalization", in, 5, &a, 1, y);
    gan__onnx_out(g, y);
    return g->st;
}

/* Not supported by the gradient penalties: its backward map depends on
   the batch statistics of its input. */
const gan__layer_ops gan__batchnorm_ops = {
    .name = "batchnorm",
    .build = bn_build,
    .encode = bn_encode,
    .decode = bn_decode,
    .setup = bn_setup,
    .workspace = bn_workspace,
    .init = bn_init,
    .forward = bn_forward,
    .backward = bn_backward,
    .check_state = bn_check_state,
    .plan = GAN__PLAN_FUSES_RECTIFIER | GAN__PLAN_GRAD_IN_PLACE,
    .onnx = bn_onnx,
};
