/*
 * conv2d_transpose.c -- transposed ("de-") convolution, NHWC.
 *
 * It is the adjoint of a conv2d that maps the transpose's output
 * (H, W, F) to its input (h, w, C), with the kernel W of shape
 * (kh, kw, F, C) -- Keras' layout for Conv2DTranspose.  So it reuses
 * conv2d's pair of primitives the other way round:
 *
 *   col = x W^T                 x (n*h*w, C), col (n*h*w, kh*kw*F)
 *   y   = col2im(col) + b       y (n, H, W, F)
 *   dcol = im2col(dy)
 *   dx   = dcol W               dW += dcol^T x          db += sum dy
 *
 * Output size follows Keras: 'same' H = h*s; 'valid' H = h*s + max(k-s, 0).
 * The padding is that of the adjoint convolution, which is why an even
 * kernel at stride 1 with 'same' pads 1 before and 2 after, as in Keras.
 *
 * Layers where at least a tenth of the im2col products' rows would land
 * outside the output (small maps, 'same' padding) run one GEMM per kernel
 * row instead (conv_taps.c; the rule is gan__deconv_taps_pays, decided at
 * setup).
 */
#include "nn/nn.h"

static gan_status deconv_setup(gan__layer *l)
{
    char s[64];
    gan__conv_geom *g = &l->u.conv.g;
    int pt, pl;
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "conv2d_transpose needs an image input (h, w, c), got %s",
                        gan__shape_str(&l->in, s, sizeof s));
    int H, W;
    if (l->u.conv.padding == GAN_PADDING_SAME) {
        H = l->in.d[0] * g->sh;
        W = l->in.d[1] * g->sw;
    } else {
        H = l->in.d[0] * g->sh + (g->kh > g->sh ? g->kh - g->sh : 0);
        W = l->in.d[1] * g->sw + (g->kw > g->sw ? g->kw - g->sw : 0);
    }
    if ((long long)H > GAN__MAX_DIM || (long long)W > GAN__MAX_DIM)
        return gan__err(GAN_ESHAPE, "conv2d_transpose output %dx%d is too large", H, W);
    /* Geometry of the adjoint convolution (H, W, F) -> (h, w, C). */
    g->ih = H;
    g->iw = W;
    g->ic = l->u.conv.filters;
    g->oh = gan__conv_out_size(H, g->kh, g->sh, l->u.conv.padding, &pt);
    g->ow = gan__conv_out_size(W, g->kw, g->sw, l->u.conv.padding, &pl);
    if (g->oh != l->in.d[0] || g->ow != l->in.d[1])
        return gan__err(GAN_EINTERNAL, "conv2d_transpose geometry mismatch");
    g->pad_top = pt;
    g->pad_left = pl;
    l->out.ndim = 3;
    l->out.d[0] = H;
    l->out.d[1] = W;
    l->out.d[2] = l->u.conv.filters;
    l->n_params = (size_t)g->kh * g->kw * g->ic * l->in.d[2] +
                  (l->use_bias ? (size_t)l->u.conv.filters : 0);
    l->u.conv.taps = gan__deconv_taps_pays(g);
    return GAN_OK;
}

/* Workspace bytes per image of the path the layer runs. */
static size_t deconv_ws_per_image(const gan__layer *l)
{
    const gan__conv_geom *g = &l->u.conv.g;
    if (l->u.conv.taps)
        return gan__deconv_taps_ws_per_image(g, l->in.d[2]);
    return (size_t)g->oh * g->ow * g->kh * g->kw * g->ic * sizeof(float);
}

static size_t deconv_workspace(const gan__layer *l, size_t batch)
{
    size_t per = deconv_ws_per_image(l);
    return gan__chunk_images(batch, per) * per;
}

static void deconv_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const size_t F = (size_t)l->u.conv.filters, C = (size_t)l->in.d[2];
    const size_t rf = (size_t)g->kh * g->kw;
    (void)state;
    /* Keras takes fan_in from the kernel's second-last axis (F here). */
    gan__glorot_uniform(r, w, rf * F * C, rf * F, rf * C);
    if (l->use_bias)
        memset(w + rf * F * C, 0, F * sizeof(float));
}

static void deconv_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const int F = g->ic, C = l->in.d[2], K = g->kh * g->kw * F, P = g->oh * g->ow;
    const size_t chunk = gan__chunk_images(cx->batch, deconv_ws_per_image(l));
    const size_t in_img = (size_t)P * C, out_img = (size_t)g->ih * g->iw * F;
    float *col = cx->ws;
    for (size_t n0 = 0; n0 < cx->batch; n0 += chunk) {
        const int nb = (int)(cx->batch - n0 < chunk ? cx->batch - n0 : chunk);
        if (l->u.conv.taps) {
            gan__deconv_taps_forward(g, C, nb, x + n0 * in_img, cx->w, y + n0 * out_img, col);
            continue;
        }
        gan__sgemm(0, 1, nb * P, K, C, 1.0f, x + n0 * in_img, C, cx->w, C, 0.0f, col, K);
        gan__col2im_set(g, nb, col, y + n0 * out_img);
    }
    if (l->use_bias) {
        const float *b = cx->w + (size_t)K * C;
        gan__add_bias_rows(y, b, cx->batch * g->ih * g->iw, (size_t)F);
    }
}

