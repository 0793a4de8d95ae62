/*
 * dense.c -- fully connected layer.
 *
 *   y = x W + b           x (N, D), W (D, U) Keras layout, b (U), y (N, U)
 *   dW += x^T dy          db += sum_n dy          dx = dy W^T
 *
 * The whole batch is one GEMM in each direction.
 *
 * Equalised learning rate (l->equalized, gan_dense_config.equalized_lr):
 * the stored W is N(0, 1) / m and the layer uses c W and m b with
 * c = g m / sqrt(D), m = l->lr_mul, g = l->eq_gain, so
 *   y = c x W + m b     dW += c x^T dy     db += m sum_n dy     dx = c dy W^T
 * (the GEMMs' alpha; exact).
 */
#include <math.h>
#include <stddef.h>

#include "nn/nn.h"

static gan_status dense_setup(gan__layer *l)
{
    char s[64];
    if (l->in.ndim != 1)
        return gan__err(GAN_ESHAPE, "dense needs a vector input, got %s; add a flatten layer first",
                        gan__shape_str(&l->in, s, sizeof s));
    l->out.ndim = 1;
    l->out.d[0] = l->u.dense.units;
    l->n_params = (size_t)l->in.d[0] * l->u.dense.units + (l->use_bias ? (size_t)l->u.dense.units : 0);
    return GAN_OK;
}

static void dense_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const size_t D = (size_t)l->in.d[0], U = (size_t)l->u.dense.units;
    (void)state;
    if (l->equalized) {
        gan__rng_fill_normal(r, w, D * U);
        for (size_t i = 0; i < D * U; i++)
            w[i] /= l->lr_mul;
    } else {
        gan__glorot_uniform(r, w, D * U, D, U);
    }
    if (l->use_bias)
        memset(w + D * U, 0, U * sizeof(float));
}

/* The kernel's run-time scale: eq_gain lr_mul / sqrt(D) under the
   equalised learning rate, else 1. */
static float dense_scale(const gan__layer *l)
{
    return l->equalized ? (float)((double)l->eq_gain * l->lr_mul / sqrt((double)l->in.d[0]))
                        : 1.0f;
}

static void dense_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const int N = (int)cx->batch, D = l->in.d[0], U = l->u.dense.units;
    gan__sgemm(0, 0, N, U, D, dense_scale(l), x, D, cx->w, U, 0.0f, y, U);
    if (l->use_bias && l->equalized) {
        const float *b = cx->w + (size_t)D * U, m = l->lr_mul;
        for (size_t n = 0; n < (size_t)N; n++)
            for (size_t u = 0; u < (size_t)U; u++)
                y[n * U + u] += m * b[u];
    } else if (l->use_bias) {
        gan__add_bias_rows(y, cx->w + (size_t)D * U, (size_t)N, (size_t)U);
    }
}

static void dense_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                           const float *y, const float *dy, float *dx)
{
    const int N = (int)cx->batch, D = l->in.d[0], U = l->u.dense.units;
    const float c = dense_scale(l);
    (void)y;
    if (cx->dw) {
        gan__sgemm(1, 0, D, U, N, c, x, D, dy, U, 1.0f, cx->dw, U);
        if (l->use_bias && l->equalized) {
            float *db = cx->dw + (size_t)D * U;
            for (size_t u = 0; u < (size_t)U; u++) {
                double acc = 0.0;
                for (size_t n = 0; n < (size_t)N; n++)
                    acc += dy[n * U + u];
                db[u] += (float)(l->lr_mul * acc);
            }
        } else if (l->use_bias) {
            gan__bias_grad_rows(cx->dw + (size_t)D * U, dy, (size_t)N, (size_t)U);
        }
    }
    if (dx)
        gan__sgemm(0, 1, N, D, U, c, dy, U, cx->w, U, 0.0f, dx, D);
}

/* The kernel (D, U) as the spectral normaliser's matrix: U rows. */
static void dense_sn_dims(const gan__layer *l, gan__sn_dims *d)
{
    d->a = (size_t)l->in.d[0];
    d->o = (size_t)l->u.dense.units;
    d->b = 1;
}

