/*
 * residual.c -- residual blocks in a sequential model: three layer kinds
 * that bracket the block's branch.
 *
 *   residual_begin   y = x; the block's input s = x is kept as the shortcut
 *   ... branch ...   any layers (h, w, C) -> (H, W, F)
 *   residual_add     y = x + R(s)                       identity shortcut
 *   residual_conv    y = x + R(s K + b)                 1x1-conv shortcut
 *
 * x is the branch's output, s the begin layer's output (h, w, C) and R a
 * resampling of the shortcut to the branch's resolution: nothing, nearest
 * up-sampling by U (h U = H) or average pooling by D (h = H D).  K is the
 * 1x1 kernel (C, F), Keras' conv2d layout with kh = kw = 1, then the bias
 * (F) if the layer has one; residual_add needs C = F.  R commutes with a
 * 1x1 convolution (both act per pixel or per channel), so the convolution
 * runs at the lower of the two resolutions: s K then up-sampled, or pooled
 * s then K.
 *
 * Backward, with ds the gradient of the block's input through the
 * shortcut:
 *   dx = dy                                 (the branch's gradient)
 *   dt = R^T dy                             (up: the f x f block sums)
 *   dK += P^T dt,  db += sum dt,  dP = dt K^T     P = s, or pool(s)
 *   ds = dP, or for pooling ds[i, j] = dP[i / D, j / D] / D^2
 * and residual_begin's backward adds ds to its own dy: dx = dy + ds.
 *
 * The model's loops pass s and ds (gan__ctx skip and dskip, GAN__PLAN_SKIP_*
 * in nn.h): in gan_model_forward s is the begin layer's own output buffer,
 * in gan__infer a buffer of the inference context (thread-safe sampling),
 * and ds a model buffer written by the add layer's backward and read by the
 * begin layer's.  Blocks do not nest: a begin layer needs the previous one
 * closed.
 *
 * The three kinds are linear in x and s with maps fixed by the forward, so
 * the gradient penalties support them: J [u, u_s] = u + R(u_s K) (the
 * forward without the bias, with the tangent of the shortcut in cx->skip,
 * which the begin layer's jvp fills) and the kernel's penalty gradient is
 * its ordinary one with input u_s (gan__penalty_*_linear).  The 1x1 kernel
 * is spectrally normalisable (one row per output channel).
 *
 * Settings (u.p.i): [0] up factor U, [1] down factor D (1: none; not both
 * above 1), [2] the shortcut's channels C, [3] the index of the block's
 * begin layer; C and the index are found by the builder, never stored.
 */
#include <limits.h>
#include <stdio.h>

#include "nn/nn.h"

#define RES_UP(l) ((l)->u.p.i[0])
#define RES_DOWN(l) ((l)->u.p.i[1])
#define RES_SKIP_C(l) ((l)->u.p.i[2])
#define RES_BEGIN(l) ((l)->u.p.i[3])
#define RES_MAX_FACTOR 8

static int res_is_conv(const gan__layer *l)
{
    return l->kind == GAN_LAYER_RESIDUAL_CONV;
}

/* ---- residual_begin --------------------------------------------------------- */

static void begin_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t n = cx->batch * gan__shape_elems(&l->in);
    if (y != x)
        memcpy(y, x, n * sizeof(float));
    /* Inference keeps the shortcut in a buffer of its own. */
    if (cx->skip && cx->skip != y)
        memcpy(cx->skip, x, n * sizeof(float));
}

static void begin_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                           const float *dy, float *dx)
{
    const size_t n = cx->batch * gan__shape_elems(&l->in);
    (void)x;
    (void)y;
    if (!dx)
        return;
    if (cx->dskip) {
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] + cx->dskip[i];
    } else if (dx != dy) {
        memcpy(dx, dy, n * sizeof(float));
    }
}

/* J u = u, and u is the shortcut's tangent (cx->skip) for the block's end. */
static void begin_penalty_jvp(const gan__layer *l, const gan__ctx *cx, const float *x,
                              const float *u, float *out)
{
    (void)x;
    begin_forward((gan__layer *)l, cx, u, out);
}

