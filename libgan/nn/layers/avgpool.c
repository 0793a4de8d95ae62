/*
 * avgpool.c -- average pooling over non-overlapping f x f blocks, NHWC
 * (Keras' AveragePooling2D with pool_size = strides = f, "valid").
 *
 *   y[n, i, j, c] = 1/f^2 sum over a, b < f of x[n, i f + a, j f + b, c]
 *                                                  (h, w, C) -> (h/f, w/f, C)
 *   dx[n, i, j, c] = dy[n, i / f, j / f, c] / f^2
 *
 * f must divide h and w.  No parameters, no saved forward data, no
 * workspace; backward reads only dy (GAN__PLAN_OUTPUT_UNREAD).  Linear and
 * the same map for every input, so the gradient penalties support it: J u
 * is the same pooling of u.  The factor is u.p.i[0].
 */
#include "nn/nn.h"

#define POOL_FACTOR(l) ((l)->u.p.i[0])
#define POOL_MAX_FACTOR 64

static gan_status avgpool_setup(gan__layer *l)
{
    char s[64];
    const int f = POOL_FACTOR(l);
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "avgpool needs an image input (h, w, c), got %s; add a "
                        "reshape layer first", gan__shape_str(&l->in, s, sizeof s));
    if (l->in.d[0] % f != 0 || l->in.d[1] % f != 0)
        return gan__err(GAN_ESHAPE, "avgpool by %d does not divide the input %s", f,
                        gan__shape_str(&l->in, s, sizeof s));
    l->out = l->in;
    l->out.d[0] = l->in.d[0] / f;
    l->out.d[1] = l->in.d[1] / f;
    return GAN_OK;
}

/* y = the block means of x for n samples, summed in a fixed order (block
   rows a, then columns b). */
static void avgpool_run(const gan__layer *l, size_t n, const float *x, float *y)
{
    const size_t f = (size_t)POOL_FACTOR(l), W = (size_t)l->in.d[1], C = (size_t)l->in.d[2];
    const size_t oh = (size_t)l->out.d[0], ow = (size_t)l->out.d[1];
    const float k = 1.0f / (float)(f * f);
    for (size_t r = 0; r < n * oh; r++) {
        float *yr = y + r * ow * C;
        memset(yr, 0, ow * C * sizeof(float));
        for (size_t a = 0; a < f; a++) {
            const float *xr = x + (r * f + a) * W * C;
            for (size_t j = 0; j < ow; j++)
                for (size_t b = 0; b < f; b++)
                    for (size_t c = 0; c < C; c++)
                        yr[j * C + c] += xr[(j * f + b) * C + c];
        }
        for (size_t i = 0; i < ow * C; i++)
            yr[i] *= k;
    }
}

static void avgpool_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    avgpool_run(l, cx->batch, x, y);
}

static void avgpool_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                             const float *dy, float *dx)
{
    const size_t f = (size_t)POOL_FACTOR(l), H = (size_t)l->in.d[0], W = (size_t)l->in.d[1];
    const size_t C = (size_t)l->in.d[2], ow = (size_t)l->out.d[1];
    const float k = 1.0f / (float)(f * f);
    (void)x;
    (void)y;
    if (!dx)
        return;
    for (size_t r = 0; r < cx->batch * H; r++) {
        const float *dyr = dy + (r / f) * ow * C;
        float *dxr = dx + r * W * C;
        for (size_t j = 0; j < W; j++)
            for (size_t c = 0; c < C; c++)
                dxr[j * C + c] = dyr[(j / f) * C + c] * k;
    }
}

/* The gradient penalties' J u: the same pooling, of u. */
static void avgpool_penalty_jvp(const gan__layer *l, const gan__ctx *cx, const float *x,
                                const float *u, float *out)
{
    (void)x;
    avgpool_run(l, cx->batch, u, out);
}

static gan_status avgpool_build(gan_model *m, gan__layer *t, const char *func)
{
    if (POOL_FACTOR(t) < 1 || POOL_FACTOR(t) > POOL_MAX_FACTOR)
        return gan__err(GAN_EINVAL, "%s: factor %d must be in 1..%d", func, POOL_FACTOR(t),
                        POOL_MAX_FACTOR);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_avgpool(gan_model *m, int factor)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_AVGPOOL);
    POOL_FACTOR(&t) = factor;
    return avgpool_build(m, &t, __func__);
}

/* Record: u32 factor. */
static void avgpool_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)POOL_FACTOR(l));
}

static gan_status avgpool_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    POOL_FACTOR(t) = gan__rb_i32(r);
    return r->st;
}

/* ONNX: AveragePool f x f, stride f, no padding (gan__onnx_avgpool). */
static gan_status avgpool_onnx(const gan__layer *l, gan__onnx *g, const float *w,
                               const float *state)
{
    char y[GAN__ONNX_NAME];
    (void)w;
    (void)state;
    gan__onnx_avgpool(g, gan__onnx_in(g), POOL_FACTOR(l), y);
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__avgpool_ops = {
    .name = "avgpool",
    .build = avgpool_build,
    .encode = avgpool_encode,
    .decode = avgpool_decode,
    .setup = avgpool_setup,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
    .plan = GAN__PLAN_OUTPUT_UNREAD,
    .penalty_jvp = avgpool_penalty_jvp,
    .onnx = avgpool_onnx,
};
