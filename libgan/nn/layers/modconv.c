/*
 * modconv.c -- modulated convolution with optional weight demodulation
 * (StyleGAN2, Karras et al. 2020, "Analyzing and Improving the Image
 * Quality of StyleGAN", section 2.2), stride 1, 'same' padding, NHWC.
 *
 * Input x (N, P, C), P = h*w; the sample's style vector v (N, D) from
 * cx->style (kept by the style input layer).  Parameters, in this order:
 * kernel W (kh, kw, C, F) = (K, F) with K = kh*kw*C, bias (F), affine
 * A (D, C), affine bias a (C).  With cw = 1/sqrt(K), ca = 1/sqrt(D) under
 * the equalised learning rate (else cw = ca = 1):
 *   s[n,c]  = cw (ca (v A)[n,c] + a[c])            one GEMM
 *   w'      = s[n,c] W[k,c,f]                      (per sample: modulation)
 *   d[n,f]  = 1 / sqrt(sum_{k,c} w'^2 + eps)        eps = 1e-8
 *           = 1 / sqrt(sum_c s[n,c]^2 Q[c,f] + eps), Q[c,f] = sum_taps W^2
 *   y[n,p,f] = d[n,f] z[n,p,f] + bias[f],  z = conv(x * s, W)
 * Modulating the weights by s[c] is scaling the input's channels by s, and
 * demodulating them by d[f] is scaling the output's channels by d, both
 * exact (the sums are the same products, regrouped), so the whole batch is
 * the plain convolution's im2col + one GEMM per chunk of images, not one
 * grouped convolution per sample.  Without demodulation d = 1.
 *
 * Backward, with dd[n,f] = sum_p dy z and E[n,f] = -dd d^3 (demodulation):
 *   dbias += sum_{n,p} dy;  dz = d dy
 *   dW += conv_w(x * s, dz) + W[k,c,f] sum_n E[n,f] s[n,c]^2
 *   ds[n,c] = sum_p dxs x + s[n,c] sum_f E[n,f] Q[c,f],  dxs = conv_x(dz, W)
 *   dx = s dxs
 *   with dt = cw ds:  dA += ca v^T dt;  da += sum_n dt;  dv += ca dt A^T
 *   (dv is added to cx->dstyle, which the style input hands on).
 * Saved forward data for N samples: s (N C), d (N F), z (N P F).
 */
#include <math.h>
#include <stdio.h>

#include "nn/nn.h"

#define GAN__MODCONV_EPS 1e-8

static gan_status modconv_setup(gan__layer *l)
{
    char s[64];
    gan__conv_geom *g = &l->u.conv.g;
    int pt, pl;
    size_t C, F, P;
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "modulated_conv2d needs an image input (h, w, c), got %s",
                        gan__shape_str(&l->in, s, sizeof s));
    g->ih = l->in.d[0];
    g->iw = l->in.d[1];
    g->ic = l->in.d[2];
    g->sh = g->sw = 1;
    g->oh = gan__conv_out_size(g->ih, g->kh, 1, GAN_PADDING_SAME, &pt);
    g->ow = gan__conv_out_size(g->iw, g->kw, 1, GAN_PADDING_SAME, &pl);
    g->pad_top = pt;
    g->pad_left = pl;
    l->out.ndim = 3;
    l->out.d[0] = g->oh;
    l->out.d[1] = g->ow;
    l->out.d[2] = l->u.conv.filters;
    C = (size_t)g->ic;
    F = (size_t)l->u.conv.filters;
    P = (size_t)g->oh * g->ow;
    l->n_params = (size_t)g->kh * g->kw * C * F + F + (size_t)l->u.conv.style_dim * C + C;
    l->aux_per_sample = (C + F + P * F) * sizeof(float);
    return GAN_OK;
}

static size_t col_bytes(const gan__conv_geom *g)
{
    return (size_t)g->oh * g->ow * g->kh * g->kw * g->ic * sizeof(float);
}

/* Workspace: xs (N P C), dz (N P F), ds (N C), E (N F), Q (C F), T (C F),
   then the column buffer of one chunk of images. */
