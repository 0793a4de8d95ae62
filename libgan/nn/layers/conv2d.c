/*
 * conv2d.c -- 2-D convolution, NHWC, lowered to one GEMM per batch chunk.
 *
 *   col = im2col(x)               (n*oh*ow, kh*kw*C)
 *   y   = col W + b               W (kh*kw*C, F) = Keras' (kh, kw, C, F)
 *   dW += col^T dy                db += sum over rows of dy
 *   dx  = col2im(dy W^T)
 *
 * A chunk is as many images as fit in GAN__WS_CAP_BYTES of columns (the
 * whole batch for the seed networks at batch 64), so each GEMM has
 * n*oh*ow rows: never per-image GEMMs on 4x4 maps.
 */
#include <stddef.h>

#include "nn/nn.h"

static gan_status conv2d_setup(gan__layer *l)
{
    char s[64];
    gan__conv_geom *g = &l->u.conv.g;
    int pt, pl;
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "conv2d needs an image input (h, w, c), got %s",
                        gan__shape_str(&l->in, s, sizeof s));
    g->ih = l->in.d[0];
    g->iw = l->in.d[1];
    g->ic = l->in.d[2];
    g->oh = gan__conv_out_size(g->ih, g->kh, g->sh, l->u.conv.padding, &pt);
    g->ow = gan__conv_out_size(g->iw, g->kw, g->sw, l->u.conv.padding, &pl);
    if (g->oh <= 0 || g->ow <= 0)
        return gan__err(GAN_ESHAPE, "conv2d kernel %dx%d with 'valid' padding does not fit input %s",
                        g->kh, g->kw, gan__shape_str(&l->in, s, sizeof s));
    g->pad_top = pt;
    g->pad_left = pl;
    l->out.ndim = 3;
    l->out.d[0] = g->oh;
    l->out.d[1] = g->ow;
    l->out.d[2] = l->u.conv.filters;
    l->n_params = (size_t)g->kh * g->kw * g->ic * l->u.conv.filters +
                  (l->use_bias ? (size_t)l->u.conv.filters : 0);
    return GAN_OK;
}

/* Column bytes of one image. */
static size_t conv_col_bytes(const gan__conv_geom *g)
{
    return (size_t)g->oh * g->ow * g->kh * g->kw * g->ic * sizeof(float);
}

static size_t conv2d_workspace(const gan__layer *l, size_t batch)
{
    size_t per = conv_col_bytes(&l->u.conv.g);
    return gan__chunk_images(batch, per) * per;
}

static void conv2d_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const size_t F = (size_t)l->u.conv.filters, rf = (size_t)g->kh * g->kw;
    (void)state;
    gan__glorot_uniform(r, w, rf * g->ic * F, rf * g->ic, rf * F);
    if (l->use_bias)
        memset(w + rf * g->ic * F, 0, F * sizeof(float));
}

static void conv2d_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const int F = l->u.conv.filters, K = g->kh * g->kw * g->ic, P = g->oh * g->ow;
    const size_t chunk = gan__chunk_images(cx->batch, conv_col_bytes(g));
    const size_t in_img = (size_t)g->ih * g->iw * g->ic, out_img = (size_t)P * F;
    const float *b = cx->w + (size_t)K * F;
    float *col = cx->ws;
    for (size_t n0 = 0; n0 < cx->batch; n0 += chunk) {
        const int nb = (int)(cx->batch - n0 < chunk ? cx->batch - n0 : chunk);
        float *yc = y + n0 * out_img;
        gan__im2col(g, nb, x + n0 * in_img, col);
        gan__sgemm(0, 0, nb * P, F, K, 1.0f, col, K, cx->w, F, 0.0f, yc, F);
        if (l->use_bias)
            gan__add_bias_rows(yc, b, (size_t)nb * P, (size_t)F);
    }
}

static void conv2d_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                            const float *y, const float *dy, float *dx)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const int F = l->u.conv.filters, K = g->kh * g->kw * g->ic, P = g->oh * g->ow;
    const size_t chunk = gan__chunk_images(cx->batch, conv_col_bytes(g));
    const size_t in_img = (size_t)g->ih * g->iw * g->ic, out_img = (size_t)P * F;
    float *col = cx->ws;
    (void)y;
    for (size_t n0 = 0; n0 < cx->batch; n0 += chunk) {
        const int nb = (int)(cx->batch - n0 < chunk ? cx->batch - n0 : chunk);
        const int M = nb * P;
        const float *dyc = dy + n0 * out_img;
        if (cx->dw) {
            gan__im2col(g, nb, x + n0 * in_img, col);
            gan__sgemm(1, 0, K, F, M, 1.0f, col, K, dyc, F, 1.0f, cx->dw, F);
            if (l->use_bias)
                gan__bias_grad_rows(cx->dw + (size_t)K * F, dyc, (size_t)M, (size_t)F);
        }
        if (dx) {
            float *dxc = dx + n0 * in_img;
            gan__sgemm(0, 1, M, K, F, 1.0f, dyc, F, cx->w, F, 0.0f, col, K);
            gan__col2im_set(g, nb, col, dxc);
        }
    }
}

