/*
 * presets.c -- the networks of the two seed notebooks, built with the public
 * builder calls exactly as the notebooks' Keras code builds them.
 *
 * Each network is a table of blocks, the units the notebooks stack (Dense +
 * BN + LReLU + Reshape, Conv2DTranspose + BN + LReLU, ...), and each preset
 * one row naming its input and its blocks.  Block by block, the layers and
 * their order are those of the gan_preset documentation in gan.h, so the
 * parameter counts and the initialisation from a seed follow from it.
 */
#include <string.h>

#include "nn/nn.h"

#define KERAS_LRELU_ALPHA 0.3f  /* keras.layers.LeakyReLU() default */
#define STYLE_LRELU_ALPHA 0.2f  /* StyleGAN's */
#define STYLE_ADAIN_EPS 1e-5f
#define CGAN_CLASSES 10         /* Fashion-MNIST */
#define CGAN_EMBEDDING 50       /* as the Keras cGAN examples' Embedding(10, 50) */
#define CGAN_MBD_KERNELS 50     /* minibatch discrimination of the cGAN critic */
#define CGAN_MBD_DIM 5
#define STYLE2_MAP_LRMUL 0.01f  /* StyleGAN2's mapping network */
#define STYLE2_MAP_GAIN 1.41421356f  /* sqrt(2): StyleGAN2's leaky ReLU gain */

typedef enum block_kind {
    BLOCK_END,
    BLOCK_EMBED,       /* class embedding, CGAN_CLASSES x CGAN_EMBEDDING */
    BLOCK_PROJECT,     /* Dense h*w*c (no bias), BN, LReLU 0.3, Reshape h x w x c */
    BLOCK_UP,          /* Conv2DTranspose (no bias), BN, LReLU 0.3 */
    BLOCK_UP_TANH,     /* Conv2DTranspose (no bias), tanh: the image */
    BLOCK_DOWN,        /* Conv2D, LReLU 0.3, Dropout when rate > 0 */
    BLOCK_LOGIT,       /* Flatten, Dense 1 */
    BLOCK_MBSTD,       /* minibatch standard deviation: one channel more */
    BLOCK_CLASS_HEAD,  /* Flatten, minibatch discrimination, class projection */
    BLOCK_CLASS_AUX_HEAD, /* the same with the auxiliary classifier's head
                             (class_projection_aux) */
    BLOCK_MAPPING,     /* Dense n, LReLU 0.2: a layer of the style mapping network */
    BLOCK_STYLE_INPUT, /* the learned constant h x w x c, AdaIN */
    BLOCK_STYLE,       /* Conv2D (no bias: the AdaIN after it removes any
                          per-channel shift), LReLU 0.2, AdaIN */
    BLOCK_STYLE_UP,    /* the same with Conv2DTranspose */
    BLOCK_CONV_TANH,   /* Conv2D, tanh: the image */
    /* SN-ResNet (Miyato et al. 2018, the CIFAR-10 networks of their code
       scaled down): 3x3 convolutions with bias, same padding. */
    BLOCK_RES_PROJECT, /* Dense h*w*c (bias), Reshape h x w x c */
    BLOCK_RES_UP,      /* residual: BN, ReLU, up x2, Conv 3x3 n, BN, ReLU,
                          Conv 3x3 n; shortcut up x2 + 1x1 conv */
    BLOCK_RES_OUT,     /* BN, ReLU, Conv 3x3 n, tanh: the image */
    BLOCK_RES_DOWN1,   /* the first block of D: Conv 3x3 n, ReLU, Conv 3x3 n,
                          avgpool 2; shortcut avgpool 2 + 1x1 conv */
    BLOCK_RES_DOWN,    /* ReLU, Conv 3x3 n, ReLU, Conv 3x3 n, avgpool 2;
                          shortcut avgpool 2 + 1x1 conv */
    BLOCK_RES_SAME,    /* ReLU, Conv 3x3 n, ReLU, Conv 3x3 n; identity shortcut */
    BLOCK_RES_HEAD,    /* ReLU, global average pool (avgpool by k), Flatten,
                          Dense 1 */
    BLOCK_RES_CLASS_HEAD, /* the same with a class projection instead of the
                             Dense 1 */
    /* StyleGAN2-lite (Karras et al. 2020): equalised learning rate
       everywhere, STYLE2_MAP_LRMUL on the mapping network. */
    BLOCK_MAPPING_EQ,  /* Dense n (equalised, lr x 0.01, gain sqrt 2), LReLU 0.2 */
    BLOCK_STYLE2_INPUT, /* the learned constant h x w x c (no AdaIN) */
    BLOCK_MOD,         /* modulated conv k x k n (demodulated), noise,
                          LReLU 0.2; up-sampled x2 first when s == 2 */
    BLOCK_TO_IMAGE     /* modulated conv 1x1 n (not demodulated), tanh */
} block_kind;

