/*
 * dropout.c -- inverted dropout, as Keras.
 *
 * Training: keep each element with probability 1 - rate and scale the kept
 * ones by 1/(1 - rate); the keep mask (one byte per element) is saved so
 * backward applies the same mask: dx = dy * mask / (1 - rate).
 * Inference: identity.  The mask comes from one 64-bit draw of the
 * model's random stream per forward pass, the key of a counter-based hash:
 * element i is kept when lowbias32(i ^ key_lo ^ hi(i)) + key_hi >= rate *
 * 2^32.  With no serial dependency between elements the mask loop
 * vectorises (a xoshiro draw per two elements did not), and the apply
 * loops select instead of branching on random bits.
 */
#include "nn/nn.h"

/* Chris Wellons' lowbias32: a 32-bit bijection with low avalanche bias. */
static inline uint32_t gan__lowbias32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

static inline uint32_t gan__drop_hash(uint64_t key, size_t i)
{
    const uint32_t u = (uint32_t)i ^ (uint32_t)key ^ ((uint32_t)((uint64_t)i >> 32) * 0x85ebca6bu);
    return gan__lowbias32(u) + (uint32_t)(key >> 32);
}

/* Elements [lo, hi): each bit of the mask depends on its index only, so
   the threads' slices (below) give the same mask as one pass. */
GAN__SIMD_BODY void dropout_mask_body(size_t lo, size_t hi, uint64_t key, uint32_t thr,
                                      unsigned char *restrict mask)
{
    for (size_t i = lo; i < hi; i++)
        mask[i] = gan__drop_hash(key, i) >= thr;
}
GAN__SIMD_VARIANTS(dropout_mask, (size_t lo, size_t hi, uint64_t key, uint32_t thr,
                   unsigned char *restrict mask),
                   (lo, hi, key, thr, mask))

typedef struct drop_job {
    uint64_t key;
    uint32_t thr;
    float scale;
    const unsigned char *mask;  /* the applied mask */
    unsigned char *out;         /* the mask being drawn */
    const float *x;
    float *y;
} drop_job;

static void dropout_mask_slice(void *ctx, size_t lo, size_t hi)
{
    const drop_job *j = ctx;
    GAN__SIMD_CALL(dropout_mask, (lo, hi, j->key, j->thr, j->out));
}

void gan__dropout_mask(size_t n, uint64_t key, uint32_t thr, unsigned char *restrict mask)
{
    drop_job j = {key, thr, 0.0f, NULL, mask, NULL, NULL};
    /* 64-byte multiples of the mask per slice: no shared cache line. */
    gan__parallel_range(n, 64, GAN__PAR_MIN_FLOATS / 2, dropout_mask_slice, &j);
}

void gan__dropout_mask_ref(size_t n, uint64_t key, uint32_t thr, unsigned char *mask)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)(i & 0xffffffffu) ^ (uint32_t)(key & 0xffffffffu) ^
                     (uint32_t)((uint32_t)((uint64_t)i >> 32) * 0x85ebca6bu);
        u = (u ^ (u >> 16)) * 0x7feb352du;
        u = (u ^ (u >> 15)) * 0x846ca68bu;
        u ^= u >> 16;
        mask[i] = (uint32_t)(u + (uint32_t)(key >> 32)) >= thr ? 1 : 0;
    }
}

GAN__SIMD_BODY void dropout_apply_body(size_t n, float scale, const unsigned char *restrict mask,
                        const float *restrict x, float *restrict y)
{
    for (size_t i = 0; i < n; i++) {
        const float v = x[i] * scale;
        y[i] = mask[i] ? v : 0.0f;
    }
}
GAN__SIMD_VARIANTS(dropout_apply, (size_t n, float scale, const unsigned char *restrict mask,
                   const float *restrict x, float *restrict y),
                   (n, scale, mask, x, y))

static void dropout_apply_slice(void *ctx, size_t lo, size_t hi)
{
    const drop_job *j = ctx;
    GAN__SIMD_CALL(dropout_apply, (hi - lo, j->scale, j->mask + lo, j->x + lo, j->y + lo));
}

void gan__dropout_apply(size_t n, float scale, const unsigned char *restrict mask,
                        const float *restrict x, float *restrict y)
{
    drop_job j = {0, 0, scale, mask, NULL, x, y};
    gan__parallel_range(n, 64, GAN__PAR_MIN_FLOATS, dropout_apply_slice, &j);
}

