/*
 * blocks.c -- the layers of each network block (blocks.h), added with the
 * public builder calls in the order gan.h documents for the presets and
 * the families.
 */
#include "nn/blocks.h"

#define KERAS_LRELU_ALPHA 0.3f  /* keras.layers.LeakyReLU() default */
#define STYLE_LRELU_ALPHA 0.2f  /* StyleGAN's */
#define STYLE_ADAIN_EPS 1e-5f
#define CGAN_MBD_KERNELS 50     /* minibatch discrimination of the cGAN critic */
#define CGAN_MBD_DIM 5
#define STYLE2_MAP_LRMUL 0.01f  /* StyleGAN2's mapping network */
#define STYLE2_MAP_GAIN 1.41421356f  /* sqrt(2): StyleGAN2's leaky ReLU gain */

/* Stop at the first failing call; `st` keeps its status. */
#define TRY(call)                                                              \
    do {                                                                       \
        if (st == GAN_OK)                                                      \
            st = (call);                                                       \
    } while (0)

static gan_status add_dense(gan_model *m, int units, int use_bias)
{
    gan_dense_config d;
    gan_dense_config_init(&d, sizeof d);
    d.units = units;
    d.use_bias = use_bias;
    return gan_model_add_dense(m, &d);
}

/* b's convolution, same padding. */
static gan_status add_conv(gan_model *m, const gan__block *b, int transpose, int use_bias)
{
    gan_conv2d_config c;
    gan_conv2d_config_init(&c, sizeof c);
    c.filters = b->n;
    c.kernel_h = c.kernel_w = b->k;
    c.stride_h = c.stride_w = b->s;
    c.padding = GAN_PADDING_SAME;
    c.use_bias = use_bias;
    return transpose ? gan_model_add_conv2d_transpose(m, &c) : gan_model_add_conv2d(m, &c);
}

/* n filters of 3x3, stride 1, same padding, bias. */
static gan_status add_conv3(gan_model *m, int n)
{
    const gan__block b = {.n = n, .k = 3, .s = 1};
    return add_conv(m, &b, 0, 1);
}

/* Batchnorm, class-conditional (followed by a class_affine) when
   classes > 0. */
static gan_status add_bn(gan_model *m, int classes)
{
    gan_status st = gan_model_add_batchnorm(m, NULL);
    if (st == GAN_OK && classes > 0)
        st = gan_model_add_class_affine(m, classes);
    return st;
}

/* A conditional head: the projection, with the class logits when aux. */
static gan_status add_projection(gan_model *m, const gan__block *b)
{
    return b->aux ? gan_model_add_class_projection_aux(m, b->classes)
                  : gan_model_add_class_projection(m, b->classes);
}