/* Every convolution of the presets has same padding and square kernels
   and strides: n filters of k x k, stride s. */
typedef struct block {
    block_kind kind;
    int n, k, s;       /* filters or units; kernel; stride */
    int dims[3];       /* BLOCK_PROJECT, BLOCK_STYLE_INPUT: h, w, c */
    float rate;        /* BLOCK_DOWN: dropout, 0: none */
    int classes;       /* BLOCK_RES_UP, BLOCK_RES_OUT: > 0, each batchnorm is
                          followed by a class_affine of that many classes
                          (class-conditional batchnorm) */
} block;

/* ---- the networks (gan.h documents each) ---- */

static const block dcgan_generator[] = {
    {.kind = BLOCK_PROJECT, .dims = {4, 4, 512}},
    {.kind = BLOCK_UP, .n = 256, .k = 4, .s = 2},
    {.kind = BLOCK_UP, .n = 128, .k = 4, .s = 2},
    {.kind = BLOCK_UP, .n = 64, .k = 4, .s = 2},
    {.kind = BLOCK_UP_TANH, .n = 3, .k = 4, .s = 1},
    {.kind = BLOCK_END},
};

static const block dcgan_discriminator[] = {
    {.kind = BLOCK_DOWN, .n = 64, .k = 4, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_DOWN, .n = 128, .k = 4, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_DOWN, .n = 256, .k = 4, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_LOGIT},
    {.kind = BLOCK_END},
};

static const block mnist_generator[] = {
    {.kind = BLOCK_PROJECT, .dims = {7, 7, 256}},
    {.kind = BLOCK_UP, .n = 128, .k = 5, .s = 1},
    {.kind = BLOCK_UP, .n = 64, .k = 5, .s = 2},
    {.kind = BLOCK_UP_TANH, .n = 1, .k = 5, .s = 2},
    {.kind = BLOCK_END},
};

static const block mnist_discriminator[] = {
    {.kind = BLOCK_DOWN, .n = 64, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_DOWN, .n = 128, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_LOGIT},
    {.kind = BLOCK_END},
};

/* The notebook's own, 14x14 (see GAN_PRESET_MNIST_NOTEBOOK_GENERATOR). */
static const block mnist_notebook_generator[] = {
    {.kind = BLOCK_PROJECT, .dims = {7, 7, 128}},
    {.kind = BLOCK_UP, .n = 64, .k = 5, .s = 1},
    {.kind = BLOCK_UP_TANH, .n = 1, .k = 5, .s = 2},
    {.kind = BLOCK_END},
};

/* The MNIST discriminator without dropout. */
static const block wgan_critic[] = {
    {.kind = BLOCK_DOWN, .n = 64, .k = 5, .s = 2},
    {.kind = BLOCK_DOWN, .n = 128, .k = 5, .s = 2},
    {.kind = BLOCK_LOGIT},
    {.kind = BLOCK_END},
};

/* The same with the batch's standard deviation as one more channel before
   the last convolution, as StyleGAN's critics place it: the convolution
   mixes it with each sample's features (GAN_PRESET_WGAN_CRITIC_MBSTD). */
static const block wgan_critic_mbstd[] = {
    {.kind = BLOCK_DOWN, .n = 64, .k = 5, .s = 2},
    {.kind = BLOCK_MBSTD},
    {.kind = BLOCK_DOWN, .n = 128, .k = 5, .s = 2},
    {.kind = BLOCK_LOGIT},
    {.kind = BLOCK_END},
};

