/* shape.c -- per-sample shapes and the convolution geometry of Keras. */
#include <stdio.h>

#include "core/core.h"

size_t gan__shape_elems(const gan__shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= (size_t)s->d[i];
    return n;
}

int gan__shape_channels(const gan__shape *s)
{
    return s->d[s->ndim - 1];
}

size_t gan__shape_spatial(const gan__shape *s)
{
    return s->ndim == 3 ? (size_t)s->d[0] * (size_t)s->d[1] : 1;
}

const char *gan__shape_str(const gan__shape *s, char *buf, size_t cap)
{
    if (s->ndim == 1)
        snprintf(buf, cap, "(%d)", s->d[0]);
    else
        snprintf(buf, cap, "(%d, %d, %d)", s->d[0], s->d[1], s->d[2]);
    return buf;
}

/*
 * Keras/TensorFlow convolution arithmetic:
 *   valid: out = floor((in - k) / s) + 1, no padding;
 *   same:  out = ceil(in / s), total padding max((out-1)*s + k - in, 0),
 *          of which floor(total/2) goes before (top/left) and the rest after.
 */
int gan__conv_out_size(int in, int k, int s, gan_padding pad, int *pad_before)
{
    int out, total;
    if (in <= 0 || k <= 0 || s <= 0)
        return -1;
    if (pad == GAN_PADDING_VALID) {
        if (in < k)
            return -1;
        *pad_before = 0;
        return (in - k) / s + 1;
    }
    out = (in + s - 1) / s;
    total = (out - 1) * s + k - in;
    if (total < 0)
        total = 0;
    *pad_before = total / 2;
    return out;
}

size_t gan__chunk_images(size_t batch, size_t per_image)
{
    size_t n;
    if (per_image == 0)
        return batch;
    n = GAN__WS_CAP_BYTES / per_image;
    if (n < 1)
        n = 1;
    return n < batch ? n : batch;
}

int gan__has_nonfinite(const float *x, size_t n)
{
    /* Sum of x*0 is NaN iff some x is NaN or infinite; one branch-free pass
       that vectorises, then an exact check only when it fires. */
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++)
        acc += x[i] * 0.0f;
    return acc != acc;
}

gan_status gan__shape_from_dims(size_t ndim, const int *dims, gan__shape *out, const char *func)
{
    size_t elems = 1;
    if (dims == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: dims is NULL", func);
    if (ndim != 1 && ndim != 3)
        return gan__err(GAN_EINVAL, "%s: ndim must be 1 (vector) or 3 (h, w, c), got %zu", func, ndim);
    out->ndim = (int)ndim;
    out->d[0] = out->d[1] = out->d[2] = 0;
    for (size_t i = 0; i < ndim; i++) {
        if (dims[i] < 1 || dims[i] > GAN__MAX_DIM)
            return gan__err(GAN_EINVAL, "%s: dimension %zu is %d, must be in 1..%d", func, i,
                            dims[i], GAN__MAX_DIM);
        out->d[i] = dims[i];
        elems *= (size_t)dims[i];
        if (elems >= GAN__MAX_ELEMS)
            return gan__err(GAN_EINVAL, "%s: shape has 2^31 or more elements", func);
    }
    return GAN_OK;
}