static gan_status begin_setup(gan__layer *l)
{
    char s[64];
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "residual_begin needs an image input (h, w, c), got %s; add "
                        "a reshape layer first", gan__shape_str(&l->in, s, sizeof s));
    l->out = l->in;
    return GAN_OK;
}

/* The layer of the innermost open block: begin layers not yet closed by an
   add or conv layer.  -1: none open. */
static long res_open_begin(const gan_model *m)
{
    for (size_t i = m->n_layers; i-- > 0;) {
        const unsigned p = m->layers[i].ops->plan;
        if (p & GAN__PLAN_SKIP_SINK)
            return -1;
        if (p & GAN__PLAN_SKIP_SOURCE)
            return (long)i;
    }
    return -1;
}

static gan_status begin_build(gan_model *m, gan__layer *t, const char *func)
{
    const long open = res_open_begin(m);
    if (open >= 0)
        return gan__err(GAN_EINVAL, "%s: the residual block begun at layer %ld is still open; "
                        "blocks do not nest (end it with gan_model_add_residual_add or "
                        "gan_model_add_residual_conv first)", func, open);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_residual_begin(gan_model *m)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_RESIDUAL_BEGIN);
    return begin_build(m, &t, __func__);
}

/* ONNX: no node; the input is the shortcut the block's end reads. */
static gan_status begin_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    (void)l;
    (void)w;
    (void)state;
    snprintf(g->skip, sizeof g->skip, "%s", gan__onnx_in(g));
    gan__onnx_out(g, gan__onnx_in(g));
    return g->st;
}

const gan__layer_ops gan__residual_begin_ops = {
    .name = "residual_begin",
    .build = begin_build,
    .setup = begin_setup,
    .forward = begin_forward,
    .backward = begin_backward,
    .plan = GAN__PLAN_SKIP_SOURCE | GAN__PLAN_GRAD_IN_PLACE,
    .penalty_jvp = begin_penalty_jvp,
    .onnx = begin_onnx,
};

/* ---- residual_add and residual_conv: geometry ------------------------------ */

/* The shortcut's shape (h, w, C) and the resolution the 1x1 convolution
   runs at: pix pixels per sample (the shortcut's when up-sampling, the
   branch's otherwise). */
typedef struct res_geom {
    size_t H, W, F;      /* branch output (x, y) */
    size_t h, w, C;      /* shortcut s */
    size_t U, D;
    size_t pix;          /* pixels of the low resolution */
} res_geom;

static res_geom res_geom_of(const gan__layer *l)
{
    res_geom g;
    g.H = (size_t)l->in.d[0];
    g.W = (size_t)l->in.d[1];
    g.F = (size_t)l->in.d[2];
    g.U = (size_t)RES_UP(l);
    g.D = (size_t)RES_DOWN(l);
    g.C = (size_t)RES_SKIP_C(l);
    g.h = g.U > 1 ? g.H / g.U : g.H * g.D;
    g.w = g.U > 1 ? g.W / g.U : g.W * g.D;
    g.pix = g.U > 1 ? g.h * g.w : g.H * g.W;
    return g;
}

/* p = average pooling of s by D: (n, h, w, C) -> (n, h / D, w / D, C). */
static void res_pool(const res_geom *g, size_t n, const float *s, float *p)
{
    const size_t D = g->D, ph = g->h / D, pw = g->w / D, C = g->C;
    const float k = 1.0f / (float)(D * D);
    for (size_t r = 0; r < n * ph; r++) {
        float *pr = p + r * pw * C;
        memset(pr, 0, pw * C * sizeof(float));
        for (size_t a = 0; a < D; a++) {
            const float *sr = s + (r * D + a) * g->w * C;
            for (size_t j = 0; j < pw; j++)
                for (size_t b = 0; b < D; b++)
                    for (size_t c = 0; c < C; c++)
                        pr[j * C + c] += sr[(j * D + b) * C + c];
        }
        for (size_t i = 0; i < pw * C; i++)
            pr[i] *= k;
    }
}