static void deconv_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                            const float *y, const float *dy, float *dx)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const int F = g->ic, C = l->in.d[2], K = g->kh * g->kw * F, P = g->oh * g->ow;
    const size_t chunk = gan__chunk_images(cx->batch, deconv_ws_per_image(l));
    const size_t in_img = (size_t)P * C, out_img = (size_t)g->ih * g->iw * F;
    float *col = cx->ws;
    (void)y;
    if (!cx->dw && !dx)
        return;
    for (size_t n0 = 0; n0 < cx->batch; n0 += chunk) {
        const int nb = (int)(cx->batch - n0 < chunk ? cx->batch - n0 : chunk);
        const int M = nb * P;
        if (l->u.conv.taps) {
            gan__deconv_taps_backward(g, C, nb, x + n0 * in_img, cx->w, dy + n0 * out_img,
                                      cx->dw, dx ? dx + n0 * in_img : NULL, col);
            continue;
        }
        gan__im2col(g, nb, dy + n0 * out_img, col);
        if (dx)
            gan__sgemm(0, 0, M, C, K, 1.0f, col, K, cx->w, C, 0.0f, dx + n0 * in_img, C);
        if (cx->dw)
            gan__sgemm(1, 0, K, C, M, 1.0f, col, K, x + n0 * in_img, C, 1.0f, cx->dw, C);
    }
    if (cx->dw && l->use_bias) {
        gan__bias_grad_rows(cx->dw + (size_t)K * C, dy, cx->batch * g->ih * g->iw, (size_t)F);
    }
}

/* The kernel (kh, kw, F, C) as the spectral normaliser's matrix: the F
   filters are its rows (PyTorch's dim=1 for ConvTranspose). */
static void deconv_sn_dims(const gan__layer *l, gan__sn_dims *d)
{
    const gan__conv_geom *g = &l->u.conv.g;
    d->a = (size_t)g->kh * g->kw;
    d->o = (size_t)l->u.conv.filters;
    d->b = (size_t)l->in.d[2];
}

/* Built and recorded as conv2d (conv2d.c): the same config and fields. */
gan_status gan_model_add_conv2d_transpose(gan_model *m, const gan_conv2d_config *cfg)
{
    return gan__conv_add(m, GAN_LAYER_CONV2D_TRANSPOSE, cfg, __func__);
}

/*
 * ONNX: ConvTranspose on NCHW with the kernel as (C, F, kh, kw).  Both are
 * the adjoint of the same convolution, so output row i*s - pad_top + ky
 * receives input row i through kernel row ky in each; ONNX's output size
 * s (h - 1) + output_padding + kh - pads_begin - pads_end is made Keras'
 * H with pads_begin = pad_top and the rest as pads_end or, when that
 * would be negative ('same' with k < s), as output_padding.
 */
