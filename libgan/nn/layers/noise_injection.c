/*
 * noise_injection.c -- StyleGAN's noise inputs (Karras et al. 2019): fresh
 * Gaussian noise per pixel, added to every channel with a learned
 * per-channel strength, for stochastic detail that the style does not set.
 *
 * Input x (N, P, C), P = h*w; parameters: strength a (C), initially 0.
 *   y[n,p,c] = x[n,p,c] + a[c] * e[n,p],   e ~ N(0, 1)
 * Backward: dx = dy;  da[c] += sum_{n,p} dy[n,p,c] e[n,p].
 *
 * Where e comes from.  Training mode draws it from the model's random
 * stream (cx->rng), as dropout draws its masks.  Inference must be
 * reproducible and thread safe on a const model (gan__infer), so there
 * every sample gets the same fixed map, drawn from a generator of the
 * call's own seeded by the layer's place in the model (StyleGAN2's
 * noise_mode 'const'): the same latent vector gives the same image at any
 * batch size and in any thread.  (A map seeded per sample from its input
 * would not do: rounding that differs with the batch size would change
 * every bit of the noise.)  Saved forward data: e (N P floats), for the
 * backward pass.
 */
#include "nn/nn.h"

static gan_status noise_setup(gan__layer *l)
{
    char s[64];
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "noise_injection needs an image input (h, w, channels), got %s",
                        gan__shape_str(&l->in, s, sizeof s));
    l->out = l->in;
    l->n_params = (size_t)gan__shape_channels(&l->in);
    l->aux_per_sample = gan__shape_spatial(&l->in) * sizeof(float);
    return GAN_OK;
}

static void noise_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    (void)state;
    (void)r;
    memset(w, 0, l->n_params * sizeof(float));
}

static void noise_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, P = gan__shape_spatial(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in);
    float *e = cx->aux;
    if (cx->training) {
        gan__rng_fill_normal(cx->rng, e, N * P);
    } else {
        gan__rng r;
        gan__rng_seed(&r, 0x6e6f697365ull ^ (uint64_t)l->param_off); /* "noise" */
        gan__rng_fill_normal(&r, e, P);
        for (size_t n = 1; n < N; n++)
            memcpy(e + n * P, e, P * sizeof(float));
    }
    for (size_t n = 0; n < N; n++)
        for (size_t p = 0; p < P; p++) {
            const float en = e[n * P + p];
            const float *xr = x + (n * P + p) * C;
            float *yr = y + (n * P + p) * C;
            for (size_t c = 0; c < C; c++)
                yr[c] = xr[c] + cx->w[c] * en;
        }
}

static void noise_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                           const float *dy, float *dx)
{
    const size_t N = cx->batch, P = gan__shape_spatial(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in);
    const float *e = cx->aux;
    (void)x;
    (void)y;
    if (cx->dw)
        for (size_t n = 0; n < N; n++)
            for (size_t p = 0; p < P; p++) {
                const float en = e[n * P + p];
                const float *g = dy + (n * P + p) * C;
                for (size_t c = 0; c < C; c++)
                    cx->dw[c] += g[c] * en;
            }
    if (dx)
        memcpy(dx, dy, N * P * C * sizeof(float));
}

gan_status gan_model_add_noise_injection(gan_model *m)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_NOISE_INJECTION);
    return gan__model_append(m, &t, __func__);
}

/* No settings, no record fields.  A generator layer: the gradient
   penalties refuse it. */
const gan__layer_ops gan__noise_injection_ops = {
    .name = "noise_injection",
    .build = gan__model_append,
    .setup = noise_setup,
    .init = noise_init,
    .forward = noise_forward,
    .backward = noise_backward,
};