gan_status gan__block_add(gan_model *m, const gan__block *b)
{
    gan_status st = GAN_OK;
    switch (b->kind) {
    case GAN__BLOCK_EMBED:
        return gan_model_add_class_embedding(m, b->classes, b->n);
    case GAN__BLOCK_PROJECT:
        TRY(add_dense(m, b->dims[0] * b->dims[1] * b->dims[2], 0));
        TRY(gan_model_add_batchnorm(m, NULL));
        TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
        TRY(gan_model_add_reshape(m, 3, b->dims));
        return st;
    case GAN__BLOCK_UP:
        TRY(add_conv(m, b, 1, 0));
        TRY(gan_model_add_batchnorm(m, NULL));
        TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
        return st;
    case GAN__BLOCK_DOWN:
        TRY(add_conv(m, b, 0, 1));
        TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
        if (b->rate > 0.0f)
            TRY(gan_model_add_dropout(m, b->rate));
        return st;
    case GAN__BLOCK_UP_TANH:
    case GAN__BLOCK_CONV_TANH:
        TRY(add_conv(m, b, b->kind == GAN__BLOCK_UP_TANH, b->kind == GAN__BLOCK_CONV_TANH));
        TRY(gan_model_add_tanh(m));
        return st;
    case GAN__BLOCK_MBSTD:
        return gan_model_add_minibatch_stddev(m);
    case GAN__BLOCK_LOGIT:
        TRY(gan_model_add_flatten(m));
        TRY(add_dense(m, 1, 1));
        return st;
    case GAN__BLOCK_CLASS_HEAD:
        TRY(gan_model_add_flatten(m));
        TRY(gan_model_add_minibatch_discrimination(m, CGAN_MBD_KERNELS, CGAN_MBD_DIM));
        TRY(add_projection(m, b));
        return st;
    case GAN__BLOCK_MAPPING:
        TRY(add_dense(m, b->n, 1));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
        return st;
    case GAN__BLOCK_STYLE_INPUT:
        TRY(gan_model_add_style_input(m, b->dims[0], b->dims[1], b->dims[2]));
        TRY(gan_model_add_adain(m, STYLE_ADAIN_EPS));
        return st;
    case GAN__BLOCK_STYLE:
    case GAN__BLOCK_STYLE_UP:
        TRY(add_conv(m, b, b->kind == GAN__BLOCK_STYLE_UP, 0));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
        TRY(gan_model_add_adain(m, STYLE_ADAIN_EPS));
        return st;
    case GAN__BLOCK_RES_PROJECT:
        TRY(add_dense(m, b->dims[0] * b->dims[1] * b->dims[2], 1));
        TRY(gan_model_add_reshape(m, 3, b->dims));
        return st;
    case GAN__BLOCK_RES_UP:
        TRY(gan_model_add_residual_begin(m));
        TRY(add_bn(m, b->classes));
        TRY(gan_model_add_relu(m));
        TRY(gan_model_add_upsample(m, 2));
        TRY(add_conv3(m, b->n));
        TRY(add_bn(m, b->classes));
        TRY(gan_model_add_relu(m));
        TRY(add_conv3(m, b->n));
        TRY(gan_model_add_residual_conv(m, 2, 1, 1));
        return st;
    case GAN__BLOCK_RES_OUT:
        TRY(add_bn(m, b->classes));
        TRY(gan_model_add_relu(m));
        TRY(add_conv3(m, b->n));
        TRY(gan_model_add_tanh(m));
        return st;
    case GAN__BLOCK_RES_DOWN1:
    case GAN__BLOCK_RES_DOWN:
    case GAN__BLOCK_RES_SAME:
        TRY(gan_model_add_residual_begin(m));
        if (b->kind != GAN__BLOCK_RES_DOWN1)
            TRY(gan_model_add_relu(m));
        TRY(add_conv3(m, b->n));
        TRY(gan_model_add_relu(m));
        TRY(add_conv3(m, b->n));
        if (b->kind == GAN__BLOCK_RES_SAME) {
            TRY(b->s == 1 ? gan_model_add_residual_conv(m, 1, 1, 1)
                          : gan_model_add_residual_add(m, 1, 1));
        } else {
            TRY(gan_model_add_avgpool(m, 2));
            TRY(gan_model_add_residual_conv(m, 1, 2, 1));
        }
        return st;
    case GAN__BLOCK_RES_HEAD:
        TRY(gan_model_add_relu(m));
        TRY(gan_model_add_avgpool(m, b->k));
        TRY(gan_model_add_flatten(m));
        TRY(b->classes > 0 ? add_projection(m, b) : add_dense(m, 1, 1));
        return st;
    case GAN__BLOCK_MAPPING_EQ: {
        gan_dense_config d;
        gan_dense_config_init(&d, sizeof d);
        d.units = b->n;
        d.equalized_lr = 1;
        d.lr_multiplier = STYLE2_MAP_LRMUL;
        d.equalized_gain = STYLE2_MAP_GAIN;
        TRY(gan_model_add_dense(m, &d));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
        return st;
    }
    case GAN__BLOCK_STYLE2_INPUT:
        return gan_model_add_style_input(m, b->dims[0], b->dims[1], b->dims[2]);
    case GAN__BLOCK_MOD:
        if (b->s == 2)
            TRY(gan_model_add_upsample(m, 2));
        TRY(gan_model_add_modulated_conv2d(m, b->n, b->k, 1, 1));
        TRY(gan_model_add_noise_injection(m));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
        return st;
    case GAN__BLOCK_TO_IMAGE:
        TRY(gan_model_add_modulated_conv2d(m, b->n, 1, 0, 1));
        TRY(gan_model_add_tanh(m));
        return st;
    case GAN__BLOCK_END:
        break;
    }
    return st;
}

gan_status gan__blocks_add(gan_model *m, const gan__block *blocks)
{
    gan_status st = GAN_OK;
    for (const gan__block *b = blocks; st == GAN_OK && b->kind != GAN__BLOCK_END; b++)
        st = gan__block_add(m, b);
    return st;
}
