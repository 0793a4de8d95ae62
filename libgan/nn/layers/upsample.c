/*
 * upsample.c -- nearest-neighbour up-sampling by an integer factor f, NHWC
 * (Keras' UpSampling2D with interpolation="nearest").
 *
 *   y[n, i, j, c] = x[n, i / f, j / f, c]          (h, w, C) -> (h f, w f, C)
 *   dx[n, i, j, c] = sum over a, b < f of dy[n, i f + a, j f + b, c]
 *
 * Each input pixel becomes an f x f block, and backward sums the block's
 * gradients.  No parameters, no saved forward data, no workspace: backward
 * reads only dy, so an activation after it may run in place over its
 * output (GAN__PLAN_OUTPUT_UNREAD).  It is linear and the same map for
 * every input, so the gradient penalties support it: J u is the same
 * up-sampling of u, and it has no weights for them to differentiate.
 * The factor is the layer's only setting, kept in u.p.i[0].
 */
#include "nn/nn.h"

#define UP_FACTOR(l) ((l)->u.p.i[0])
#define UP_MAX_FACTOR 64

static gan_status upsample_setup(gan__layer *l)
{
    char s[64];
    const long long f = UP_FACTOR(l);
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "upsample needs an image input (h, w, c), got %s; add a "
                        "reshape layer first", gan__shape_str(&l->in, s, sizeof s));
    if (l->in.d[0] * f > GAN__MAX_DIM || l->in.d[1] * f > GAN__MAX_DIM)
        return gan__err(GAN_ESHAPE, "upsample by %lld of %s is too large", f,
                        gan__shape_str(&l->in, s, sizeof s));
    l->out = l->in;
    l->out.d[0] = (int)(l->in.d[0] * f);
    l->out.d[1] = (int)(l->in.d[1] * f);
    return GAN_OK;
}

/* y = the up-sampling of x for n samples: each input row becomes one
   output row of repeated pixels, copied f - 1 more times below itself. */
static void upsample_run(const gan__layer *l, size_t n, const float *x, float *y)
{
    const size_t f = (size_t)UP_FACTOR(l), H = (size_t)l->in.d[0], W = (size_t)l->in.d[1];
    const size_t C = (size_t)l->in.d[2], row = W * f * C;
    for (size_t r = 0; r < n * H; r++) {
        const float *xr = x + r * W * C;
        float *yr = y + r * f * row;
        for (size_t j = 0; j < W; j++)
            for (size_t b = 0; b < f; b++)
                memcpy(yr + (j * f + b) * C, xr + j * C, C * sizeof(float));
        for (size_t a = 1; a < f; a++)
            memcpy(yr + a * row, yr, row * sizeof(float));
    }
}

static void upsample_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    upsample_run(l, cx->batch, x, y);
}

static void upsample_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                              const float *dy, float *dx)
{
    const size_t f = (size_t)UP_FACTOR(l), H = (size_t)l->in.d[0], W = (size_t)l->in.d[1];
    const size_t C = (size_t)l->in.d[2], row = W * f * C;
    (void)x;
    (void)y;
    if (!dx)
        return;
    /* Block sums in a fixed order (block rows a, then columns b). */
    for (size_t r = 0; r < cx->batch * H; r++) {
        float *dxr = dx + r * W * C;
        memset(dxr, 0, W * C * sizeof(float));
        for (size_t a = 0; a < f; a++) {
            const float *dyr = dy + (r * f + a) * row;
            for (size_t j = 0; j < W; j++)
                for (size_t b = 0; b < f; b++)
                    for (size_t c = 0; c < C; c++)
                        dxr[j * C + c] += dyr[(j * f + b) * C + c];
        }
    }
}

/* The gradient penalties' J u: the same up-sampling, of u. */
static void upsample_penalty_jvp(const gan__layer *l, const gan__ctx *cx, const float *x,
                                 const float *u, float *out)
{
    (void)x;
    upsample_run(l, cx->batch, u, out);
}

/* ---- building and the file record ---------------------------------------- */

static gan_status upsample_build(gan_model *m, gan__layer *t, const char *func)
{
    if (UP_FACTOR(t) < 1 || UP_FACTOR(t) > UP_MAX_FACTOR)
        return gan__err(GAN_EINVAL, "%s: factor %d must be in 1..%d", func, UP_FACTOR(t),
                        UP_MAX_FACTOR);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_upsample(gan_model *m, int factor)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_UPSAMPLE);
    UP_FACTOR(&t) = factor;
    return upsample_build(m, &t, __func__);
}

/* Record: u32 factor. */
static void upsample_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)UP_FACTOR(l));
}

static gan_status upsample_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    UP_FACTOR(t) = gan__rb_i32(r);
    return r->st;
}

/* ONNX: Resize, nearest (gan__onnx_upsample). */
static gan_status upsample_onnx(const gan__layer *l, gan__onnx *g, const float *w,
                                const float *state)
{
    char y[GAN__ONNX_NAME];
    (void)w;
    (void)state;
    gan__onnx_upsample(g, gan__onnx_in(g), UP_FACTOR(l), y);
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__upsample_ops = {
    .name = "upsample",
    .build = upsample_build,
    .encode = upsample_encode,
    .decode = upsample_decode,
    .setup = upsample_setup,
    .forward = upsample_forward,
    .backward = upsample_backward,
    .plan = GAN__PLAN_OUTPUT_UNREAD,
    .penalty_jvp = upsample_penalty_jvp,
    .onnx = upsample_onnx,
};