static gan_status deconv_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const gan__conv_geom *q = &l->u.conv.g;
    const int64_t F = l->u.conv.filters, C = l->in.d[2], kh = q->kh, kw = q->kw;
    const int64_t wd[4] = {C, F, kh, kw}, ks[2] = {kh, kw}, strides[2] = {q->sh, q->sw};
    const int64_t eb = (int64_t)q->sh * (l->in.d[0] - 1) + kh - q->pad_top - l->out.d[0];
    const int64_t er = (int64_t)q->sw * (l->in.d[1] - 1) + kw - q->pad_left - l->out.d[1];
    const int64_t pads[4] = {q->pad_top, q->pad_left, eb > 0 ? eb : 0, er > 0 ? er : 0};
    const int64_t opad[2] = {eb < 0 ? -eb : 0, er < 0 ? -er : 0};
    char kn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    const char *in[3] = {gan__onnx_in(g), kn, bn};
    gan__onnx_attr attrs[4];
    size_t na = 0;
    float *t;
    (void)state;
    attrs[na++] = (gan__onnx_attr){.name = "kernel_shape", .type = 'I', .ints = ks, .n = 2};
    if (opad[0] || opad[1])
        attrs[na++] = (gan__onnx_attr){.name = "output_padding", .type = 'I', .ints = opad, .n = 2};
    attrs[na++] = (gan__onnx_attr){.name = "pads", .type = 'I', .ints = pads, .n = 4};
    attrs[na++] = (gan__onnx_attr){.name = "strides", .type = 'I', .ints = strides, .n = 2};
    if (!(t = gan__calloc((size_t)(F * C * kh * kw), sizeof(float))))
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    for (int64_t ky = 0; ky < kh; ky++)
        for (int64_t kx = 0; kx < kw; kx++)
            for (int64_t f = 0; f < F; f++)
                for (int64_t c = 0; c < C; c++)
                    t[((c * F + f) * kh + ky) * kw + kx] = w[((ky * kw + kx) * F + f) * C + c];
    gan__onnx_init_f32(g, "kernel", wd, 4, t, kn);
    gan__free(t);
    if (l->use_bias)
        gan__onnx_init_f32(g, "bias", &F, 1, w + F * C * kh * kw, bn);
    gan__onnx_node(g, "ConvTranspose", in, l->use_bias ? 3 : 2, attrs, na, y);
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__conv2d_transpose_ops = {
    .name = "conv2d_transpose",
    .build = gan__conv_build,
    .encode = gan__conv_encode,
    .decode = gan__conv_decode,
    .setup = deconv_setup,
    .workspace = deconv_workspace,
    .init = deconv_init,
    .forward = deconv_forward,
    .backward = deconv_backward,
    .plan = GAN__PLAN_OUTPUT_UNREAD,
    .penalty_jvp = gan__penalty_jvp_linear,
    .penalty_wgrad = gan__penalty_wgrad_linear,
    .sn_dims = deconv_sn_dims,
    .onnx = deconv_onnx,
};

/*
 * Naive twin, the test oracle: each input pixel scatters its kernel-weighted
 * value into the output window, written out directly.  g is the adjoint
 * convolution's geometry as set up above, C the input channels, w
 * (kh, kw, F, C).
 */
void gan__deconv2d_forward_ref(const gan__conv_geom *g, int C, int n, const float *x,
                               const float *w, const float *bias, float *y)
{
    const int F = g->ic;
    for (size_t i = 0; i < (size_t)n * g->ih * g->iw; i++)
        for (int f = 0; f < F; f++)
            y[i * F + f] = bias ? bias[f] : 0.0f;
    for (int b = 0; b < n; b++)
        for (int iy0 = 0; iy0 < g->oh; iy0++)
            for (int ix0 = 0; ix0 < g->ow; ix0++)
                for (int ky = 0; ky < g->kh; ky++)
                    for (int kx = 0; kx < g->kw; kx++) {
                        int oy = iy0 * g->sh - g->pad_top + ky, ox = ix0 * g->sw - g->pad_left + kx;
                        if (oy < 0 || oy >= g->ih || ox < 0 || ox >= g->iw)
                            continue;
                        for (int f = 0; f < F; f++) {
                            double acc = 0.0;
                            for (int c = 0; c < C; c++)
                                acc += (double)x[(((size_t)b * g->oh + iy0) * g->ow + ix0) * C + c] *
                                       w[(((size_t)ky * g->kw + kx) * F + f) * C + c];
                            y[(((size_t)b * g->ih + oy) * g->iw + ox) * F + f] += (float)acc;
                        }
                    }
}

void gan__deconv2d_backward_ref(const gan__conv_geom *g, int C, int n, const float *x,
                                const float *w, const float *dy, float *dw, float *dbias,
                                float *dx)
{
    const int F = g->ic;
    if (dx)
        memset(dx, 0, sizeof(float) * (size_t)n * g->oh * g->ow * C);
    if (dbias)
        for (size_t i = 0; i < (size_t)n * g->ih * g->iw; i++)
            for (int f = 0; f < F; f++)
                dbias[f] += dy[i * F + f];
    for (int b = 0; b < n; b++)
        for (int iy0 = 0; iy0 < g->oh; iy0++)
            for (int ix0 = 0; ix0 < g->ow; ix0++)
                for (int ky = 0; ky < g->kh; ky++)
                    for (int kx = 0; kx < g->kw; kx++) {
                        int oy = iy0 * g->sh - g->pad_top + ky, ox = ix0 * g->sw - g->pad_left + kx;
                        if (oy < 0 || oy >= g->ih || ox < 0 || ox >= g->iw)
                            continue;
                        for (int f = 0; f < F; f++) {
                            float d = dy[(((size_t)b * g->ih + oy) * g->iw + ox) * F + f];
                            for (int c = 0; c < C; c++) {
                                size_t xi = (((size_t)b * g->oh + iy0) * g->ow + ix0) * C + c;
                                size_t wi = (((size_t)ky * g->kw + kx) * F + f) * C + c;
                                if (dw)
                                    dw[wi] += x[xi] * d;
                                if (dx)
                                    dx[xi] += w[wi] * d;
                            }
                        }
                    }
}