/* The MNIST generator after a class embedding. */
static const block cgan_generator[] = {
    {.kind = BLOCK_EMBED},
    {.kind = BLOCK_PROJECT, .dims = {7, 7, 256}},
    {.kind = BLOCK_UP, .n = 128, .k = 5, .s = 1},
    {.kind = BLOCK_UP, .n = 64, .k = 5, .s = 2},
    {.kind = BLOCK_UP_TANH, .n = 1, .k = 5, .s = 2},
    {.kind = BLOCK_END},
};

/* Minibatch discrimination is there against the collapse of each class to
   one image, which a projection head alone let through
   (docs/stabilisation.md). */
static const block cgan_discriminator[] = {
    {.kind = BLOCK_DOWN, .n = 64, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_DOWN, .n = 128, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_CLASS_HEAD},
    {.kind = BLOCK_END},
};

/* The same with AC-GAN's class logits beside the projection. */
static const block cgan_aux_discriminator[] = {
    {.kind = BLOCK_DOWN, .n = 64, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_DOWN, .n = 128, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = BLOCK_CLASS_AUX_HEAD},
    {.kind = BLOCK_END},
};

/* examples/style_gan.c builds the same network call by call. */
static const block style_generator[] = {
    {.kind = BLOCK_MAPPING, .n = 128},
    {.kind = BLOCK_MAPPING, .n = 128},
    {.kind = BLOCK_MAPPING, .n = 128},
    {.kind = BLOCK_STYLE_INPUT, .dims = {7, 7, 128}},
    {.kind = BLOCK_STYLE, .n = 128, .k = 3, .s = 1},
    {.kind = BLOCK_STYLE_UP, .n = 64, .k = 5, .s = 2},
    {.kind = BLOCK_STYLE_UP, .n = 32, .k = 5, .s = 2},
    {.kind = BLOCK_CONV_TANH, .n = 1, .k = 3, .s = 1},
    {.kind = BLOCK_END},
};

/* StyleGAN2-lite for 28x28x1 (GAN_PRESET_STYLE2_GENERATOR; gan.h). */
static const block style2_generator[] = {
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_STYLE2_INPUT, .dims = {7, 7, 64}},
    {.kind = BLOCK_MOD, .n = 64, .k = 3, .s = 1},
    {.kind = BLOCK_MOD, .n = 64, .k = 3, .s = 2},
    {.kind = BLOCK_MOD, .n = 64, .k = 3, .s = 1},
    {.kind = BLOCK_MOD, .n = 32, .k = 3, .s = 2},
    {.kind = BLOCK_MOD, .n = 32, .k = 3, .s = 1},
    {.kind = BLOCK_TO_IMAGE, .n = 1},
    {.kind = BLOCK_END},
};

/* The same at twice the channels (GAN_PRESET_STYLE2_WIDE_GENERATOR). */
static const block style2_wide_generator[] = {
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_MAPPING_EQ, .n = 128},
    {.kind = BLOCK_STYLE2_INPUT, .dims = {7, 7, 128}},
    {.kind = BLOCK_MOD, .n = 128, .k = 3, .s = 1},
    {.kind = BLOCK_MOD, .n = 128, .k = 3, .s = 2},
    {.kind = BLOCK_MOD, .n = 128, .k = 3, .s = 1},
    {.kind = BLOCK_MOD, .n = 64, .k = 3, .s = 2},
    {.kind = BLOCK_MOD, .n = 64, .k = 3, .s = 1},
    {.kind = BLOCK_TO_IMAGE, .n = 1},
    {.kind = BLOCK_END},
};

/* SN-ResNet pair for 28x28x1 (GAN_PRESET_RESNET_*; gan.h). */
static const block resnet_generator[] = {
    {.kind = BLOCK_RES_PROJECT, .dims = {7, 7, 64}},
    {.kind = BLOCK_RES_UP, .n = 64},
    {.kind = BLOCK_RES_UP, .n = 32},
    {.kind = BLOCK_RES_OUT, .n = 1},
    {.kind = BLOCK_END},
};