/* ds = the adjoint of the pooling applied to dp: ds[i, j] = dp[i/D, j/D] / D^2. */
static void res_unpool(const res_geom *g, size_t n, const float *dp, float *ds)
{
    const size_t D = g->D, pw = g->w / D, C = g->C;
    const float k = 1.0f / (float)(D * D);
    for (size_t r = 0; r < n * g->h; r++) {
        const float *pr = dp + (r / D) * pw * C;
        float *sr = ds + r * g->w * C;
        for (size_t j = 0; j < g->w; j++)
            for (size_t c = 0; c < C; c++)
                sr[j * C + c] = pr[(j / D) * C + c] * k;
    }
}

/* y += the up-sampling by U of t: t (n, h, w, K) -> (n, h U, w U, K). */
static void res_up_add(const res_geom *g, size_t n, size_t K, const float *t, float *y)
{
    const size_t U = g->U;
    for (size_t r = 0; r < n * g->H; r++) {
        const float *tr = t + (r / U) * g->w * K;
        float *yr = y + r * g->W * K;
        for (size_t j = 0; j < g->W; j++)
            for (size_t c = 0; c < K; c++)
                yr[j * K + c] += tr[(j / U) * K + c];
    }
}

/* dt = the block sums of dy (the up-sampling's adjoint), K channels. */
static void res_up_adj(const res_geom *g, size_t n, size_t K, const float *dy, float *dt)
{
    const size_t U = g->U;
    memset(dt, 0, n * g->h * g->w * K * sizeof(float));
    for (size_t r = 0; r < n * g->H; r++) {
        float *tr = dt + (r / U) * g->w * K;
        const float *yr = dy + r * g->W * K;
        for (size_t j = 0; j < g->W; j++)
            for (size_t c = 0; c < K; c++)
                tr[(j / U) * K + c] += yr[j * K + c];
    }
}

/* y += dense map of (n*pix, C) rows by the kernel, in chunks of samples that
   keep the GEMM's dimensions within int. */
static size_t res_chunk(const res_geom *g)
{
    const size_t per = g->pix * (g->C > g->F ? g->C : g->F);
    size_t nb = (size_t)INT_MAX / (per ? per : 1);
    return nb ? nb : 1;
}

/* ---- residual_add / residual_conv: running ------------------------------------ */

static void res_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const res_geom g = res_geom_of(l);
    const size_t n = cx->batch, xe = g.H * g.W * g.F;
    const float *s = cx->skip;
    if (y != x)
        memcpy(y, x, n * xe * sizeof(float));
    if (!s)
        return;   /* no shortcut (cannot happen in a built model) */
    if (!res_is_conv(l)) {
        if (g.U > 1) {
            res_up_add(&g, n, g.F, s, y);
        } else if (g.D > 1) {
            float *p = cx->ws;
            res_pool(&g, n, s, p);
            for (size_t i = 0; i < n * xe; i++)
                y[i] += p[i];
        } else {
            for (size_t i = 0; i < n * xe; i++)
                y[i] += s[i];
        }
        return;
    }
    {
        const float *K = cx->w, *bias = l->use_bias ? cx->w + g.C * g.F : NULL;
        const size_t nb = res_chunk(&g), se = g.h * g.w * g.C;
        float *ws = cx->ws;
        for (size_t n0 = 0; n0 < n; n0 += nb) {
            const size_t c = n - n0 < nb ? n - n0 : nb;
            const int rows = (int)(c * g.pix);
            const float *sp = s + n0 * se;
            float *yp = y + n0 * xe;
            if (g.U > 1) {
                /* t = s K + b at the shortcut's resolution, then up-sampled. */
                gan__sgemm(0, 0, rows, (int)g.F, (int)g.C, 1.0f, sp, (int)g.C, K, (int)g.F, 0.0f,
                           ws, (int)g.F);
                if (bias)
                    gan__add_bias_rows(ws, bias, (size_t)rows, g.F);
                res_up_add(&g, c, g.F, ws, yp);
            } else {
                if (g.D > 1) {
                    res_pool(&g, c, sp, ws);
                    sp = ws;
                }
                gan__sgemm(0, 0, rows, (int)g.F, (int)g.C, 1.0f, sp, (int)g.C, K, (int)g.F, 1.0f,
                           yp, (int)g.F);
                if (bias)
                    gan__add_bias_rows(yp, bias, (size_t)rows, g.F);
            }
        }
    }
}

