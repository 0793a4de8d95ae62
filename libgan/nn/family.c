/*
 * family.c -- DCGAN-style generator and discriminator families for any
 * image size, channel count and class count (gan_model_create_family).
 *
 * The side s = s0 * 2^k with s0 in 4..7 and k >= 1: the generator projects
 * the latent vector to s0 x s0 and doubles k times (transposed convolutions
 * 4x4 stride 2), the discriminator halves k times (convolutions 4x4
 * stride 2) down to s0 x s0.  Widths double as the resolution halves,
 * from cfg->width at full resolution, capped at cfg->max_width.  gan.h
 * documents the layers.
 */
#include <string.h>

#include "nn/nn.h"

#define FAMILY_LRELU 0.2f     /* DCGAN's and SN-GAN's */
#define FAMILY_MIN_SIZE 8
#define FAMILY_MAX_SIZE 256
#define FAMILY_MAX_WIDTH 4096

/* k and s0 of size = s0 * 2^k, s0 in 4..7, k >= 1; -1 when size has no
   such form. */
static int family_levels(int size, int *s0)
{
    int k = 0;
    if (size < FAMILY_MIN_SIZE || size > FAMILY_MAX_SIZE)
        return -1;
    while (size > 7) {
        if (size % 2)
            return -1;
        size /= 2;
        k++;
    }
    if (size < 4 || k < 1)
        return -1;
    *s0 = size;
    return k;
}

/* Channels of the feature maps at resolution size / 2^level. */
static int family_width(const gan_family_config *c, int level)
{
    long w = c->width;
    for (int i = 0; i < level && w < c->max_width; i++)
        w *= 2;
    return (int)(w < c->max_width ? w : c->max_width);
}

static gan_status family_check(const gan_family_config *c, const char *func)
{
    int s0;
    if (family_levels(c->size, &s0) < 0)
        return gan__err(GAN_EINVAL, "%s: size %d is not supported: it must be 8..256 and 4, 5, "
                        "6 or 7 times a power of two (8, 10, 12, 14, 16, 20, 24, 28, 32, 40, "
                        "48, 56, 64, ..., 128, 256)", func, c->size);
    if (c->channels < 1 || c->channels > 4)
        return gan__err(GAN_EINVAL, "%s: channels %d is not in 1..4", func, c->channels);
    if (c->width < 1 || c->width > FAMILY_MAX_WIDTH)
        return gan__err(GAN_EINVAL, "%s: width %d is not in 1..%d", func, c->width,
                        FAMILY_MAX_WIDTH);
    if (c->max_width < c->width || c->max_width > FAMILY_MAX_WIDTH)
        return gan__err(GAN_EINVAL, "%s: max_width %d is not in width (%d)..%d", func,
                        c->max_width, c->width, FAMILY_MAX_WIDTH);
    if (c->latent < 1 || c->latent > 65536)
        return gan__err(GAN_EINVAL, "%s: latent %d is not in 1..65536", func, c->latent);
    if (c->classes < 0 || c->classes > 65536)
        return gan__err(GAN_EINVAL, "%s: classes %d is not in 0..65536", func, c->classes);
    if (c->class_dim < 0 || c->class_dim > 65536)
        return gan__err(GAN_EINVAL, "%s: class_dim %d is not in 0..65536", func, c->class_dim);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return gan__err(GAN_EINVAL, "%s: dropout %g is not in [0, 1)", func, (double)c->dropout);
    return GAN_OK;
}

#define TRY(call)                                                              \
    do {                                                                       \
        if (st == GAN_OK)                                                      \
            st = (call);                                                       \
    } while (0)

static gan_status conv(gan_model *m, int filters, int k, int s, int transpose, int bias, int sn)
{
    gan_conv2d_config c;
    gan_conv2d_config_init(&c, sizeof c);
    c.filters = filters;
    c.kernel_h = c.kernel_w = k;
    c.stride_h = c.stride_w = s;
    c.padding = GAN_PADDING_SAME;
    c.use_bias = bias;
    c.spectral_norm = sn;
    return transpose ? gan_model_add_conv2d_transpose(m, &c) : gan_model_add_conv2d(m, &c);
}

static gan_status build_generator(gan_model **out, const gan_family_config *c)
{
    gan_model *m = NULL;
    gan_dense_config d;
    int s0 = 0, k = family_levels(c->size, &s0);
    int w0 = family_width(c, k), dims[3] = {s0, s0, w0};
    gan_status st = gan_model_create(&m, 1, &c->latent);
    if (c->classes > 0)
        TRY(gan_model_add_class_embedding(m, c->classes, c->class_dim));
    gan_dense_config_init(&d, sizeof d);
    d.units = s0 * s0 * w0;
    d.use_bias = 0;
    TRY(gan_model_add_dense(m, &d));
    TRY(gan_model_add_batchnorm(m, NULL));
    TRY(gan_model_add_leaky_relu(m, FAMILY_LRELU));
    TRY(gan_model_add_reshape(m, 3, dims));
    for (int level = k - 1; level >= 0; level--) {
        TRY(conv(m, family_width(c, level), 4, 2, 1, 0, 0));
        TRY(gan_model_add_batchnorm(m, NULL));
        TRY(gan_model_add_leaky_relu(m, FAMILY_LRELU));
    }
    TRY(conv(m, c->channels, 3, 1, 0, 1, 0));
    TRY(gan_model_add_tanh(m));
    if (st != GAN_OK) {
        gan_model_free(m);
        return st;
    }
    *out = m;
    return GAN_OK;
}

static gan_status build_discriminator(gan_model **out, const gan_family_config *c)
{
    gan_model *m = NULL;
    gan_dense_config d;
    int s0 = 0, k = family_levels(c->size, &s0);
    int dims[3] = {c->size, c->size, c->channels};
    gan_status st = gan_model_create(&m, 3, dims);
    for (int level = 1; level <= k; level++) {
        TRY(conv(m, family_width(c, level - 1), 4, 2, 0, 1, c->spectral_norm));
        TRY(gan_model_add_leaky_relu(m, FAMILY_LRELU));
        if (c->dropout > 0.0f)
            TRY(gan_model_add_dropout(m, c->dropout));
    }
    TRY(gan_model_add_flatten(m));
    if (c->classes > 0) {
        TRY(gan_model_add_class_projection(m, c->classes));
    } else {
        gan_dense_config_init(&d, sizeof d);
        d.units = 1;
        d.spectral_norm = c->spectral_norm;
        TRY(gan_model_add_dense(m, &d));
    }
    if (st != GAN_OK) {
        gan_model_free(m);
        return st;
    }
    *out = m;
    return GAN_OK;
}

gan_status gan_family_config_init(gan_family_config *cfg, size_t size)
{
    return gan__config_read(&gan__family_config_type, cfg, size, NULL, __func__);
}

gan_status gan_model_create_family(gan_model **out, gan_family_kind kind,
                                   const gan_family_config *cfg)
{
    gan_family_config c;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    if ((st = gan__config_read(&gan__family_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;
    if ((st = family_check(&c, __func__)) != GAN_OK)
        return st;
    switch (kind) {
    case GAN_FAMILY_DCGAN_GENERATOR:
        return build_generator(out, &c);
    case GAN_FAMILY_DCGAN_DISCRIMINATOR:
        return build_discriminator(out, &c);
    }
    return gan__err(GAN_EINVAL, "%s: unknown family kind %d", __func__, (int)kind);
}
