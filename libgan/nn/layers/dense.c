/*
 * dense.c -- fully connected layer.
 *
 *   y = x W + b           x (N, D), W (D, U) Keras layout, b (U), y (N, U)
 *   dW += x^T dy          db += sum_n dy          dx = dy W^T
 *
 * The whole batch is one GEMM in each direction.
 */
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
    gan__glorot_uniform(r, w, D * U, D, U);
    if (l->use_bias)
        memset(w + D * U, 0, U * sizeof(float));
}

static void dense_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const int N = (int)cx->batch, D = l->in.d[0], U = l->u.dense.units;
    gan__sgemm(0, 0, N, U, D, 1.0f, x, D, cx->w, U, 0.0f, y, U);
    if (l->use_bias)
        gan__add_bias_rows(y, cx->w + (size_t)D * U, (size_t)N, (size_t)U);
}

static void dense_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                           const float *y, const float *dy, float *dx)
{
    const int N = (int)cx->batch, D = l->in.d[0], U = l->u.dense.units;
    (void)y;
    if (cx->dw) {
        gan__sgemm(1, 0, D, U, N, 1.0f, x, D, dy, U, 1.0f, cx->dw, U);
        if (l->use_bias)
            gan__bias_grad_rows(cx->dw + (size_t)D * U, dy, (size_t)N, (size_t)U);
    }
    if (dx)
        gan__sgemm(0, 1, N, D, U, 1.0f, dy, U, cx->w, U, 0.0f, dx, D);
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
    return dense_build(m, &t, __func__);
}

/* Record: u32 units. */
static void dense_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.dense.units);
}

static gan_status dense_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    t->u.dense.units = gan__rb_i32(r);
    t->use_bias = (int)use_bias;
    return r->st;
}

/* ONNX: Gemm(x, W (D, U), b) -- the Keras layout is Gemm's B as it is. */
static gan_status dense_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const int64_t D = l->in.d[0], U = l->u.dense.units, wd[2] = {D, U};
    char kn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    const char *in[3] = {gan__onnx_in(g), kn, bn};
    (void)state;
    gan__onnx_init_f32(g, "kernel", wd, 2, w, kn);
    if (l->use_bias)
        gan__onnx_init_f32(g, "bias", &U, 1, w + D * U, bn);
    gan__onnx_node(g, "Gemm", in, l->use_bias ? 3 : 2, NULL, 0, y);
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
