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
 * Saved forward data (aux): xhat (R x C floats), then s (C floats).
 * Channel sums are accumulated in double in the workspace.
 *
 * Fused with the next layer's leaky ReLU/ReLU (l->fused_act, see plan.c):
 * forward writes a(gamma xhat + beta) with a(v) = v * (v > 0 ? 1 : alpha),
 * and backward receives y and dy of the activation's output and uses
 * dy * (y > 0 ? 1 : alpha) as the batchnorm's output gradient: the same
 * float operations as the two layers apart, so the same bits.
 */
#include <math.h>

#include "../gan_internal.h"
#include "../kernels.h"

/*
 * The element-wise passes.  Loops run over channels inside rows, so they
 * vectorise along c; neg is the fused activation's slope for v <= 0 (1
 * when unfused).  dy may alias dx (each element is read before it is
 * written), nothing else aliases.
 */
void gan__bn_normalise_train(size_t R, size_t C, const float *restrict x,
                             const double *restrict mean, const float *restrict inv,
                             const float *restrict gamma, const float *restrict beta, float neg,
                             float *restrict xhat, float *restrict y)
{
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            const float xh = (float)((x[r * C + c] - mean[c]) * inv[c]);
            const float v = gamma[c] * xh + beta[c];
            xhat[r * C + c] = xh;
            y[r * C + c] = v * (v > 0.0f ? 1.0f : neg);
        }
}

void gan__bn_normalise_infer(size_t R, size_t C, const float *restrict x,
                             const float *restrict mean, const float *restrict inv,
                             const float *restrict gamma, const float *restrict beta, float neg,
                             float *restrict xhat, float *restrict y)
{
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            const float xh = (x[r * C + c] - mean[c]) * inv[c];
            const float v = gamma[c] * xh + beta[c];
            xhat[r * C + c] = xh;
            y[r * C + c] = v * (v > 0.0f ? 1.0f : neg);
        }
}

void gan__bn_grad_sums(size_t R, size_t C, const float *restrict dy, const float *restrict xhat,
                       double *restrict sdy, double *restrict sdyx)
{
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            sdy[c] += dy[r * C + c];
            sdyx[c] += (double)dy[r * C + c] * xhat[r * C + c];
        }
}

void gan__bn_grad_sums_fused(size_t R, size_t C, const float *restrict dy,
                             const float *restrict y, float neg, const float *restrict xhat,
                             double *restrict sdy, double *restrict sdyx)
{
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            const float g = dy[r * C + c] * (y[r * C + c] > 0.0f ? 1.0f : neg);
            sdy[c] += g;
            sdyx[c] += (double)g * xhat[r * C + c];
        }
}

void gan__bn_dx_train(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
                      const float *restrict xhat, const float *restrict gamma,
                      const float *restrict inv, const double *restrict sdy,
                      const double *restrict sdyx, float *dx)
{
    if (!y) {
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++)
                dx[r * C + c] = gamma[c] * inv[c] *
                                (float)(dy[r * C + c] - sdy[c] - xhat[r * C + c] * sdyx[c]);
        return;
    }
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            const float g = dy[r * C + c] * (y[r * C + c] > 0.0f ? 1.0f : neg);
            dx[r * C + c] = gamma[c] * inv[c] * (float)(g - sdy[c] - xhat[r * C + c] * sdyx[c]);
        }
}

void gan__bn_dx_infer(size_t R, size_t C, const float *dy, const float *restrict y, float neg,
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

static gan_status bn_setup(gan__layer *l)
{
    const size_t C = (size_t)gan__shape_channels(&l->in);
    l->out = l->in;
    l->n_params = 2 * C;
    l->n_state = 2 * C;
    l->aux_per_sample = gan__shape_elems(&l->in) * sizeof(float);
    l->aux_fixed = C * sizeof(float);
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
    float *xhat = cx->aux;
    float *inv = xhat + R * C;                    /* (C), after xhat */
    float *rmean = cx->state, *rvar = cx->state + C;
    double *sum = cx->ws, *sq = sum + C;
    const float eps = l->u.bn.epsilon, mom = l->u.bn.momentum;
    /* Slope of the fused activation for v <= 0; 1 when nothing is fused
       (v * 1 == v, so the unfused layer shares the loop). */
    const float neg = l->fused_act ? l->fused_alpha : 1.0f;

    if (cx->training) {
        memset(sum, 0, 2 * C * sizeof(double));
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++)
                sum[c] += x[r * C + c];
        for (size_t c = 0; c < C; c++)
            sum[c] /= (double)R;                       /* now the mean */
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++) {
                double d = x[r * C + c] - sum[c];
                sq[c] += d * d;
            }
        for (size_t c = 0; c < C; c++) {
            double var = sq[c] / (double)R;
            double unbiased = R > 1 ? sq[c] / (double)(R - 1) : var;
            inv[c] = (float)(1.0 / sqrt(var + eps));
            rmean[c] = (float)(mom * rmean[c] + (1.0 - mom) * sum[c]);
            rvar[c] = (float)(mom * rvar[c] + (1.0 - mom) * unbiased);
        }
        gan__bn_normalise_train(R, C, x, sum, inv, gamma, beta, neg, xhat, y);
    } else {
        for (size_t c = 0; c < C; c++)
            inv[c] = 1.0f / sqrtf(rvar[c] + eps);
        gan__bn_normalise_infer(R, C, x, rmean, inv, gamma, beta, neg, xhat, y);
    }
}

static void bn_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                        const float *y, const float *dy, float *dx)
{
    const size_t C = (size_t)gan__shape_channels(&l->in);
    const size_t R = cx->batch * gan__shape_spatial(&l->in);
    const float *gamma = cx->w;
    const float *xhat = cx->aux;
    const float *inv = xhat + R * C;              /* (C), after xhat */
    double *sdy = cx->ws, *sdyx = sdy + C;
    const float neg = l->fused_act ? l->fused_alpha : 1.0f;
    (void)x;

    memset(sdy, 0, 2 * C * sizeof(double));
    if (l->fused_act)
        gan__bn_grad_sums_fused(R, C, dy, y, neg, xhat, sdy, sdyx);
    else
        gan__bn_grad_sums(R, C, dy, xhat, sdy, sdyx);
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
        gan__bn_dx_train(R, C, dy, l->fused_act ? y : NULL, neg, xhat, gamma, inv, sdy, sdyx,
                         dx);
    } else {
        gan__bn_dx_infer(R, C, dy, l->fused_act ? y : NULL, neg, gamma, inv, dx);
    }
}

const gan__layer_ops gan__batchnorm_ops = {
    "batchnorm", bn_setup, bn_workspace, bn_init, bn_forward, bn_backward, 0
};