static size_t ws_floats(const gan__layer *l, size_t batch)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const size_t C = (size_t)g->ic, F = (size_t)l->u.conv.filters, P = (size_t)g->oh * g->ow;
    return batch * (P * C + P * F + C + F) + 2 * C * F;
}

static size_t modconv_workspace(const gan__layer *l, size_t batch)
{
    const size_t per = col_bytes(&l->u.conv.g);
    return ws_floats(l, batch) * sizeof(float) + gan__chunk_images(batch, per) * per;
}

static void modconv_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const gan__conv_geom *g = &l->u.conv.g;
    const size_t C = (size_t)g->ic, F = (size_t)l->u.conv.filters, rf = (size_t)g->kh * g->kw;
    const size_t D = (size_t)l->u.conv.style_dim, K = rf * C;
    float *bias = w + K * F, *A = bias + F, *a = A + D * C;
    (void)state;
    if (l->u.conv.equalized) {
        /* N(0, 1), scaled at run time by He's constants. */
        gan__rng_fill_normal(r, w, K * F);
        gan__rng_fill_normal(r, A, D * C);
    } else {
        gan__glorot_uniform(r, w, K * F, K, rf * F);
        gan__glorot_uniform(r, A, D * C, D, C);
    }
    memset(bias, 0, F * sizeof(float));
    for (size_t c = 0; c < C; c++)
        a[c] = 1.0f;   /* s starts near 1 (StyleGAN2's bias_init = 1) */
}

typedef struct modconv_dims {
    size_t N, P, C, F, D, K;
    float cw, ca;
} modconv_dims;

static void dims_of(const gan__layer *l, size_t batch, modconv_dims *m)
{
    const gan__conv_geom *g = &l->u.conv.g;
    m->N = batch;
    m->P = (size_t)g->oh * g->ow;
    m->C = (size_t)g->ic;
    m->F = (size_t)l->u.conv.filters;
    m->D = (size_t)l->u.conv.style_dim;
    m->K = (size_t)g->kh * g->kw * m->C;
    m->cw = l->u.conv.equalized ? (float)(1.0 / sqrt((double)m->K)) : 1.0f;
    m->ca = l->u.conv.equalized ? (float)(1.0 / sqrt((double)m->D)) : 1.0f;
}

/* Q[c,f] = sum over the kernel's taps of W[tap,c,f]^2. */
static void tap_squares(const modconv_dims *m, const float *W, float *Q)
{
    const size_t taps = m->K / m->C;
    for (size_t c = 0; c < m->C; c++)
        for (size_t f = 0; f < m->F; f++) {
            double q = 0.0;
            for (size_t t = 0; t < taps; t++) {
                const double v = W[(t * m->C + c) * m->F + f];
                q += v * v;
            }
            Q[c * m->F + f] = (float)q;
        }
}

/* xs = x scaled per sample and channel by s. */
static void scale_channels(const modconv_dims *m, const float *x, const float *s, float *xs)
{
    for (size_t n = 0; n < m->N; n++)
        for (size_t p = 0; p < m->P; p++)
            for (size_t c = 0; c < m->C; c++)
                xs[(n * m->P + p) * m->C + c] = x[(n * m->P + p) * m->C + c] * s[n * m->C + c];
}