static void res_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                         const float *dy, float *dx)
{
    const res_geom g = res_geom_of(l);
    const size_t n = cx->batch, xe = g.H * g.W * g.F, se = g.h * g.w * g.C;
    (void)x;
    (void)y;
    /* The shortcut's gradient first: dx may be written over dy. */
    if (!res_is_conv(l)) {
        if (cx->dskip) {
            if (g.U > 1)
                res_up_adj(&g, n, g.F, dy, cx->dskip);
            else if (g.D > 1)
                res_unpool(&g, n, dy, cx->dskip);
            else
                memcpy(cx->dskip, dy, n * xe * sizeof(float));
        }
    } else if (cx->dskip || cx->dw) {
        const float *K = cx->w;
        const size_t nb = res_chunk(&g) < n ? res_chunk(&g) : n;
        const size_t lo = g.pix * (g.U > 1 ? g.F : g.C);   /* per sample: dt or P */
        float *a = cx->ws, *b = a + nb * lo;
        for (size_t n0 = 0; n0 < n; n0 += nb) {
            const size_t c = n - n0 < nb ? n - n0 : nb;
            const int rows = (int)(c * g.pix);
            const float *dyp = dy + n0 * xe, *sp = cx->skip ? cx->skip + n0 * se : NULL;
            const float *dt = dyp;
            if (g.U > 1) {
                res_up_adj(&g, c, g.F, dyp, a);     /* dt at the low resolution */
                dt = a;
            }
            if (cx->dw && sp) {
                const float *p = sp;
                if (g.D > 1) {
                    res_pool(&g, c, sp, a);
                    p = a;
                }
                gan__sgemm(1, 0, (int)g.C, (int)g.F, rows, 1.0f, p, (int)g.C, dt, (int)g.F, 1.0f,
                           cx->dw, (int)g.F);
                if (l->use_bias)
                    gan__bias_grad_rows(cx->dw + g.C * g.F, dt, (size_t)rows, g.F);
            }
            if (cx->dskip) {
                float *ds = cx->dskip + n0 * se;
                if (g.D > 1) {
                    gan__sgemm(0, 1, rows, (int)g.C, (int)g.F, 1.0f, dt, (int)g.F, K, (int)g.F,
                               0.0f, b, (int)g.C);
                    res_unpool(&g, c, b, ds);
                } else {
                    gan__sgemm(0, 1, rows, (int)g.C, (int)g.F, 1.0f, dt, (int)g.F, K, (int)g.F,
                               0.0f, ds, (int)g.C);
                }
            }
        }
    }
    if (dx && dx != dy)
        memcpy(dx, dy, n * xe * sizeof(float));
}

static size_t res_workspace(const gan__layer *l, size_t batch)
{
    const res_geom g = res_geom_of(l);
    size_t nb = res_chunk(&g);
    if (nb > batch)
        nb = batch;
    if (!res_is_conv(l))
        return g.D > 1 ? batch * g.H * g.W * g.F * sizeof(float) : 0;
    /* Forward: t (up) or the pooled s (down).  Backward: dt or P, then dP. */
    return nb * g.pix * (2 * g.C + g.F) * sizeof(float);
}

static gan_status res_setup(gan__layer *l)
{
    char s[64];
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "%s needs an image input (h, w, c), got %s", l->ops->name,
                        gan__shape_str(&l->in, s, sizeof s));
    l->out = l->in;
    if (res_is_conv(l))
        l->n_params = (size_t)RES_SKIP_C(l) * (size_t)l->in.d[2] +
                      (l->use_bias ? (size_t)l->in.d[2] : 0);
    return GAN_OK;
}