/* The same at twice the channels (GAN_PRESET_RESNET_WIDE_GENERATOR). */
static const block resnet_wide_generator[] = {
    {.kind = BLOCK_RES_PROJECT, .dims = {7, 7, 128}},
    {.kind = BLOCK_RES_UP, .n = 128},
    {.kind = BLOCK_RES_UP, .n = 64},
    {.kind = BLOCK_RES_OUT, .n = 1},
    {.kind = BLOCK_END},
};

static const block resnet_discriminator[] = {
    {.kind = BLOCK_RES_DOWN1, .n = 32},
    {.kind = BLOCK_RES_DOWN, .n = 64},
    {.kind = BLOCK_RES_SAME, .n = 64},
    {.kind = BLOCK_RES_HEAD, .k = 7},
    {.kind = BLOCK_END},
};

/* BigGAN-style: class-conditional batchnorm (batchnorm + class_affine). */
static const block resnet_cgan_generator[] = {
    {.kind = BLOCK_RES_PROJECT, .dims = {7, 7, 64}},
    {.kind = BLOCK_RES_UP, .n = 64, .classes = CGAN_CLASSES},
    {.kind = BLOCK_RES_UP, .n = 32, .classes = CGAN_CLASSES},
    {.kind = BLOCK_RES_OUT, .n = 1, .classes = CGAN_CLASSES},
    {.kind = BLOCK_END},
};

static const block resnet_cgan_discriminator[] = {
    {.kind = BLOCK_RES_DOWN1, .n = 32},
    {.kind = BLOCK_RES_DOWN, .n = 64},
    {.kind = BLOCK_RES_SAME, .n = 64},
    {.kind = BLOCK_RES_CLASS_HEAD, .k = 7},
    {.kind = BLOCK_END},
};

/* ---- the presets: a generator takes a latent vector, a discriminator an
   image ---- */

static const struct {
    gan_preset id;
    const char *name;
    int latent;          /* a generator's input, 0: a discriminator */
    int image[3];        /* a discriminator's input, h x w x c */
    const block *blocks;
} gan__presets[] = {
    {.id = GAN_PRESET_DCGAN_CIFAR10_GENERATOR, .name = "dcgan-cifar10-generator",
     .latent = 128, .blocks = dcgan_generator},
    {.id = GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR, .name = "dcgan-cifar10-discriminator",
     .image = {32, 32, 3}, .blocks = dcgan_discriminator},
    {.id = GAN_PRESET_MNIST_GENERATOR, .name = "mnist-generator",
     .latent = 100, .blocks = mnist_generator},
    {.id = GAN_PRESET_MNIST_DISCRIMINATOR, .name = "mnist-discriminator",
     .image = {28, 28, 1}, .blocks = mnist_discriminator},
    {.id = GAN_PRESET_MNIST_NOTEBOOK_GENERATOR, .name = "mnist-notebook-generator",
     .latent = 100, .blocks = mnist_notebook_generator},
    {.id = GAN_PRESET_WGAN_CRITIC, .name = "wgan-critic",
     .image = {28, 28, 1}, .blocks = wgan_critic},
    {.id = GAN_PRESET_CGAN_GENERATOR, .name = "cgan-generator",
     .latent = 100, .blocks = cgan_generator},
    {.id = GAN_PRESET_CGAN_DISCRIMINATOR, .name = "cgan-discriminator",
     .image = {28, 28, 1}, .blocks = cgan_discriminator},
    {.id = GAN_PRESET_STYLE_GENERATOR, .name = "style-generator",
     .latent = 100, .blocks = style_generator},
    {.id = GAN_PRESET_RESNET_GENERATOR, .name = "resnet-generator",
     .latent = 128, .blocks = resnet_generator},
    {.id = GAN_PRESET_RESNET_DISCRIMINATOR, .name = "resnet-discriminator",
     .image = {28, 28, 1}, .blocks = resnet_discriminator},
    {.id = GAN_PRESET_RESNET_CGAN_GENERATOR, .name = "resnet-cgan-generator",
     .latent = 128, .blocks = resnet_cgan_generator},
    {.id = GAN_PRESET_RESNET_CGAN_DISCRIMINATOR, .name = "resnet-cgan-discriminator",
     .image = {28, 28, 1}, .blocks = resnet_cgan_discriminator},
    {.id = GAN_PRESET_STYLE2_GENERATOR, .name = "style2-generator",
     .latent = 128, .blocks = style2_generator},
    {.id = GAN_PRESET_STYLE2_WIDE_GENERATOR, .name = "style2-wide-generator",
     .latent = 128, .blocks = style2_wide_generator},
    {.id = GAN_PRESET_RESNET_WIDE_GENERATOR, .name = "resnet-wide-generator",
     .latent = 128, .blocks = resnet_wide_generator},
    {.id = GAN_PRESET_CGAN_AUX_DISCRIMINATOR, .name = "cgan-aux-discriminator",
     .image = {28, 28, 1}, .blocks = cgan_aux_discriminator},
    {.id = GAN_PRESET_WGAN_CRITIC_MBSTD, .name = "wgan-critic-mbstd",
     .image = {28, 28, 1}, .blocks = wgan_critic_mbstd},
};
#define GAN__N_PRESETS (sizeof gan__presets / sizeof gan__presets[0])