static void modconv_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const gan__conv_geom *g = &l->u.conv.g;
    modconv_dims m;
    dims_of(l, cx->batch, &m);
    {
        const float *W = cx->w, *bias = W + m.K * m.F, *A = bias + m.F, *a = A + m.D * m.C;
        float *s = cx->aux, *d = s + m.N * m.C, *z = d + m.N * m.F;
        float *xs = cx->ws, *Q = xs + ws_floats(l, m.N) - 2 * m.C * m.F;
        float *col = (float *)cx->ws + ws_floats(l, m.N);
        const size_t chunk = gan__chunk_images(m.N, col_bytes(g));
        const size_t in_img = m.P * m.C, out_img = m.P * m.F;

        gan__sgemm(0, 0, (int)m.N, (int)m.C, (int)m.D, m.ca, cx->style, (int)m.D, A, (int)m.C, 0.0f,
                   s, (int)m.C);
        for (size_t n = 0; n < m.N; n++)
            for (size_t c = 0; c < m.C; c++)
                s[n * m.C + c] = m.cw * (s[n * m.C + c] + a[c]);
        scale_channels(&m, x, s, xs);
        for (size_t n0 = 0; n0 < m.N; n0 += chunk) {
            const int nb = (int)(m.N - n0 < chunk ? m.N - n0 : chunk);
            gan__im2col(g, nb, xs + n0 * in_img, col);
            gan__sgemm(0, 0, nb * (int)m.P, (int)m.F, (int)m.K, 1.0f, col, (int)m.K, W, (int)m.F,
                       0.0f, z + n0 * out_img, (int)m.F);
        }
        if (l->u.conv.demod) {
            tap_squares(&m, W, Q);
            for (size_t n = 0; n < m.N; n++)
                for (size_t f = 0; f < m.F; f++) {
                    double e = GAN__MODCONV_EPS;
                    for (size_t c = 0; c < m.C; c++) {
                        const double sc = s[n * m.C + c];
                        e += sc * sc * Q[c * m.F + f];
                    }
                    d[n * m.F + f] = (float)(1.0 / sqrt(e));
                }
        } else {
            for (size_t i = 0; i < m.N * m.F; i++)
                d[i] = 1.0f;
        }
        for (size_t n = 0; n < m.N; n++)
            for (size_t p = 0; p < m.P; p++)
                for (size_t f = 0; f < m.F; f++) {
                    const size_t i = (n * m.P + p) * m.F + f;
                    y[i] = d[n * m.F + f] * z[i] + bias[f];
                }
    }
}

