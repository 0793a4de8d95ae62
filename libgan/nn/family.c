/*
 * family.c -- generator and discriminator families for any image size,
 * channel count and class count (gan_model_create_family): DCGAN-style,
 * residual (SN-ResNet, BigGAN-style when conditional) and StyleGAN2-lite.
 *
 * The side s = s0 * 2^k with s0 in 4..7 and k >= 1: a generator starts at
 * s0 x s0 and doubles k times, a discriminator halves k times down to
 * s0 x s0.  Widths double as the resolution halves, from cfg->width at
 * full resolution, capped at cfg->max_width.  The residual and style
 * families are tables of the presets' blocks (blocks.h) computed for the
 * size, so at 28x28 with the presets' widths they are those presets.
 * gan.h documents the layers.
 */
#include <string.h>

#include "nn/blocks.h"

#define FAMILY_LRELU 0.2f     /* DCGAN's and SN-GAN's */
#define FAMILY_MIN_SIZE 8
#define FAMILY_MAX_SIZE 256
#define FAMILY_MAX_WIDTH 4096
#define FAMILY_MAPPING_LAYERS 4  /* StyleGAN2's is 8; the style2 presets' 4 */
/* Blocks of the longest table: style2 at 256 px (k = 6) with classes. */
#define FAMILY_MAX_BLOCKS 32

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
    if (c->spectral_norm != 0 && c->spectral_norm != 1)
        return gan__err(GAN_EINVAL, "%s: spectral_norm %d is not 0 or 1", func, c->spectral_norm);
    if (c->minibatch_stddev != 0 && c->minibatch_stddev != 1)
        return gan__err(GAN_EINVAL, "%s: minibatch_stddev %d is not 0 or 1", func,
                        c->minibatch_stddev);
    if (c->aux_classifier != 0 && c->aux_classifier != 1)
        return gan__err(GAN_EINVAL, "%s: aux_classifier %d is not 0 or 1", func,
                        c->aux_classifier);
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
        if (level == k && c->minibatch_stddev)
            TRY(gan_model_add_minibatch_stddev(m));
        TRY(conv(m, family_width(c, level - 1), 4, 2, 0, 1, c->spectral_norm));
        TRY(gan_model_add_leaky_relu(m, FAMILY_LRELU));
        if (c->dropout > 0.0f)
            TRY(gan_model_add_dropout(m, c->dropout));
    }
    TRY(gan_model_add_flatten(m));
    if (c->classes > 0) {
        TRY(c->aux_classifier ? gan_model_add_class_projection_aux(m, c->classes)
                              : gan_model_add_class_projection(m, c->classes));
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

/* b[n] = x; the next free index.  (A function, not b[n++] = x: cppcheck
   cannot tell that the compound literal does not read n.) */
static int put(gan__block *b, int n, gan__block x)
{
    b[n] = x;
    return n + 1;
}

/* The residual generator's blocks (gan.h, GAN_FAMILY_RESNET_GENERATOR). */
static void resnet_generator_blocks(gan__block *b, const gan_family_config *c)
{
    int s0 = 0, k = family_levels(c->size, &s0), n = 0;
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_RES_PROJECT,
                               .dims = {s0, s0, family_width(c, k)}});
    for (int level = k - 1; level >= 0; level--)
        n = put(b, n, (gan__block){.kind = GAN__BLOCK_RES_UP, .n = family_width(c, level),
                                   .classes = c->classes});
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_RES_OUT, .n = c->channels,
                               .classes = c->classes});
    put(b, n, (gan__block){.kind = GAN__BLOCK_END});
}

/* The residual discriminator's (GAN_FAMILY_RESNET_DISCRIMINATOR): after
   the minibatch standard deviation's channel the last block's shortcut is
   a 1x1 convolution (s = 1) instead of the identity. */
static void resnet_discriminator_blocks(gan__block *b, const gan_family_config *c)
{
    int s0 = 0, k = family_levels(c->size, &s0), n = 0;
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_RES_DOWN1, .n = family_width(c, 0)});
    for (int level = 1; level < k; level++)
        n = put(b, n, (gan__block){.kind = GAN__BLOCK_RES_DOWN, .n = family_width(c, level)});
    if (c->minibatch_stddev)
        n = put(b, n, (gan__block){.kind = GAN__BLOCK_MBSTD});
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_RES_SAME, .n = family_width(c, k - 1),
                               .s = c->minibatch_stddev});
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_RES_HEAD, .k = s0, .classes = c->classes,
                               .aux = c->aux_classifier});
    put(b, n, (gan__block){.kind = GAN__BLOCK_END});
}

