/*
 * style_input.c -- the synthesis network's input of a style-based
 * generator (StyleGAN's learned constant, Karras et al. 2019).
 *
 * Input: the style vector s (N, D) from the mapping network.  Output: a
 * trainable constant K (h, w, c), the same for every sample; s does not
 * enter it.  The forward keeps s in cx->style for the adain layers after
 * this one.  Backward:
 *   dK += sum_n dy[n]
 *   dx  = cx->dstyle, the sum of d/ds over every adain layer, which their
 *         backward (run before this one: the pass goes in reverse) added.
 */
#include "nn/nn.h"

static gan_status style_input_setup(gan__layer *l)
{
    char s[64];
    /* l->out was set from the caller's (h, w, c). */
    if (l->in.ndim != 1)
        return gan__err(GAN_ESHAPE, "style_input needs a vector input (the style vector), got "
                        "%s; add a flatten or dense layer first", gan__shape_str(&l->in, s, sizeof s));
    l->n_params = gan__shape_elems(&l->out);
    return GAN_OK;
}

static size_t style_input_workspace(const gan__layer *l, size_t batch)
{
    (void)l;
    (void)batch;
    return 0;
}

static void style_input_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    (void)state;
    gan__rng_fill_normal(r, w, l->n_params);
}

static void style_input_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, E = l->n_params;
    memcpy(cx->style, x, N * cx->style_dim * sizeof(float));
    for (size_t n = 0; n < N; n++)
        memcpy(y + n * E, cx->w, E * sizeof(float));
}

static void style_input_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                                 const float *y, const float *dy, float *dx)
{
    const size_t N = cx->batch, E = l->n_params;
    (void)x;
    (void)y;
    if (cx->dw)
        for (size_t n = 0; n < N; n++)
            for (size_t e = 0; e < E; e++)
                cx->dw[e] += dy[n * E + e];
    if (dx)
        memcpy(dx, cx->dstyle, N * cx->style_dim * sizeof(float));
}

const gan__layer_ops gan__style_input_ops = {
    "style_input", style_input_setup, style_input_workspace, style_input_init,
    style_input_forward, style_input_backward, 0
};