static void modconv_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                             const float *dy, float *dx)
{
    const gan__conv_geom *g = &l->u.conv.g;
    modconv_dims m;
    (void)y;
    dims_of(l, cx->batch, &m);
    {
        const float *W = cx->w, *bias = W + m.K * m.F, *A = bias + m.F;
        const float *s = cx->aux, *d = s + m.N * m.C, *z = d + m.N * m.F;
        float *xs = cx->ws, *dz = xs + m.N * m.P * m.C, *ds = dz + m.N * m.P * m.F;
        float *E = ds + m.N * m.C, *Q = E + m.N * m.F, *T = Q + m.C * m.F;
        float *col = (float *)cx->ws + ws_floats(l, m.N);
        float *dW = cx->dw, *dbias = dW ? dW + m.K * m.F : NULL;
        float *dA = dbias ? dbias + m.F : NULL, *da = dA ? dA + m.D * m.C : NULL;
        const size_t chunk = gan__chunk_images(m.N, col_bytes(g));
        const size_t in_img = m.P * m.C, out_img = m.P * m.F;
        const int need_ds = dx != NULL || dW != NULL;
        (void)bias;

        /* dz = d dy; dd and E for the demodulation. */
        for (size_t n = 0; n < m.N; n++)
            for (size_t f = 0; f < m.F; f++) {
                double dd = 0.0;
                for (size_t p = 0; p < m.P; p++) {
                    const size_t i = (n * m.P + p) * m.F + f;
                    dd += (double)dy[i] * z[i];
                    dz[i] = d[n * m.F + f] * dy[i];
                }
                {
                    const double dn = d[n * m.F + f];
                    E[n * m.F + f] = l->u.conv.demod ? (float)(-dd * dn * dn * dn) : 0.0f;
                }
            }
        if (dbias)
            gan__bias_grad_rows(dbias, dy, m.N * m.P, m.F);
        /* Through the convolution of xs; dxs overwrites xs chunk by chunk
           (its columns are consumed first). */
        scale_channels(&m, x, s, xs);
        for (size_t n0 = 0; n0 < m.N; n0 += chunk) {
            const int nb = (int)(m.N - n0 < chunk ? m.N - n0 : chunk);
            const int M = nb * (int)m.P;
            float *xc = xs + n0 * in_img;
            const float *dzc = dz + n0 * out_img;
            if (dW) {
                gan__im2col(g, nb, xc, col);
                gan__sgemm(1, 0, (int)m.K, (int)m.F, M, 1.0f, col, (int)m.K, dzc, (int)m.F, 1.0f, dW,
                           (int)m.F);
            }
            if (need_ds) {
                gan__sgemm(0, 1, M, (int)m.K, (int)m.F, 1.0f, dzc, (int)m.F, W, (int)m.F, 0.0f, col,
                           (int)m.K);
                gan__col2im_set(g, nb, col, xc);
            }
        }
        if (!need_ds)
            return;
        /* xs now holds dxs. */
        if (l->u.conv.demod) {
            tap_squares(&m, W, Q);
            if (dW) {
                /* T[c,f] = sum_n s[n,c]^2 E[n,f]; dW[tap,c,f] += W T. */
                const size_t taps = m.K / m.C;
                for (size_t i = 0; i < m.C * m.F; i++)
                    T[i] = 0.0f;
                for (size_t n = 0; n < m.N; n++)
                    for (size_t c = 0; c < m.C; c++) {
                        const float s2 = s[n * m.C + c] * s[n * m.C + c];
                        for (size_t f = 0; f < m.F; f++)
                            T[c * m.F + f] += s2 * E[n * m.F + f];
                    }
                for (size_t t = 0; t < taps; t++)
                    for (size_t c = 0; c < m.C; c++)
                        for (size_t f = 0; f < m.F; f++) {
                            const size_t i = (t * m.C + c) * m.F + f;
                            dW[i] += W[i] * T[c * m.F + f];
                        }
            }
        }
        for (size_t n = 0; n < m.N; n++)
            for (size_t c = 0; c < m.C; c++) {
                double acc = 0.0;
                for (size_t p = 0; p < m.P; p++) {
                    const size_t i = (n * m.P + p) * m.C + c;
                    acc += (double)xs[i] * x[i];
                }
                if (l->u.conv.demod) {
                    double q = 0.0;
                    for (size_t f = 0; f < m.F; f++)
                        q += (double)E[n * m.F + f] * Q[c * m.F + f];
                    acc += (double)s[n * m.C + c] * q;
                }
                ds[n * m.C + c] = (float)(m.cw * acc);   /* dt = cw ds */
            }
        if (dx)
            for (size_t n = 0; n < m.N; n++)
                for (size_t p = 0; p < m.P; p++)
                    for (size_t c = 0; c < m.C; c++) {
                        const size_t i = (n * m.P + p) * m.C + c;
                        dx[i] = xs[i] * s[n * m.C + c];
                    }
        if (dA) {
            gan__sgemm(1, 0, (int)m.D, (int)m.C, (int)m.N, m.ca, cx->style, (int)m.D, ds, (int)m.C,
                       1.0f, dA, (int)m.C);
            gan__bias_grad_rows(da, ds, m.N, m.C);
        }
        /* Only a pass that goes on below this layer reaches the style
           input, which consumes dstyle. */
        if (dx && cx->dstyle)
            gan__sgemm(0, 1, (int)m.N, (int)m.D, (int)m.C, m.ca, ds, (int)m.C, A, (int)m.C, 1.0f,
                       cx->dstyle, (int)m.D);
    }
}

/* ---- building and the file record ---------------------------------------- */

