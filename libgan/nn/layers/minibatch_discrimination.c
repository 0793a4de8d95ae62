/*
 * minibatch_discrimination.c -- minibatch discrimination (Salimans et al.
 * 2016, "Improved Techniques for Training GANs"): lets a discriminator
 * compare each sample with the rest of its batch, against mode collapse.
 *
 * Input x (N, A), trainable T (A, B*C) (Glorot-uniform), B kernels of
 * C dimensions:
 *   M = x T                               (N, B, C)
 *   e_b(i, j) = exp(-||M[i,b,:] - M[j,b,:]||_1)
 *   o[i,b] = sum_j e_b(i, j)              (j = i included: a constant 1)
 *   y = [x, o]                            (N, A + B)
 * Backward, with g[i,b] = dy[i, A+b] and e symmetric, sgn antisymmetric:
 *   dM[i,b,c] = -sum_j (g[i,b] + g[j,b]) e_b(i,j) sgn(M[i,b,c] - M[j,b,c])
 *   dT += x^T dM,   dx = dy[:, :A] + dM T^T
 * The L1 distance has kinks where two samples' projections coincide; the
 * subgradient there is 0.  Saved forward data: M.  Cost O(N^2 B C).
 */
#include <math.h>

#include "nn/nn.h"

static gan_status mbd_setup(gan__layer *l)
{
    char s[64];
    const size_t B = (size_t)l->u.mbd.kernels, C = (size_t)l->u.mbd.dims;
    if (l->in.ndim != 1)
        return gan__err(GAN_ESHAPE, "minibatch_discrimination needs a vector input, got %s; add "
                        "a flatten layer first", gan__shape_str(&l->in, s, sizeof s));
    l->out.ndim = 1;
    l->out.d[0] = l->in.d[0] + (int)B;
    l->n_params = (size_t)l->in.d[0] * B * C;
    l->aux_per_sample = B * C * sizeof(float);
    return GAN_OK;
}

static size_t mbd_workspace(const gan__layer *l, size_t batch)
{
    /* dM for the backward pass. */
    return batch * (size_t)l->u.mbd.kernels * (size_t)l->u.mbd.dims * sizeof(float);
}

static void mbd_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const size_t A = (size_t)l->in.d[0], BC = (size_t)l->u.mbd.kernels * (size_t)l->u.mbd.dims;
    (void)state;
    gan__glorot_uniform(r, w, A * BC, A, BC);
}

static void mbd_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, A = (size_t)l->in.d[0];
    const size_t B = (size_t)l->u.mbd.kernels, C = (size_t)l->u.mbd.dims, BC = B * C;
    float *M = cx->aux;
    gan__sgemm(0, 0, (int)N, (int)BC, (int)A, 1.0f, x, (int)A, cx->w, (int)BC, 0.0f, M, (int)BC);
    for (size_t i = 0; i < N; i++) {
        memcpy(y + i * (A + B), x + i * A, A * sizeof(float));
        for (size_t b = 0; b < B; b++) {
            const float *mi = M + i * BC + b * C;
            double o = 0.0;
            for (size_t j = 0; j < N; j++) {
                const float *mj = M + j * BC + b * C;
                double d = 0.0;
                for (size_t c = 0; c < C; c++)
                    d += fabs((double)mi[c] - mj[c]);
                o += exp(-d);
            }
            y[i * (A + B) + A + b] = (float)o;
        }
    }
}

static void mbd_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                         const float *dy, float *dx)
{
    const size_t N = cx->batch, A = (size_t)l->in.d[0];
    const size_t B = (size_t)l->u.mbd.kernels, C = (size_t)l->u.mbd.dims, BC = B * C;
    const float *M = cx->aux;
    float *dM = cx->ws;
    (void)y;
    memset(dM, 0, N * BC * sizeof(float));
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++) {
            const float *mi = M + i * BC + b * C;
            const double gi = dy[i * (A + B) + A + b];
            for (size_t j = i + 1; j < N; j++) {
                const float *mj = M + j * BC + b * C;
                const double gj = dy[j * (A + B) + A + b];
                double d = 0.0, k;
                for (size_t c = 0; c < C; c++)
                    d += fabs((double)mi[c] - mj[c]);
                k = (gi + gj) * exp(-d);
                for (size_t c = 0; c < C; c++) {
                    const double diff = (double)mi[c] - mj[c];
                    const double sg = diff > 0.0 ? 1.0 : diff < 0.0 ? -1.0 : 0.0;
                    dM[i * BC + b * C + c] -= (float)(k * sg);
                    dM[j * BC + b * C + c] += (float)(k * sg);
                }
            }
        }
    if (cx->dw)
        gan__sgemm(1, 0, (int)A, (int)BC, (int)N, 1.0f, x, (int)A, dM, (int)BC, 1.0f, cx->dw, (int)BC);
    if (dx) {
        gan__sgemm(0, 1, (int)N, (int)A, (int)BC, 1.0f, dM, (int)BC, cx->w, (int)BC, 0.0f, dx, (int)A);
        for (size_t i = 0; i < N; i++)
            for (size_t a = 0; a < A; a++)
                dx[i * A + a] += dy[i * (A + B) + a];
    }
}

/* ---- building and the file record ---------------------------------------- */

static gan_status mbd_build(gan_model *m, gan__layer *t, const char *func)
{
    if (t->u.mbd.kernels < 1 || t->u.mbd.kernels > 1024 || t->u.mbd.dims < 1 || t->u.mbd.dims > 1024)
        return gan__err(GAN_EINVAL, "%s: kernels %d and kernel_dim %d must be in 1..1024", func,
                        t->u.mbd.kernels, t->u.mbd.dims);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_minibatch_discrimination(gan_model *m, int kernels, int kernel_dim)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_MINIBATCH_DISCRIMINATION);
    t.u.mbd.kernels = kernels;
    t.u.mbd.dims = kernel_dim;
    return mbd_build(m, &t, __func__);
}

/* Record: u32 kernels, u32 kernel_dim. */
static void mbd_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.mbd.kernels);
    gan__wb_u32(b, (uint32_t)l->u.mbd.dims);
}

static gan_status mbd_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    t->u.mbd.kernels = gan__rb_i32(r);
    t->u.mbd.dims = gan__rb_i32(r);
    return r->st;
}

/* Mixes the samples of the batch: the gradient penalties refuse it. */
const gan__layer_ops gan__minibatch_discrimination_ops = {
    .name = "minibatch_discrimination",
    .build = mbd_build,
    .encode = mbd_encode,
    .decode = mbd_decode,
    .setup = mbd_setup,
    .workspace = mbd_workspace,
    .init = mbd_init,
    .forward = mbd_forward,
    .backward = mbd_backward,
};
