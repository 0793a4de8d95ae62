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

/* Inference noise: a stream seeded with this ("noise") ^ the layer's
   parameter offset. */
#define NOISE_SEED 0x6e6f697365ull

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
        gan__rng_seed(&r, NOISE_SEED ^ (uint64_t)l->param_off);
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
/*
 * ONNX: inference's fixed noise, so the graph adds a constant: a[c] e[p]
 * (1, C, H, W), each product the float the forward computes, and adding
 * it gives the forward's bits.  The noise is not an input of the graph:
 * every sample gets this map, as from gan_sampler.
 */
static gan_status noise_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const int64_t H = l->in.d[0], W = l->in.d[1], C = l->in.d[2], nd[4] = {1, C, H, W};
    const size_t P = (size_t)(H * W);
    char nn[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    const char *in[2] = {gan__onnx_in(g), nn};
    float *e = gan__calloc(P, sizeof(float)), *map = gan__calloc(P * (size_t)C, sizeof(float));
    gan__rng r;
    (void)state;
    if (!e || !map) {
        gan__free(e);
        gan__free(map);
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    }
    gan__rng_seed(&r, NOISE_SEED ^ (uint64_t)l->param_off);
    gan__rng_fill_normal(&r, e, P);
    for (int64_t c = 0; c < C; c++)
        for (size_t p = 0; p < P; p++)
            map[(size_t)c * P + p] = w[c] * e[p];
    gan__onnx_init_f32(g, "noise", nd, 4, map, nn);
    gan__free(e);
    gan__free(map);
    gan__onnx_node(g, "Add", in, 2, NULL, 0, y);
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__noise_injection_ops = {
    .name = "noise_injection",
    .build = gan__model_append,
    .setup = noise_setup,
    .init = noise_init,
    .forward = noise_forward,
    .backward = noise_backward,
    .onnx = noise_onnx,
};