/* ---- building and the file record ---------------------------------------- */

gan_status gan_dense_config_init(gan_dense_config *cfg, size_t size)
{
    return gan__config_read(&gan__dense_config_type, cfg, size, NULL, __func__);
}

static gan_status dense_build(gan_model *m, gan__layer *t, const char *func)
{
    if (t->u.dense.units < 1 || t->u.dense.units > GAN__MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: units is %d, must be in 1..%d", func, t->u.dense.units,
                        GAN__MAX_DIM);
    if ((unsigned)t->equalized > 1u)
        return gan__err(GAN_EINVAL, "%s: equalized_lr is %d, must be 0 or 1", func, t->equalized);
    if (!(t->lr_mul > 0.0f && t->lr_mul <= 1000.0f) || (!t->equalized && t->lr_mul != 1.0f))
        return gan__err(GAN_EINVAL, "%s: lr_multiplier %g must be in (0, 1000], and 1 without "
                        "equalized_lr (it acts through the equalised parameterisation)", func,
                        (double)t->lr_mul);
    if (!(t->eq_gain > 0.0f && t->eq_gain <= 100.0f) || (!t->equalized && t->eq_gain != 1.0f))
        return gan__err(GAN_EINVAL, "%s: equalized_gain %g must be in (0, 100], and 1 without "
                        "equalized_lr", func, (double)t->eq_gain);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_dense(gan_model *m, const gan_dense_config *cfg)
{
    gan_dense_config c;
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    GAN__CHECK_ARG(cfg != NULL);
    if ((st = gan__config_read(&gan__dense_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;
    gan__layer_blank(&t, GAN_LAYER_DENSE);
    t.spectral_norm = c.spectral_norm != 0;
    t.use_bias = c.use_bias != 0;
    t.u.dense.units = c.units;
    t.equalized = c.equalized_lr;
    t.lr_mul = c.lr_multiplier;
    t.eq_gain = c.equalized_gain;
    return dense_build(m, &t, __func__);
}

/* Record: u32 units; with the layer flag GAN__GANC_LAYER_EQUALIZED (which
   the reader puts in t->equalized) then f32 lr_multiplier, f32 gain. */
static void dense_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.dense.units);
    if (l->equalized) {
        gan__wb_f32(b, l->lr_mul);
        gan__wb_f32(b, l->eq_gain);
    }
}

static gan_status dense_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    t->u.dense.units = gan__rb_i32(r);
    t->use_bias = (int)use_bias;
    t->lr_mul = t->equalized ? gan__rb_f32(r) : 1.0f;
    t->eq_gain = t->equalized ? gan__rb_f32(r) : 1.0f;
    return r->st;
}

/* ONNX: Gemm(x, W (D, U), b) -- the Keras layout is Gemm's B as it is;
   the equalised learning rate's scales are Gemm's alpha and beta. */
static gan_status dense_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const int64_t D = l->in.d[0], U = l->u.dense.units, wd[2] = {D, U};
    char kn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    const char *in[3] = {gan__onnx_in(g), kn, bn};
    const gan__onnx_attr ab[2] = {{.name = "alpha", .type = 'f', .f = dense_scale(l)},
                                  {.name = "beta", .type = 'f', .f = l->lr_mul}};
    (void)state;
    gan__onnx_init_f32(g, "kernel", wd, 2, w, kn);
    if (l->use_bias)
        gan__onnx_init_f32(g, "bias", &U, 1, w + D * U, bn);
    gan__onnx_node(g, "Gemm", in, l->use_bias ? 3 : 2, l->equalized ? ab : NULL,
                   l->equalized ? 2u : 0u, y);
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__dense_ops = {
    .name = "dense",
    .build = dense_build,
    .encode = dense_encode,
    .decode = dense_decode,
    .setup = dense_setup,
    .init = dense_init,
    .forward = dense_forward,
    .backward = dense_backward,
    .plan = GAN__PLAN_OUTPUT_UNREAD,
    .penalty_jvp = gan__penalty_jvp_linear,
    .penalty_wgrad = gan__penalty_wgrad_linear,
    .sn_dims = dense_sn_dims,
    .onnx = dense_onnx,
};
