/*
 * augment.c -- differentiable augmentation of the discriminator's inputs
 * (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
 * Training") with an adaptive probability (Karras et al. 2020, ADA).
 *
 * Every operation is linear in the image once its random parameters are
 * drawn, so the backward pass is the transpose of the same operation with
 * the same parameters: brightness adds a constant (transpose: identity),
 * saturation and contrast are s I + (1 - s) (mean projector), symmetric,
 * translation moves pixels (transpose: moves them back, zero where padded),
 * cutout multiplies by a 0/1 mask (its own transpose).  The trainer draws
 * one set of parameters per image and batch and keeps it for the backward
 * pass to the generator.  gan.h documents the operations and ranges.
 */
#include <math.h>
#include <string.h>

#include "train/train.h"

/* The colour channels: RGB of RGB(A), the gray channel of gray(+alpha). */
static size_t colour_channels(size_t c)
{
    return c >= 3 ? 3 : 1;
}

void gan__aug_draw(gan__rng *rng, unsigned ops, float p, size_t n, int h, int w,
                   gan__aug_params *ap)
{
    /* DiffAugment's ranges: translation up to 1/8 of a side, cutout of
       half a side. */
    const int sh = (int)(h / 8.0 + 0.5), sw = (int)(w / 8.0 + 0.5);
    const int ch = (h + 1) / 2, cw = (w + 1) / 2;
    for (size_t i = 0; i < n; i++) {
        gan__aug_params *a = &ap[i];
        memset(a, 0, sizeof *a);
        a->sat = 1.0f;
        a->contrast = 1.0f;
        /* Every draw happens whatever the outcome, so the stream advances
           by the same amount for any p. */
        if (ops & GAN_AUGMENT_COLOR) {
            int on = gan__rng_uniform(rng) < p;
            float b = gan__rng_uniform(rng) - 0.5f, s = 2.0f * gan__rng_uniform(rng);
            float k = gan__rng_uniform(rng) + 0.5f;
            if (on) {
                a->colour = 1;
                a->bright = b;
                a->sat = s;
                a->contrast = k;
            }
        }
        if (ops & GAN_AUGMENT_TRANSLATION) {
            int on = gan__rng_uniform(rng) < p;
            int ty = (int)gan__rng_below(rng, (size_t)(2 * sh + 1)) - sh;
            int tx = (int)gan__rng_below(rng, (size_t)(2 * sw + 1)) - sw;
            if (on) {
                a->ty = ty;
                a->tx = tx;
            }
        }
        if (ops & GAN_AUGMENT_CUTOUT) {
            int on = gan__rng_uniform(rng) < p;
            /* the square's top-left corner: it may stick out of the image */
            int y0 = (int)gan__rng_below(rng, (size_t)h + 1) - ch / 2;
            int x0 = (int)gan__rng_below(rng, (size_t)w + 1) - cw / 2;
            if (on) {
                a->cut = 1;
                a->cy0 = y0;
                a->cx0 = x0;
                a->ch = ch;
                a->cw = cw;
            }
        }
    }
}

/* x += (1 - s) * mean over the colour channels of each pixel, after x *= s:
   the saturation operator (or its transpose, the same). */
static void saturation(float *x, size_t px, size_t c, float s)
{
    for (size_t q = 0; q < px; q++) {
        float *v = x + q * c;
        const float m = (v[0] + v[1] + v[2]) / 3.0f;
        for (size_t k = 0; k < 3; k++)
            v[k] = s * v[k] + (1.0f - s) * m;
    }
}

/* The contrast operator over all pixels' colour channels (symmetric). */
static void contrast(float *x, size_t px, size_t c, size_t nc, float a)
{
    double sum = 0.0;
    float m;
    for (size_t q = 0; q < px; q++)
        for (size_t k = 0; k < nc; k++)
            sum += x[q * c + k];
    m = (float)(sum / (double)(px * nc));
    for (size_t q = 0; q < px; q++)
        for (size_t k = 0; k < nc; k++)
            x[q * c + k] = a * x[q * c + k] + (1.0f - a) * m;
}

/* y = x moved by (dy, dx) pixels (sign = direction), 0 where nothing moves
   in; tmp holds one image. */
