/*
 * plan.c -- which layers run fused or in place (the plan fields of
 * gan__layer), decided from the layer list alone.
 *
 * Fusion: a batchnorm directly followed by a leaky ReLU or ReLU normalises,
 * applies its affine map and the activation in one pass, and backpropagates
 * through both in one pass.  The activation's slope is read from its output
 * (y > 0 exactly when x > 0, for slopes a >= 0), so the pre-activation
 * tensor is never stored: one activation buffer per fused pair instead of
 * two, and the results are bit-identical to the separate layers.
 *
 * In place: an activation (leaky ReLU, ReLU, tanh, sigmoid) directly after a
 * dense, convolution or upsample layer overwrites that layer's output, which
 * only the activation reads (those layers' backward passes need their
 * inputs or nothing, never their outputs, and the activations differentiate
 * through their own output).
 *
 * A pinned layer (keep_out: a feature layer read after forward) keeps its
 * output: its batchnorm is not fused and the layer above it does not run in
 * place.
 *
 * The rules read only the kinds' GAN__PLAN_* traits (nn.h): batchnorm
 * FUSES_RECTIFIER; leaky ReLU and ReLU are RECTIFIERs; the four
 * activations ACT_IN_PLACE; dense, the convolutions and upsample
 * OUTPUT_UNREAD.
 */
#include "nn/nn.h"

static int gan__has(const gan__layer *l, unsigned trait)
{
    return (l->ops->plan & trait) != 0;
}

int gan__plan_layers(gan_model *m)
{
    return gan__plan_layers_from(m, 0);
}

int gan__plan_layers_from(gan_model *m, size_t from)
{
    int changed = 0;
    for (size_t i = from; i < m->n_layers; i++) {
        gan__layer *l = &m->layers[i];
        const gan__layer *prev = i > 0 ? &m->layers[i - 1] : NULL;
        const gan__layer *next = i + 1 < m->n_layers ? &m->layers[i + 1] : NULL;
        unsigned char fused = 0, absorbed = 0, in_place = 0;
        float alpha = 0.0f;
        if (gan__has(l, GAN__PLAN_FUSES_RECTIFIER) && !l->keep_out && next &&
            gan__has(next, GAN__PLAN_RECTIFIER)) {
            fused = 1;
            alpha = next->u.act.alpha;
        }
        if (prev && gan__has(prev, GAN__PLAN_FUSES_RECTIFIER) && !prev->keep_out &&
            gan__has(l, GAN__PLAN_RECTIFIER))
            absorbed = 1;
        else if (prev && gan__has(l, GAN__PLAN_ACT_IN_PLACE) && !prev->keep_out &&
                 gan__has(prev, GAN__PLAN_OUTPUT_UNREAD))
            in_place = 1;
        if (l->fused_act != fused || l->absorbed != absorbed || l->in_place != in_place ||
            l->fused_alpha != alpha)
            changed = 1;
        l->fused_act = fused;
        l->fused_alpha = alpha;
        l->absorbed = absorbed;
        l->in_place = in_place;
    }
    return changed;
}

/* ---- gradient buffer ---------------------------------------------------------- */

/* Layers whose backward may write dx over dy (element-wise: each element
   of dy is read before that element of dx is written: batchnorm, dropout,
   the activations). */
static int gan__grad_in_place(const gan__layer *l)
{
    return gan__has(l, GAN__PLAN_GRAD_IN_PLACE);
}

/* Floats of n elements rounded up to 64 bytes (ends stay aligned). */
static size_t gan__round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

size_t gan__grad_floats(const gan_model *m, size_t batch)
{
    size_t need = 16;
    for (size_t i = 0; i < m->n_layers; i++) {
        const gan__layer *l = &m->layers[i];
        const size_t in = gan__round16(batch * gan__shape_elems(&l->in));
        const size_t out = gan__round16(batch * gan__shape_elems(&l->out));
        size_t n;
        if (gan__layer_skipped(l))
            continue;
        n = gan__grad_in_place(l) ? (in > out ? in : out) : in + out;
        if (n > need)
            need = n;
    }
    return need;
}

float *gan__grad_target(const gan_model *m, const gan__layer *l, size_t batch, int *end)
{
    const size_t in = gan__round16(batch * gan__shape_elems(&l->in));
    if (*end != 0 && gan__grad_in_place(l))
        return *end == 1 ? m->grad_buf : m->grad_buf + m->grad_floats - in;
    if (*end == 1) {
        *end = 2;
        return m->grad_buf + m->grad_floats - in;
    }
    *end = 1;
    return m->grad_buf;
}