/* The kernel (kh*kw*C, F) as the spectral normaliser's matrix: F rows. */
static void conv2d_sn_dims(const gan__layer *l, gan__sn_dims *d)
{
    const gan__conv_geom *g = &l->u.conv.g;
    d->a = (size_t)g->kh * g->kw * g->ic;
    d->o = (size_t)l->u.conv.filters;
    d->b = 1;
}

/* ---- building and the file record (conv2d_transpose.c shares them) --------- */

gan_status gan_conv2d_config_init(gan_conv2d_config *cfg, size_t size)
{
    return gan__config_read(&gan__conv2d_config_type, cfg, size, NULL, __func__);
}

gan_status gan__conv_build(gan_model *m, gan__layer *t, const char *func)
{
    const gan__conv_geom *g = &t->u.conv.g;
    if (t->u.conv.filters < 1 || t->u.conv.filters > GAN__MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: filters is %d, must be in 1..%d", func, t->u.conv.filters,
                        GAN__MAX_DIM);
    if (g->kh < 1 || g->kw < 1 || g->kh > 64 || g->kw > 64)
        return gan__err(GAN_EINVAL, "%s: kernel %dx%d, each side must be in 1..64", func, g->kh, g->kw);
    if (g->sh < 1 || g->sw < 1 || g->sh > 64 || g->sw > 64)
        return gan__err(GAN_EINVAL, "%s: stride %dx%d, each must be in 1..64", func, g->sh, g->sw);
    if (t->u.conv.padding != GAN_PADDING_VALID && t->u.conv.padding != GAN_PADDING_SAME)
        return gan__err(GAN_EINVAL, "%s: padding %d is neither GAN_PADDING_VALID nor GAN_PADDING_SAME",
                        func, (int)t->u.conv.padding);
    return gan__model_append(m, t, func);
}

gan_status gan__conv_add(gan_model *m, gan_layer_kind kind, const gan_conv2d_config *cfg,
                         const char *func)
{
    gan_conv2d_config c;
    gan__layer t;
    gan_status st;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (cfg == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: 'cfg != NULL'", func);
    if ((st = gan__config_read(&gan__conv2d_config_type, &c, sizeof c, cfg, func)) != GAN_OK)
        return st;
    gan__layer_blank(&t, kind);
    t.spectral_norm = c.spectral_norm != 0;
    t.use_bias = c.use_bias != 0;
    t.u.conv.filters = c.filters;
    t.u.conv.padding = c.padding;
    t.u.conv.g.kh = c.kernel_h;
    t.u.conv.g.kw = c.kernel_w;
    t.u.conv.g.sh = c.stride_h;
    t.u.conv.g.sw = c.stride_w;
    return gan__conv_build(m, &t, func);
}

gan_status gan_model_add_conv2d(gan_model *m, const gan_conv2d_config *cfg)
{
    return gan__conv_add(m, GAN_LAYER_CONV2D, cfg, __func__);
}

/* Record: u32 filters, kernel_h, kernel_w, stride_h, stride_w, padding. */
void gan__conv_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.conv.filters);
    gan__wb_u32(b, (uint32_t)l->u.conv.g.kh);
    gan__wb_u32(b, (uint32_t)l->u.conv.g.kw);
    gan__wb_u32(b, (uint32_t)l->u.conv.g.sh);
    gan__wb_u32(b, (uint32_t)l->u.conv.g.sw);
    gan__wb_u32(b, (uint32_t)l->u.conv.padding);
}

gan_status gan__conv_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    t->u.conv.filters = gan__rb_i32(r);
    t->u.conv.g.kh = gan__rb_i32(r);
    t->u.conv.g.kw = gan__rb_i32(r);
    t->u.conv.g.sh = gan__rb_i32(r);
    t->u.conv.g.sw = gan__rb_i32(r);
    t->u.conv.padding = (gan_padding)gan__rb_i32(r);
    t->use_bias = (int)use_bias;
    return r->st;
}

/*
 * ONNX: Conv on NCHW with the kernel as (F, C, kh, kw) and explicit pads:
 * the top/left padding of the layer and whatever bottom/right padding
 * gives its output size (Keras 'same' pads the odd one after).
 */