static void res_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const size_t C = (size_t)RES_SKIP_C(l), F = (size_t)l->in.d[2];
    (void)state;
    gan__glorot_uniform(r, w, C * F, C, F);
    if (l->use_bias)
        memset(w + C * F, 0, F * sizeof(float));
}

static void res_sn_dims(const gan__layer *l, gan__sn_dims *d)
{
    d->a = (size_t)RES_SKIP_C(l);
    d->o = (size_t)l->in.d[2];
    d->b = 1;
}

/* ---- building and the file record ---------------------------------------- */

static gan_status res_build(gan_model *m, gan__layer *t, const char *func)
{
    char s1[64], s2[64];
    const long open = res_open_begin(m);
    const gan__shape *in = m->n_layers ? &m->layers[m->n_layers - 1].out : &m->in;
    const gan__shape *sk;
    const long long U = RES_UP(t), D = RES_DOWN(t);
    if (U < 1 || U > RES_MAX_FACTOR || D < 1 || D > RES_MAX_FACTOR)
        return gan__err(GAN_EINVAL, "%s: up %lld and down %lld must be in 1..%d", func, U, D,
                        RES_MAX_FACTOR);
    if (U > 1 && D > 1)
        return gan__err(GAN_EINVAL, "%s: up %lld and down %lld: at most one of them above 1", func,
                        U, D);
    if (open < 0)
        return gan__err(GAN_EINVAL, "%s: no residual block is open; begin one with "
                        "gan_model_add_residual_begin", func);
    sk = &m->layers[open].out;
    if (in->ndim != 3)
        return gan__err(GAN_ESHAPE, "%s: the branch's output %s is not an image (h, w, c)", func,
                        gan__shape_str(in, s1, sizeof s1));
    if ((long long)sk->d[0] * U != (long long)in->d[0] * D ||
        (long long)sk->d[1] * U != (long long)in->d[1] * D ||
        (t->kind == GAN_LAYER_RESIDUAL_ADD && sk->d[2] != in->d[2]))
        return gan__err(GAN_ESHAPE, "%s: the shortcut %s (up %lld, down %lld) does not match the "
                        "branch's output %s%s", func, gan__shape_str(sk, s1, sizeof s1), U, D,
                        gan__shape_str(in, s2, sizeof s2),
                        t->kind == GAN_LAYER_RESIDUAL_ADD && sk->d[2] != in->d[2]
                            ? "; an identity shortcut needs equal channels "
                              "(gan_model_add_residual_conv changes them)"
                            : "");
    RES_SKIP_C(t) = sk->d[2];
    RES_BEGIN(t) = (int)open;
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_residual_add(gan_model *m, int up, int down)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_RESIDUAL_ADD);
    RES_UP(&t) = up;
    RES_DOWN(&t) = down;
    return res_build(m, &t, __func__);
}

gan_status gan_model_add_residual_conv(gan_model *m, int up, int down, int use_bias)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    if (use_bias != 0 && use_bias != 1)
        return gan__err(GAN_EINVAL, "%s: use_bias is %d, expected 0 or 1", __func__, use_bias);
    gan__layer_blank(&t, GAN_LAYER_RESIDUAL_CONV);
    RES_UP(&t) = up;
    RES_DOWN(&t) = down;
    t.use_bias = use_bias;
    return res_build(m, &t, __func__);
}

/* Record: i32 up, i32 down (residual_conv: its bias is the common flag). */
static void res_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)RES_UP(l));
    gan__wb_u32(b, (uint32_t)RES_DOWN(l));
}

static gan_status res_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    RES_UP(t) = gan__rb_i32(r);
    RES_DOWN(t) = gan__rb_i32(r);
    if (res_is_conv(t))
        t->use_bias = (int)use_bias;
    return r->st;
}