static gan_status modconv_build(gan_model *m, gan__layer *t, const char *func)
{
    const int f = t->u.conv.filters, k = t->u.conv.g.kh;
    if (f < 1 || f > GAN__MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: filters is %d, must be in 1..%d", func, f, GAN__MAX_DIM);
    if (k < 1 || k > 64 || k % 2 == 0)
        return gan__err(GAN_EINVAL, "%s: kernel %d must be odd and in 1..63 ('same' padding "
                        "centred on the pixel)", func, k);
    if ((unsigned)t->u.conv.demod > 1u || (unsigned)t->u.conv.equalized > 1u)
        return gan__err(GAN_EINVAL, "%s: demodulate %d and equalized_lr %d must be 0 or 1", func,
                        t->u.conv.demod, t->u.conv.equalized);
    if (!m->style_dim)
        return gan__err(GAN_EINVAL, "%s: modulated_conv2d needs a style input layer before it "
                        "(gan_model_add_style_input): it has no style vector to read", func);
    t->u.conv.g.kw = k;
    t->u.conv.g.sh = t->u.conv.g.sw = 1;
    t->u.conv.padding = GAN_PADDING_SAME;
    t->u.conv.style_dim = (int)m->style_dim; /* < GAN__MAX_ELEMS: fits */
    t->use_bias = 1;
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_modulated_conv2d(gan_model *m, int filters, int kernel, int demodulate,
                                          int equalized_lr)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_MODULATED_CONV2D);
    t.u.conv.filters = filters;
    t.u.conv.g.kh = kernel;
    t.u.conv.demod = demodulate;
    t.u.conv.equalized = equalized_lr;
    return modconv_build(m, &t, __func__);
}

/* Record: u32 filters, kernel, demodulate, equalized_lr (style_dim is the
   model's; the bias is always there). */
static void modconv_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.conv.filters);
    gan__wb_u32(b, (uint32_t)l->u.conv.g.kh);
    gan__wb_u32(b, (uint32_t)l->u.conv.demod);
    gan__wb_u32(b, (uint32_t)l->u.conv.equalized);
}

static gan_status modconv_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    t->u.conv.filters = gan__rb_i32(r);
    t->u.conv.g.kh = gan__rb_i32(r);
    t->u.conv.demod = gan__rb_i32(r);
    t->u.conv.equalized = gan__rb_i32(r);
    if (r->st == GAN_OK && use_bias != 1)
        return gan__err(GAN_EFORMAT, "modulated_conv2d record with use_bias %u (it always has a "
                        "bias)", use_bias);
    return r->st;
}

/*
 * ONNX: s = Gemm(v, ca cw A, cw a) (the style vector v is the style input
 * layer's input); x' = x * Reshape(s, (N, C, 1, 1)); z = Conv(x', W) with
 * 'same' pads; with demodulation d = 1 / Sqrt(MatMul(s * s, Q) + eps),
 * y = z * Reshape(d, (N, F, 1, 1)) + bias.
 */
