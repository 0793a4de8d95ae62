/*
 * minibatch_stddev.c -- minibatch standard deviation (Karras et al. 2018,
 * "Progressive Growing of GANs"): lets a discriminator see how varied a
 * batch is, a remedy for mode collapse.
 *
 * For the batch's F = h*w*c features (or d for vectors), with N samples:
 *   mu_f = mean_n x[n,f],  sigma_f = sqrt(mean_n (x[n,f] - mu_f)^2 + eps)
 *   s = mean_f sigma_f                         (one scalar per batch)
 * The output is the input with one more channel (or feature) holding s at
 * every position: (h, w, c) -> (h, w, c+1), (d) -> (d+1).  Backward, with
 * G = the sum of the gradients arriving at that channel:
 *   dx[n,f] = dy[n,f] + G (x[n,f] - mu_f) / (F N sigma_f)
 * The statistic is the batch's in both modes (there are no running
 * statistics), so the layer behaves the same in training and inference.
 * Saved forward data: mu and sigma (2F floats).  Sums are in double.
 */
#include <math.h>

#include "nn/nn.h"

#define GAN__MBSTD_EPS 1e-8

static gan_status mbstd_setup(gan__layer *l)
{
    const size_t F = gan__shape_elems(&l->in);
    l->out = l->in;
    l->out.d[l->out.ndim - 1] += 1;
    l->aux_fixed = 2 * F * sizeof(float);
    return GAN_OK;
}

static size_t mbstd_workspace(const gan__layer *l, size_t batch)
{
    (void)batch;
    return 2 * gan__shape_elems(&l->in) * sizeof(double);
}

static void mbstd_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, F = gan__shape_elems(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in), P = F / C;
    float *mu = cx->aux, *sigma = mu + F;
    double *sum = cx->ws, *sq = sum + F, s = 0.0;
    memset(sum, 0, 2 * F * sizeof(double));
    for (size_t n = 0; n < N; n++)
        for (size_t f = 0; f < F; f++)
            sum[f] += x[n * F + f];
    for (size_t f = 0; f < F; f++)
        sum[f] /= (double)N;
    for (size_t n = 0; n < N; n++)
        for (size_t f = 0; f < F; f++) {
            double d = x[n * F + f] - sum[f];
            sq[f] += d * d;
        }
    for (size_t f = 0; f < F; f++) {
        double sd = sqrt(sq[f] / (double)N + GAN__MBSTD_EPS);
        mu[f] = (float)sum[f];
        sigma[f] = (float)sd;
        s += sd;
    }
    s /= (double)F;
    for (size_t n = 0; n < N; n++)
        for (size_t p = 0; p < P; p++) {
            const float *xs = x + (n * P + p) * C;
            float *ys = y + (n * P + p) * (C + 1);
            memcpy(ys, xs, C * sizeof(float));
            ys[C] = (float)s;
        }
}

static void mbstd_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                           const float *dy, float *dx)
{
    const size_t N = cx->batch, F = gan__shape_elems(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in), P = F / C;
    const float *mu = cx->aux, *sigma = mu + F;
    double g = 0.0, k;
    (void)y;
    if (!dx)
        return;
    for (size_t i = 0; i < N * P; i++)
        g += dy[i * (C + 1) + C];
    k = g / ((double)F * (double)N);
    for (size_t n = 0; n < N; n++)
        for (size_t p = 0; p < P; p++)
            for (size_t c = 0; c < C; c++) {
                const size_t f = p * C + c;
                dx[n * F + f] = dy[(n * P + p) * (C + 1) + c] +
                                (float)(k * (x[n * F + f] - mu[f]) / sigma[f]);
            }
}

gan_status gan_model_add_minibatch_stddev(gan_model *m)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_MINIBATCH_STDDEV);
    return gan__model_append(m, &t, __func__);
}

/* No settings, no record fields.  Mixes the samples of the batch: the
   gradient penalties refuse it. */
const gan__layer_ops gan__minibatch_stddev_ops = {
    .name = "minibatch_stddev",
    .build = gan__model_append,
    .setup = mbstd_setup,
    .workspace = mbstd_workspace,
    .forward = mbstd_forward,
    .backward = mbstd_backward,
};
