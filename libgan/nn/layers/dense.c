/*
 * dense.c -- fully connected layer.
 *
 *   y = x W + b           x (N, D), W (D, U) Keras layout, b (U), y (N, U)
 *   dW += x^T dy          db += sum_n dy          dx = dy W^T
 *
 * The whole batch is one GEMM in each direction.
 */
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

static size_t dense_workspace(const gan__layer *l, size_t batch)
{
    (void)l; (void)batch;
    return 0;
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

const gan__layer_ops gan__dense_ops = {
    "dense", dense_setup, dense_workspace, dense_init, dense_forward, dense_backward, 0
};