static gan_status modconv_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    modconv_dims m;
    const gan__conv_geom *ge = &l->u.conv.g;
    char an[GAN__ONNX_NAME], abn[GAN__ONNX_NAME], sn[GAN__ONNX_NAME], csh[GAN__ONNX_NAME];
    char fsh[GAN__ONNX_NAME], wn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME], qn[GAN__ONNX_NAME];
    char epn[GAN__ONNX_NAME], s4[GAN__ONNX_NAME], xs[GAN__ONNX_NAME], z[GAN__ONNX_NAME];
    char s2[GAN__ONNX_NAME], e[GAN__ONNX_NAME], e2[GAN__ONNX_NAME], sq[GAN__ONNX_NAME];
    char dn[GAN__ONNX_NAME], d4[GAN__ONNX_NAME], zd[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    float *t;
    (void)state;
    dims_of(l, 1, &m);
    if (!g->style[0])
        return gan__err(GAN_EUNSUPPORTED, "modulated_conv2d without a style input layer before it");
    /* A (D, C) scaled, a (C) scaled, W as (F, C, kh, kw), Q (C, F): one block. */
    if (!(t = gan__calloc(m.D * m.C + m.C + m.K * m.F + m.C * m.F, sizeof(float))))
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    {
        const float *W = w, *bias = W + m.K * m.F, *A = bias + m.F, *a = A + m.D * m.C;
        float *tA = t, *ta = tA + m.D * m.C, *tW = ta + m.C, *tQ = tW + m.K * m.F;
        const int64_t ad[2] = {(int64_t)m.D, (int64_t)m.C}, C = (int64_t)m.C, F = (int64_t)m.F;
        const int64_t wd[4] = {F, C, ge->kh, ge->kw}, qd[2] = {C, F};
        const int64_t cs[4] = {-1, C, 1, 1}, fs[4] = {-1, F, 1, 1}, bd[4] = {1, F, 1, 1}, four = 4;
        const int64_t pads[4] = {ge->pad_top, ge->pad_left, ge->kh - 1 - ge->pad_top,
                                 ge->kw - 1 - ge->pad_left};
        const int64_t ks[2] = {ge->kh, ge->kw};
        const gan__onnx_attr cattr[2] = {{.name = "kernel_shape", .type = 'I', .ints = ks, .n = 2},
                                         {.name = "pads", .type = 'I', .ints = pads, .n = 4}};
        const float eps = (float)GAN__MODCONV_EPS;
        const char *gin[3] = {g->style, an, abn}, *rin[2] = {sn, csh}, *min[2] = {gan__onnx_in(g), s4};
        const char *cin[2] = {xs, wn};
        for (size_t i = 0; i < m.D * m.C; i++)
            tA[i] = A[i] * m.ca * m.cw;
        for (size_t c = 0; c < m.C; c++)
            ta[c] = a[c] * m.cw;
        for (size_t tp = 0; tp < m.K / m.C; tp++)
            for (size_t c = 0; c < m.C; c++)
                for (size_t f = 0; f < m.F; f++)
                    tW[(f * m.C + c) * (m.K / m.C) + tp] = W[(tp * m.C + c) * m.F + f];
        tap_squares(&m, W, tQ);
        gan__onnx_init_f32(g, "affine_kernel", ad, 2, tA, an);
        gan__onnx_init_f32(g, "affine_bias", &C, 1, ta, abn);
        gan__onnx_init_f32(g, "kernel", wd, 4, tW, wn);
        gan__onnx_init_f32(g, "bias", bd, 4, bias, bn);
        gan__onnx_init_i64(g, "channel_shape", &four, 1, cs, csh);
        gan__onnx_node(g, "Gemm", gin, 3, NULL, 0, sn);
        gan__onnx_node(g, "Reshape", rin, 2, NULL, 0, s4);
        gan__onnx_node(g, "Mul", min, 2, NULL, 0, xs);
        gan__onnx_node(g, "Conv", cin, 2, cattr, 2, z);
        if (l->u.conv.demod) {
            const char *s2in[2] = {sn, sn}, *ein[2] = {s2, qn}, *e2in[2] = {e, epn};
            const char *sqin[1] = {e2}, *dnin[1] = {sq}, *d4in[2] = {dn, fsh}, *zdin[2] = {z, d4};
            gan__onnx_init_f32(g, "tap_squares", qd, 2, tQ, qn);
            gan__onnx_init_f32(g, "epsilon", NULL, 0, &eps, epn);
            gan__onnx_init_i64(g, "filter_shape", &four, 1, fs, fsh);
            gan__onnx_node(g, "Mul", s2in, 2, NULL, 0, s2);
            gan__onnx_node(g, "MatMul", ein, 2, NULL, 0, e);
            gan__onnx_node(g, "Add", e2in, 2, NULL, 0, e2);
            gan__onnx_node(g, "Sqrt", sqin, 1, NULL, 0, sq);
            gan__onnx_node(g, "Reciprocal", dnin, 1, NULL, 0, dn);
            gan__onnx_node(g, "Reshape", d4in, 2, NULL, 0, d4);
            gan__onnx_node(g, "Mul", zdin, 2, NULL, 0, zd);
        } else {
            snprintf(zd, sizeof zd, "%s", z);
        }
        {
            const char *yin[2] = {zd, bn};
            gan__onnx_node(g, "Add", yin, 2, NULL, 0, y);
        }
    }
    gan__free(t);
    gan__onnx_out(g, y);
    return g->st;
}

/* A generator layer: the gradient penalties refuse it. */
const gan__layer_ops gan__modconv_ops = {
    .name = "modulated_conv2d",
    .build = modconv_build,
    .encode = modconv_encode,
    .decode = modconv_decode,
    .setup = modconv_setup,
    .workspace = modconv_workspace,
    .init = modconv_init,
    .forward = modconv_forward,
    .backward = modconv_backward,
    .plan = GAN__PLAN_OUTPUT_UNREAD,
    .onnx = modconv_onnx,
};
