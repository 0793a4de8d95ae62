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
#include <stdio.h>

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

/* ---- building and the file record ---------------------------------------- */

/* t->out.d holds the caller's (h, w, c), not yet checked. */
static gan_status style_input_build(gan_model *m, gan__layer *t, const char *func)
{
    const int dims[3] = {t->out.d[0], t->out.d[1], t->out.d[2]};
    gan_status st;
    if (m->style_dim)
        return gan__err(GAN_EINVAL, "%s: layer %zu is already a style input; a model has at most "
                        "one (every adain layer reads its style vector)", func, m->style_layer);
    if ((st = gan__shape_from_dims(3, dims, &t->out, func)) != GAN_OK)
        return st;
    if ((st = gan__model_append(m, t, func)) != GAN_OK)
        return st;
    m->style_layer = m->n_layers - 1;
    m->style_dim = gan__shape_elems(&m->layers[m->style_layer].in);
    return GAN_OK;
}

gan_status gan_model_add_style_input(gan_model *m, int h, int w, int c)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_STYLE_INPUT);
    t.out.d[0] = h;
    t.out.d[1] = w;
    t.out.d[2] = c;
    return style_input_build(m, &t, __func__);
}

/* Record: u32 h, w, c of the constant. */
static void style_input_encode(gan__wbuf *b, const gan__layer *l)
{
    for (int k = 0; k < 3; k++)
        gan__wb_u32(b, (uint32_t)l->out.d[k]);
}

static gan_status style_input_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    for (int k = 0; k < 3; k++)
        t->out.d[k] = gan__rb_i32(r);
    return r->st;
}

/* A generator layer: the gradient penalties refuse it. */
/*
 * ONNX: the constant K (1, c, h, w) expanded to the batch, Expand(K,
 * concat(shape(s)[0:1], (c, h, w))); the style vector s, this layer's
 * input, is what the adain layers after it read (g->style).
 */
static gan_status style_input_onnx(const gan__layer *l, gan__onnx *g, const float *w,
                                   const float *state)
{
    const int64_t h = l->out.d[0], wd = l->out.d[1], c = l->out.d[2];
    const int64_t kd[4] = {1, c, h, wd}, one = 1, three = 3, zero = 0, rest[3] = {c, h, wd};
    const gan__onnx_attr axis = {.name = "axis", .type = 'i', .i = 0};
    char kn[GAN__ONNX_NAME], sh[GAN__ONNX_NAME], b0[GAN__ONNX_NAME], b1[GAN__ONNX_NAME];
    char rn[GAN__ONNX_NAME], full[GAN__ONNX_NAME], y[GAN__ONNX_NAME], n[GAN__ONNX_NAME];
    const char *sin[1] = {g->style}, *slin[3] = {sh, b0, b1}, *cin[2] = {n, rn};
    const char *ein[2] = {kn, full};
    float *t;
    (void)state;
    snprintf(g->style, sizeof g->style, "%s", gan__onnx_in(g));
    if (!(t = gan__calloc((size_t)(c * h * wd), sizeof(float))))
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    for (int64_t i = 0; i < h; i++)
        for (int64_t j = 0; j < wd; j++)
            for (int64_t k = 0; k < c; k++)
                t[(k * h + i) * wd + j] = w[(i * wd + j) * c + k];
    gan__onnx_init_f32(g, "constant", kd, 4, t, kn);
    gan__free(t);
    gan__onnx_init_i64(g, "begin", &one, 1, &zero, b0);
    gan__onnx_init_i64(g, "end", &one, 1, &one, b1);
    gan__onnx_init_i64(g, "chw", &three, 1, rest, rn);
    gan__onnx_node(g, "Shape", sin, 1, NULL, 0, sh);
    gan__onnx_node(g, "Slice", slin, 3, NULL, 0, n);
    gan__onnx_node(g, "Concat", cin, 2, &axis, 1, full);
    gan__onnx_node(g, "Expand", ein, 2, NULL, 0, y);
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__style_input_ops = {
    .name = "style_input",
    .build = style_input_build,
    .encode = style_input_encode,
    .decode = style_input_decode,
    .setup = style_input_setup,
    .init = style_input_init,
    .forward = style_input_forward,
    .backward = style_input_backward,
    .onnx = style_input_onnx,
};