/* The StyleGAN2-lite generator's (GAN_FAMILY_STYLE2_GENERATOR). */
static void style2_generator_blocks(gan__block *b, const gan_family_config *c)
{
    int s0 = 0, k = family_levels(c->size, &s0), n = 0;
    if (c->classes > 0)
        n = put(b, n, (gan__block){.kind = GAN__BLOCK_EMBED, .n = c->class_dim,
                                   .classes = c->classes});
    for (int i = 0; i < FAMILY_MAPPING_LAYERS; i++)
        n = put(b, n, (gan__block){.kind = GAN__BLOCK_MAPPING_EQ, .n = c->latent});
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_STYLE2_INPUT,
                               .dims = {s0, s0, family_width(c, k)}});
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_MOD, .n = family_width(c, k), .k = 3, .s = 1});
    for (int level = k - 1; level >= 0; level--) {
        n = put(b, n, (gan__block){.kind = GAN__BLOCK_MOD, .n = family_width(c, level), .k = 3,
                                   .s = 2});
        n = put(b, n, (gan__block){.kind = GAN__BLOCK_MOD, .n = family_width(c, level), .k = 3,
                                   .s = 1});
    }
    n = put(b, n, (gan__block){.kind = GAN__BLOCK_TO_IMAGE, .n = c->channels});
    put(b, n, (gan__block){.kind = GAN__BLOCK_END});
}

/* A network of blocks on the family's input: the latent vector for a
   generator, the image for a discriminator; spectrally normalised as a
   whole when sn. */
static gan_status build_blocks(gan_model **out, const gan_family_config *c, int generator,
                               const gan__block *blocks, int sn)
{
    gan_model *m = NULL;
    int dims[3] = {c->size, c->size, c->channels};
    gan_status st = generator ? gan_model_create(&m, 1, &c->latent) : gan_model_create(&m, 3, dims);
    TRY(gan__blocks_add(m, blocks));
    if (sn)
        TRY(gan_model_set_spectral_norm(m, GAN_ALL_LAYERS, 1));
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
    gan__block blocks[FAMILY_MAX_BLOCKS];
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    if ((st = gan__config_read(&gan__family_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;
    if ((st = family_check(&c, __func__)) != GAN_OK)
        return st;
    if ((kind == GAN_FAMILY_DCGAN_DISCRIMINATOR || kind == GAN_FAMILY_RESNET_DISCRIMINATOR) &&
        c.aux_classifier && c.classes == 0)
        return gan__err(GAN_EINVAL, "%s: aux_classifier needs classes > 0 (the class logits "
                        "are over the classes)", __func__);
    if (kind == GAN_FAMILY_RESNET_DISCRIMINATOR && c.dropout > 0.0f)
        return gan__err(GAN_EINVAL, "%s: dropout %g: the residual discriminator has no dropout "
                        "(it is the DCGAN discriminator's setting)", __func__, (double)c.dropout);
    switch (kind) {
    case GAN_FAMILY_DCGAN_GENERATOR:
        return build_generator(out, &c);
    case GAN_FAMILY_DCGAN_DISCRIMINATOR:
        return build_discriminator(out, &c);
    case GAN_FAMILY_RESNET_GENERATOR:
        resnet_generator_blocks(blocks, &c);
        return build_blocks(out, &c, 1, blocks, 0);
    case GAN_FAMILY_RESNET_DISCRIMINATOR:
        resnet_discriminator_blocks(blocks, &c);
        return build_blocks(out, &c, 0, blocks, c.spectral_norm);
    case GAN_FAMILY_STYLE2_GENERATOR:
        style2_generator_blocks(blocks, &c);
        return build_blocks(out, &c, 1, blocks, 0);
    }
    return gan__err(GAN_EINVAL, "%s: unknown family kind %d", __func__, (int)kind);
}