/* The row of preset p, or -1. */
static int preset_index(gan_preset p)
{
    for (size_t i = 0; i < GAN__N_PRESETS; i++)
        if (gan__presets[i].id == p)
            return (int)i;
    return -1;
}

const char *gan_preset_name(gan_preset p)
{
    int i = preset_index(p);
    return i < 0 ? NULL : gan__presets[i].name;
}

int gan_preset_latent_dim(gan_preset p)
{
    int i = preset_index(p);
    return i < 0 ? 0 : gan__presets[i].latent;
}

gan_status gan_preset_from_name(const char *name, gan_preset *p)
{
    GAN__CHECK_ARG(name != NULL);
    GAN__CHECK_ARG(p != NULL);
    for (size_t i = 0; i < GAN__N_PRESETS; i++)
        if (strcmp(gan__presets[i].name, name) == 0) {
            *p = gan__presets[i].id;
            return GAN_OK;
        }
    return gan__err(GAN_EINVAL, "unknown preset '%s'", name);
}

/* ---- building ---- */

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
static gan_status add_conv(gan_model *m, const block *b, int transpose, int use_bias)
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
    const block b = {.n = n, .k = 3, .s = 1};
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

/* The layers of block b, in the notebooks' order. */
static gan_status add_block(gan_model *m, const block *b)
{
    gan_status st = GAN_OK;
    switch (b->kind) {
    case BLOCK_EMBED:
        return gan_model_add_class_embedding(m, CGAN_CLASSES, CGAN_EMBEDDING);
    case BLOCK_PROJECT:
        TRY(add_dense(m, b->dims[0] * b->dims[1] * b->dims[2], 0));
        TRY(gan_model_add_batchnorm(m, NULL));
        TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
        TRY(gan_model_add_reshape(m, 3, b->dims));
        return st;
    case BLOCK_UP:
        TRY(add_conv(m, b, 1, 0));
        TRY(gan_model_add_batchnorm(m, NULL));
        TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
        return st;
    case BLOCK_DOWN:
        TRY(add_conv(m, b, 0, 1));
        TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
        if (b->rate > 0.0f)
            TRY(gan_model_add_dropout(m, b->rate));
        return st;
    case BLOCK_UP_TANH:
    case BLOCK_CONV_TANH:
        TRY(add_conv(m, b, b->kind == BLOCK_UP_TANH, b->kind == BLOCK_CONV_TANH));
        TRY(gan_model_add_tanh(m));
        return st;
    case BLOCK_MBSTD:
        return gan_model_add_minibatch_stddev(m);
    case BLOCK_LOGIT:
        TRY(gan_model_add_flatten(m));
        TRY(add_dense(m, 1, 1));
        return st;
    case BLOCK_CLASS_HEAD:
    case BLOCK_CLASS_AUX_HEAD:
        TRY(gan_model_add_flatten(m));
        TRY(gan_model_add_minibatch_discrimination(m, CGAN_MBD_KERNELS, CGAN_MBD_DIM));
        if (b->kind == BLOCK_CLASS_AUX_HEAD)
            TRY(gan_model_add_class_projection_aux(m, CGAN_CLASSES));
        else
            TRY(gan_model_add_class_projection(m, CGAN_CLASSES));
        return st;
    case BLOCK_MAPPING:
        TRY(add_dense(m, b->n, 1));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
        return st;
    case BLOCK_STYLE_INPUT:
        TRY(gan_model_add_style_input(m, b->dims[0], b->dims[1], b->dims[2]));
        TRY(gan_model_add_adain(m, STYLE_ADAIN_EPS));
        return st;
    case BLOCK_STYLE:
    case BLOCK_STYLE_UP:
        TRY(add_conv(m, b, b->kind == BLOCK_STYLE_UP, 0));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
        TRY(gan_model_add_adain(m, STYLE_ADAIN_EPS));
        return st;
    case BLOCK_RES_PROJECT:
        TRY(add_dense(m, b->dims[0] * b->dims[1] * b->dims[2], 1));
        TRY(gan_model_add_reshape(m, 3, b->dims));
        return st;
    case BLOCK_RES_UP:
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
    case BLOCK_RES_OUT:
        TRY(add_bn(m, b->classes));
        TRY(gan_model_add_relu(m));
        TRY(add_conv3(m, b->n));
        TRY(gan_model_add_tanh(m));
        return st;
    case BLOCK_RES_DOWN1:
    case BLOCK_RES_DOWN:
    case BLOCK_RES_SAME:
        TRY(gan_model_add_residual_begin(m));
        if (b->kind != BLOCK_RES_DOWN1)
            TRY(gan_model_add_relu(m));
        TRY(add_conv3(m, b->n));
        TRY(gan_model_add_relu(m));
        TRY(add_conv3(m, b->n));
        if (b->kind == BLOCK_RES_SAME) {
            TRY(gan_model_add_residual_add(m, 1, 1));
        } else {
            TRY(gan_model_add_avgpool(m, 2));
            TRY(gan_model_add_residual_conv(m, 1, 2, 1));
        }
        return st;
    case BLOCK_RES_HEAD:
    case BLOCK_RES_CLASS_HEAD:
        TRY(gan_model_add_relu(m));
        TRY(gan_model_add_avgpool(m, b->k));
        TRY(gan_model_add_flatten(m));
        if (b->kind == BLOCK_RES_HEAD)
            TRY(add_dense(m, 1, 1));
        else
            TRY(gan_model_add_class_projection(m, CGAN_CLASSES));
        return st;
    case BLOCK_MAPPING_EQ: {
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
    case BLOCK_STYLE2_INPUT:
        return gan_model_add_style_input(m, b->dims[0], b->dims[1], b->dims[2]);
    case BLOCK_MOD:
        if (b->s == 2)
            TRY(gan_model_add_upsample(m, 2));
        TRY(gan_model_add_modulated_conv2d(m, b->n, b->k, 1, 1));
        TRY(gan_model_add_noise_injection(m));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
        return st;
    case BLOCK_TO_IMAGE:
        TRY(gan_model_add_modulated_conv2d(m, b->n, 1, 0, 1));
        TRY(gan_model_add_tanh(m));
        return st;
    case BLOCK_END:
        break;
    }
    return st;
}

gan_status gan_model_create_preset(gan_model **out, gan_preset p)
{
    gan_status st;
    gan_model *m = NULL;
    int i;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    if ((i = preset_index(p)) < 0)
        return gan__err(GAN_EINVAL, "gan_model_create_preset: unknown preset %d", (int)p);
    if (gan__presets[i].latent > 0)
        st = gan_model_create(&m, 1, &gan__presets[i].latent);
    else
        st = gan_model_create(&m, 3, gan__presets[i].image);
    for (const block *b = gan__presets[i].blocks; st == GAN_OK && b->kind != BLOCK_END; b++)
        st = add_block(m, b);
    if (st != GAN_OK) {
        gan_model_free(m);
        return st;
    }
    *out = m;
    return GAN_OK;
}