static void shift(float *x, float *tmp, int h, int w, size_t c, int dy, int dx)
{
    memset(tmp, 0, (size_t)h * (size_t)w * c * sizeof *tmp);
    for (int y = 0; y < h; y++) {
        int sy = y - dy;
        if (sy < 0 || sy >= h)
            continue;
        for (int xx = 0; xx < w; xx++) {
            int sx = xx - dx;
            if (sx < 0 || sx >= w)
                continue;
            memcpy(tmp + ((size_t)y * (size_t)w + (size_t)xx) * c,
                   x + ((size_t)sy * (size_t)w + (size_t)sx) * c, c * sizeof *x);
        }
    }
    memcpy(x, tmp, (size_t)h * (size_t)w * c * sizeof *x);
}

static void cutout(float *x, int h, int w, size_t c, const gan__aug_params *a)
{
    for (int y = a->cy0 < 0 ? 0 : a->cy0; y < a->cy0 + a->ch && y < h; y++)
        for (int xx = a->cx0 < 0 ? 0 : a->cx0; xx < a->cx0 + a->cw && xx < w; xx++)
            memset(x + ((size_t)y * (size_t)w + (size_t)xx) * c, 0, c * sizeof *x);
}

void gan__aug_forward(const gan__aug_params *ap, size_t n, int h, int w, int c, const float *x,
                      float *y, float *tmp)
{
    const size_t px = (size_t)h * (size_t)w, sample = px * (size_t)c, nc = colour_channels((size_t)c);
    memcpy(y, x, n * sample * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        const gan__aug_params *a = &ap[i];
        float *v = y + i * sample;
        if (a->colour) {
            for (size_t q = 0; q < px; q++)
                for (size_t k = 0; k < nc; k++)
                    v[q * (size_t)c + k] += a->bright;
            if (nc == 3)
                saturation(v, px, (size_t)c, a->sat);
            contrast(v, px, (size_t)c, nc, a->contrast);
        }
        if (a->tx || a->ty)
            shift(v, tmp, h, w, (size_t)c, a->ty, a->tx);
        if (a->cut)
            cutout(v, h, w, (size_t)c, a);
    }
}

void gan__aug_backward(const gan__aug_params *ap, size_t n, int h, int w, int c, const float *dy,
                       float *dx, float *tmp)
{
    const size_t px = (size_t)h * (size_t)w, sample = px * (size_t)c, nc = colour_channels((size_t)c);
    memcpy(dx, dy, n * sample * sizeof *dx);
    for (size_t i = 0; i < n; i++) {
        const gan__aug_params *a = &ap[i];
        float *v = dx + i * sample;
        /* the transposes in reverse order */
        if (a->cut)
            cutout(v, h, w, (size_t)c, a);
        if (a->tx || a->ty)
            shift(v, tmp, h, w, (size_t)c, -a->ty, -a->tx);
        if (a->colour) {
            contrast(v, px, (size_t)c, nc, a->contrast);
            if (nc == 3)
                saturation(v, px, (size_t)c, a->sat);
            /* brightness adds a constant: its transpose is the identity */
        }
    }
}

/* ADA: after every ada_interval steps, p moves by
   sign(mean sign D(real) - target) * (images seen) / ada_speed. */
void gan__aug_ada_update(gan_trainer *t, const float *logits_real, size_t batch)
{
    if (!(t->cfg.ada_target > 0.0f))
        return;
    for (size_t i = 0; i < batch; i++)
        t->ada_sum += logits_real[i] > 0.0f ? 1.0 : logits_real[i] < 0.0f ? -1.0 : 0.0;
    t->ada_count += batch;
    if (++t->ada_steps < (uint64_t)t->cfg.ada_interval)
        return;
    {
        const double rt = t->ada_sum / (double)t->ada_count;
        const double adj = (double)t->ada_count / (double)t->cfg.ada_speed;
        double p = t->aug_p + (rt > t->cfg.ada_target ? adj : rt < t->cfg.ada_target ? -adj : 0.0);
        t->aug_p = (float)(p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p);
        t->ada_rt = (float)rt;
    }
    t->ada_sum = 0.0;
    t->ada_count = 0;
    t->ada_steps = 0;
}

gan_status gan_trainer_augment_state(const gan_trainer *t, float *p, float *r_t)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (p)
        *p = t->aug_p;
    if (r_t)
        *r_t = t->ada_rt;
    return GAN_OK;
}
