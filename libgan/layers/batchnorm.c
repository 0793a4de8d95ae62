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
 */
#include <math.h>

#include "../gan_internal.h"

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
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++) {
                float xh = (float)((x[r * C + c] - sum[c]) * inv[c]);
                xhat[r * C + c] = xh;
                y[r * C + c] = gamma[c] * xh + beta[c];
            }
    } else {
        for (size_t c = 0; c < C; c++)
            inv[c] = 1.0f / sqrtf(rvar[c] + eps);
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++) {
                float xh = (x[r * C + c] - rmean[c]) * inv[c];
                xhat[r * C + c] = xh;
                y[r * C + c] = gamma[c] * xh + beta[c];
            }
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
    (void)x; (void)y;

    memset(sdy, 0, 2 * C * sizeof(double));
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            sdy[c] += dy[r * C + c];
            sdyx[c] += (double)dy[r * C + c] * xhat[r * C + c];
        }
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
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++)
                dx[r * C + c] = gamma[c] * inv[c] *
                                (float)(dy[r * C + c] - sdy[c] - xhat[r * C + c] * sdyx[c]);
    } else {
        for (size_t r = 0; r < R; r++)
            for (size_t c = 0; c < C; c++)
                dx[r * C + c] = gamma[c] * inv[c] * dy[r * C + c];
    }
}

const gan__layer_ops gan__batchnorm_ops = {
    "batchnorm", bn_setup, bn_workspace, bn_init, bn_forward, bn_backward, 0
};