/* ONNX, on NCHW tensors, in the order res_forward computes: the shortcut
   s (the begin layer's input) is average-pooled (AveragePool D x D,
   stride D) or, for the 1x1 convolution, convolved at the lower
   resolution (Conv with the kernel as (F, C, 1, 1)) and then up-sampled
   (gan__onnx_upsample, as the upsample layer); the branch's output is added. */
static gan_status res_onnx_conv(const gan__layer *l, gan__onnx *g, const float *w, const char *x,
                                char *y)
{
    const size_t C = (size_t)RES_SKIP_C(l), F = (size_t)l->in.d[2];
    const int64_t wd[4] = {(int64_t)F, (int64_t)C, 1, 1}, bd = (int64_t)F, one[2] = {1, 1};
    const gan__onnx_attr a[1] = {{.name = "kernel_shape", .type = 'I', .ints = one, .n = 2}};
    char wn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME];
    const char *in[3] = {x, wn, bn};
    float *wt = gan__malloc(C * F * sizeof(float));
    if (!wt)
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    for (size_t c = 0; c < C; c++)         /* (C, F) -> (F, C) */
        for (size_t f = 0; f < F; f++)
            wt[f * C + c] = w[c * F + f];
    gan__onnx_init_f32(g, "skip_kernel", wd, 4, wt, wn);
    gan__free(wt);
    if (l->use_bias)
        gan__onnx_init_f32(g, "skip_bias", &bd, 1, w + C * F, bn);
    gan__onnx_node(g, "Conv", in, l->use_bias ? 3 : 2, a, 1, y);
    return g->st;
}

static gan_status res_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    char x[GAN__ONNX_NAME], t[GAN__ONNX_NAME], r[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    const char *s = g->skip, *in[2] = {x, r};
    (void)state;
    if (!s[0])
        return gan__err(GAN_EINTERNAL, "a residual end without its begin layer");
    snprintf(x, sizeof x, "%s", gan__onnx_in(g));
    if (!res_is_conv(l)) {
        if (RES_UP(l) > 1)
            gan__onnx_upsample(g, s, RES_UP(l), r);
        else if (RES_DOWN(l) > 1)
            gan__onnx_avgpool(g, s, RES_DOWN(l), r);
        else
            snprintf(r, sizeof r, "%s", s);
    } else if (RES_UP(l) > 1) {
        if (res_onnx_conv(l, g, w, s, t) != GAN_OK)
            return g->st;
        gan__onnx_upsample(g, t, RES_UP(l), r);
    } else {
        if (RES_DOWN(l) > 1) {
            gan__onnx_avgpool(g, s, RES_DOWN(l), t);
            s = t;
        }
        if (res_onnx_conv(l, g, w, s, r) != GAN_OK)
            return g->st;
    }
    gan__onnx_node(g, "Add", in, 2, NULL, 0, y);
    g->skip[0] = '\0';
    gan__onnx_out(g, y);
    return g->st;
}

const gan__layer_ops gan__residual_add_ops = {
    .name = "residual_add",
    .build = res_build,
    .encode = res_encode,
    .decode = res_decode,
    .setup = res_setup,
    .workspace = res_workspace,
    .forward = res_forward,
    .backward = res_backward,
    .plan = GAN__PLAN_SKIP_SINK | GAN__PLAN_OUTPUT_UNREAD | GAN__PLAN_GRAD_IN_PLACE,
    .penalty_jvp = gan__penalty_jvp_linear,
    .onnx = res_onnx,
};

const gan__layer_ops gan__residual_conv_ops = {
    .name = "residual_conv",
    .build = res_build,
    .encode = res_encode,
    .decode = res_decode,
    .setup = res_setup,
    .workspace = res_workspace,
    .init = res_init,
    .forward = res_forward,
    .backward = res_backward,
    .plan = GAN__PLAN_SKIP_SINK | GAN__PLAN_OUTPUT_UNREAD | GAN__PLAN_GRAD_IN_PLACE,
    .penalty_jvp = gan__penalty_jvp_linear,
    .penalty_wgrad = gan__penalty_wgrad_linear,
    .sn_dims = res_sn_dims,
    .onnx = res_onnx,
};
