/*
 * dropout.c -- inverted dropout, as Keras.
 *
 * Training: keep each element with probability 1 - rate and scale the kept
 * ones by 1/(1 - rate); the keep mask (one byte per element) is saved so
 * backward applies the same mask: dx = dy * mask / (1 - rate).
 * Inference: identity.  The mask is drawn from the model's random stream:
 * 32-bit uniforms compared with rate * 2^32, two per 64-bit draw.
 */
#include "../gan_internal.h"

static gan_status dropout_setup(gan__layer *l)
{
    l->out = l->in;
    l->aux_per_sample = gan__shape_elems(&l->in);
    return GAN_OK;
}

static size_t dropout_workspace(const gan__layer *l, size_t batch)
{
    (void)l; (void)batch;
    return 0;
}

static void dropout_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    (void)l; (void)w; (void)state; (void)r;
}

static void dropout_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t n = cx->batch * gan__shape_elems(&l->in);
    const double rate = l->u.drop.rate;
    const uint64_t thr = (uint64_t)(rate * 4294967296.0);
    const float scale = (float)(1.0 / (1.0 - rate));
    unsigned char *mask = cx->aux;
    size_t i = 0;
    if (!cx->training || rate == 0.0) {
        memcpy(y, x, n * sizeof(float));
        memset(mask, 1, n);
        return;
    }
    for (; i + 1 < n; i += 2) {
        uint64_t r = gan__rng_next(cx->rng);
        mask[i] = (r & 0xffffffffu) >= thr;
        mask[i + 1] = (r >> 32) >= thr;
    }
    if (i < n)
        mask[i] = (gan__rng_next(cx->rng) >> 32) >= thr;
    for (i = 0; i < n; i++)
        y[i] = mask[i] ? x[i] * scale : 0.0f;
}

static void dropout_backward(gan__layer *l, const gan__ctx *cx, const float *x,
                             const float *y, const float *dy, float *dx)
{
    const size_t n = cx->batch * gan__shape_elems(&l->in);
    const double rate = l->u.drop.rate;
    const float scale = cx->training ? (float)(1.0 / (1.0 - rate)) : 1.0f;
    const unsigned char *mask = cx->aux;
    (void)x; (void)y;
    if (dx)
        for (size_t i = 0; i < n; i++)
            dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}

const gan__layer_ops gan__dropout_ops = {
    "dropout", dropout_setup, dropout_workspace, dropout_init, dropout_forward,
    dropout_backward, 0
};