static gan_status conv2d_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const gan__conv_geom *q = &l->u.conv.g;
    const int64_t F = l->u.conv.filters, C = q->ic, kh = q->kh, kw = q->kw;
    const int64_t wd[4] = {F, C, kh, kw}, ks[2] = {kh, kw}, strides[2] = {q->sh, q->sw};
    int64_t pb = (int64_t)(q->oh - 1) * q->sh + kh - q->ih - q->pad_top;
    int64_t pr = (int64_t)(q->ow - 1) * q->sw + kw - q->iw - q->pad_left;
    int64_t pads[4];
    char kn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    const char *in[3] = {gan__onnx_in(g), kn, bn};
    float *t;
    (void)state;
    pads[0] = q->pad_top;
    pads[1] = q->pad_left;
    pads[2] = pb > 0 ? pb : 0;
    pads[3] = pr > 0 ? pr : 0;
    const gan__onnx_attr attrs[3] = {{.name = "kernel_shape", .type = 'I', .ints = ks, .n = 2},
                                     {.name = "pads", .type = 'I', .ints = pads, .n = 4},
                                     {.name = "strides", .type = 'I', .ints = strides, .n = 2}};
    if (!(t = gan__calloc((size_t)(F * C * kh * kw), sizeof(float))))
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    for (int64_t ky = 0; ky < kh; ky++)
        for (int64_t kx = 0; kx < kw; kx++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t f = 0; f < F; f++)
                    t[((f * C + c) * kh + ky) * kw + kx] = w[((ky * kw + kx) * C + c) * F + f];
    gan__onnx_init_f32(g, "kernel", wd, 4, t, kn);
    gan__free(t);
    if (l->use_bias)
        gan__onnx_init_f32(g, "bias", &F, 1, w + F * C * kh * kw, bn);
    gan__onnx_node(g, "Conv", in, l->use_bias ? 3 : 2, attrs, 3, y);
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__conv2d_ops = {
    .name = "conv2d",
    .build = gan__conv_build,
    .encode = gan__conv_encode,
    .decode = gan__conv_decode,
    .setup = conv2d_setup,
    .workspace = conv2d_workspace,
    .init = conv2d_init,
    .forward = conv2d_forward,
    .backward = conv2d_backward,
    .plan = GAN__PLAN_OUTPUT_UNREAD,
    .penalty_jvp = gan__penalty_jvp_linear,
    .penalty_wgrad = gan__penalty_wgrad_linear,
    .sn_dims = conv2d_sn_dims,
    .onnx = conv2d_onnx,
};

/*
 * Naive twins, the test oracle: the convolution sum written out directly,
 * with no im2col and no BLAS.  w is (kh, kw, C, F).  y = conv(x), and the
 * backward accumulates dw (if not NULL) and writes dx (if not NULL).
 */
void gan__conv2d_forward_ref(const gan__conv_geom *g, int F, int n, const float *x,
                             const float *w, const float *bias, float *y)
{
    for (int b = 0; b < n; b++)
        for (int oy = 0; oy < g->oh; oy++)
            for (int ox = 0; ox < g->ow; ox++)
                for (int f = 0; f < F; f++) {
                    double acc = bias ? bias[f] : 0.0;
                    for (int ky = 0; ky < g->kh; ky++)
                        for (int kx = 0; kx < g->kw; kx++) {
                            int iy = oy * g->sh - g->pad_top + ky, ix = ox * g->sw - g->pad_left + kx;
                            if (iy < 0 || iy >= g->ih || ix < 0 || ix >= g->iw)
                                continue;
                            for (int c = 0; c < g->ic; c++)
                                acc += (double)x[(((size_t)b * g->ih + iy) * g->iw + ix) * g->ic + c] *
                                       w[(((size_t)ky * g->kw + kx) * g->ic + c) * F + f];
                        }
                    y[(((size_t)b * g->oh + oy) * g->ow + ox) * F + f] = (float)acc;
                }
}

void gan__conv2d_backward_ref(const gan__conv_geom *g, int F, int n, const float *x,
                              const float *w, const float *dy, float *dw, float *dbias,
                              float *dx)
{
    if (dx)
        memset(dx, 0, sizeof(float) * (size_t)n * g->ih * g->iw * g->ic);
    for (int b = 0; b < n; b++)
        for (int oy = 0; oy < g->oh; oy++)
            for (int ox = 0; ox < g->ow; ox++)
                for (int f = 0; f < F; f++) {
                    float d = dy[(((size_t)b * g->oh + oy) * g->ow + ox) * F + f];
                    if (dbias)
                        dbias[f] += d;
                    for (int ky = 0; ky < g->kh; ky++)
                        for (int kx = 0; kx < g->kw; kx++) {
                            int iy = oy * g->sh - g->pad_top + ky, ix = ox * g->sw - g->pad_left + kx;
                            if (iy < 0 || iy >= g->ih || ix < 0 || ix >= g->iw)
                                continue;
                            for (int c = 0; c < g->ic; c++) {
                                size_t xi = (((size_t)b * g->ih + iy) * g->iw + ix) * g->ic + c;
                                size_t wi = (((size_t)ky * g->kw + kx) * g->ic + c) * F + f;
                                if (dw)
                                    dw[wi] += x[xi] * d;
                                if (dx)
                                    dx[xi] += w[wi] * d;
                            }
                        }
                }
}