GAN__SIMD_BODY void dropout_apply_inplace_body(size_t n, float scale, const unsigned char *restrict mask,
                                float *restrict y)
{
    for (size_t i = 0; i < n; i++) {
        const float v = y[i] * scale;
        y[i] = mask[i] ? v : 0.0f;
    }
}
GAN__SIMD_VARIANTS(dropout_apply_inplace, (size_t n, float scale,
                   const unsigned char *restrict mask, float *restrict y),
                   (n, scale, mask, y))

static void dropout_apply_inplace_slice(void *ctx, size_t lo, size_t hi)
{
    const drop_job *j = ctx;
    GAN__SIMD_CALL(dropout_apply_inplace, (hi - lo, j->scale, j->mask + lo, j->y + lo));
}

void gan__dropout_apply_inplace(size_t n, float scale, const unsigned char *restrict mask,
                                float *restrict y)
{
    drop_job j = {0, 0, scale, mask, NULL, NULL, y};
    gan__parallel_range(n, 64, GAN__PAR_MIN_FLOATS, dropout_apply_inplace_slice, &j);
}

void gan__dropout_apply_ref(size_t n, float scale, const unsigned char *mask, const float *x,
                            float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = mask[i] ? x[i] * scale : 0.0f;
}

static gan_status dropout_setup(gan__layer *l)
{
    l->out = l->in;
    l->aux_per_sample = gan__shape_elems(&l->in);
    return GAN_OK;
}

static void dropout_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t n = cx->batch * gan__shape_elems(&l->in);
    const double rate = l->u.drop.rate;
    const uint64_t thr64 = (uint64_t)(rate * 4294967296.0);
    const uint32_t thr = thr64 > 0xffffffffu ? 0xffffffffu : (uint32_t)thr64;
    const float scale = (float)(1.0 / (1.0 - rate));
    unsigned char *mask = cx->aux;
    if (!cx->training || rate == 0.0) {
        memcpy(y, x, n * sizeof(float));
        memset(mask, 1, n);
        return;
    }
    gan__dropout_mask(n, gan__rng_next(cx->rng), thr, mask);
    gan__dropout_apply(n, scale, mask, x, y);
}

static void dropout_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                             const float *y, const float *dy, float *dx)
{
    const size_t n = cx->batch * gan__shape_elems(&l->in);
    const double rate = l->u.drop.rate;
    const float scale = cx->training ? (float)(1.0 / (1.0 - rate)) : 1.0f;
    const unsigned char *mask = cx->aux;
    (void)x; (void)y;
    if (dx == dy)   /* the gradient buffer plan writes dx over dy */
        gan__dropout_apply_inplace(n, scale, mask, dx);
    else if (dx)
        gan__dropout_apply(n, scale, mask, dy, dx);
}

/* J u with the forward's mask: dropout is linear for a fixed mask. */
static void dropout_penalty_jvp(const gan__layer *l, const gan__ctx *cx, const float *x,
                                const float *u, float *out)
{
    const size_t e = cx->batch * gan__shape_elems(&l->in);
    const unsigned char *mask = cx->aux;
    const float scale = cx->training ? (float)(1.0 / (1.0 - l->u.drop.rate)) : 1.0f;
    (void)x;
    for (size_t i = 0; i < e; i++)
        out[i] = mask[i] ? u[i] * scale : 0.0f;
}

/* ---- building and the file record ---------------------------------------- */

static gan_status dropout_build(gan_model *m, gan__layer *t, const char *func)
{
    if (!(t->u.drop.rate >= 0.0f && t->u.drop.rate < 1.0f))
        return gan__err(GAN_EINVAL, "%s: rate %g must be in [0, 1)", func, (double)t->u.drop.rate);
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_dropout(gan_model *m, float rate)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_DROPOUT);
    t.u.drop.rate = rate;
    return dropout_build(m, &t, __func__);
}

/* Record: f32 rate. */
static void dropout_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_f32(b, l->u.drop.rate);
}

static gan_status dropout_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    t->u.drop.rate = gan__rb_f32(r);
    return r->st;
}

/* ONNX: inference passes the input through: no node. */
static gan_status dropout_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    (void)l;
    (void)w;
    (void)state;
    return g->st;
}

const gan__layer_ops gan__dropout_ops = {
    .name = "dropout",
    .build = dropout_build,
    .encode = dropout_encode,
    .decode = dropout_decode,
    .setup = dropout_setup,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .plan = GAN__PLAN_GRAD_IN_PLACE,
    .penalty_jvp = dropout_penalty_jvp,
    .onnx = dropout_onnx,
};
