/*
 * presets.c -- the networks of the two seed notebooks, built with the public
 * builder calls exactly as the notebooks' Keras code builds them, and the
 * residual and style networks of issue 21 at 28x28.
 *
 * Each network is a table of blocks (blocks.h), the units the notebooks
 * stack (Dense + BN + LReLU + Reshape, Conv2DTranspose + BN + LReLU, ...),
 * and each preset one row naming its input and its blocks.  Block by
 * block, the layers and their order are those of the gan_preset
 * documentation in gan.h, so the parameter counts and the initialisation
 * from a seed follow from it.
 */
#include <string.h>

#include "nn/blocks.h"

#define CGAN_CLASSES 10         /* Fashion-MNIST */
#define CGAN_EMBEDDING 50       /* as the Keras cGAN examples' Embedding(10, 50) */

/* ---- the networks (gan.h documents each) ---- */

static const gan__block dcgan_generator[] = {
    {.kind = GAN__BLOCK_PROJECT, .dims = {4, 4, 512}},
    {.kind = GAN__BLOCK_UP, .n = 256, .k = 4, .s = 2},
    {.kind = GAN__BLOCK_UP, .n = 128, .k = 4, .s = 2},
    {.kind = GAN__BLOCK_UP, .n = 64, .k = 4, .s = 2},
    {.kind = GAN__BLOCK_UP_TANH, .n = 3, .k = 4, .s = 1},
    {.kind = GAN__BLOCK_END},
};

static const gan__block dcgan_discriminator[] = {
    {.kind = GAN__BLOCK_DOWN, .n = 64, .k = 4, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_DOWN, .n = 128, .k = 4, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_DOWN, .n = 256, .k = 4, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_LOGIT},
    {.kind = GAN__BLOCK_END},
};

static const gan__block mnist_generator[] = {
    {.kind = GAN__BLOCK_PROJECT, .dims = {7, 7, 256}},
    {.kind = GAN__BLOCK_UP, .n = 128, .k = 5, .s = 1},
    {.kind = GAN__BLOCK_UP, .n = 64, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_UP_TANH, .n = 1, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_END},
};

static const gan__block mnist_discriminator[] = {
    {.kind = GAN__BLOCK_DOWN, .n = 64, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_DOWN, .n = 128, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_LOGIT},
    {.kind = GAN__BLOCK_END},
};

/* The notebook's own, 14x14 (see GAN_PRESET_MNIST_NOTEBOOK_GENERATOR). */
static const gan__block mnist_notebook_generator[] = {
    {.kind = GAN__BLOCK_PROJECT, .dims = {7, 7, 128}},
    {.kind = GAN__BLOCK_UP, .n = 64, .k = 5, .s = 1},
    {.kind = GAN__BLOCK_UP_TANH, .n = 1, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_END},
};

/* The MNIST discriminator without dropout. */
static const gan__block wgan_critic[] = {
    {.kind = GAN__BLOCK_DOWN, .n = 64, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_DOWN, .n = 128, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_LOGIT},
    {.kind = GAN__BLOCK_END},
};

/* The same with the batch's standard deviation as one more channel before
   the last convolution, as StyleGAN's critics place it: the convolution
   mixes it with each sample's features (GAN_PRESET_WGAN_CRITIC_MBSTD). */
static const gan__block wgan_critic_mbstd[] = {
    {.kind = GAN__BLOCK_DOWN, .n = 64, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_MBSTD},
    {.kind = GAN__BLOCK_DOWN, .n = 128, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_LOGIT},
    {.kind = GAN__BLOCK_END},
};

/* The MNIST generator after a class embedding. */
static const gan__block cgan_generator[] = {
    {.kind = GAN__BLOCK_EMBED, .n = CGAN_EMBEDDING, .classes = CGAN_CLASSES},
    {.kind = GAN__BLOCK_PROJECT, .dims = {7, 7, 256}},
    {.kind = GAN__BLOCK_UP, .n = 128, .k = 5, .s = 1},
    {.kind = GAN__BLOCK_UP, .n = 64, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_UP_TANH, .n = 1, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_END},
};

/* Minibatch discrimination is there against the collapse of each class to
   one image, which a projection head alone let through
   (docs/stabilisation.md). */
static const gan__block cgan_discriminator[] = {
    {.kind = GAN__BLOCK_DOWN, .n = 64, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_DOWN, .n = 128, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_CLASS_HEAD, .classes = CGAN_CLASSES},
    {.kind = GAN__BLOCK_END},
};

/* The same with AC-GAN's class logits beside the projection. */
static const gan__block cgan_aux_discriminator[] = {
    {.kind = GAN__BLOCK_DOWN, .n = 64, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_DOWN, .n = 128, .k = 5, .s = 2, .rate = 0.3f},
    {.kind = GAN__BLOCK_CLASS_HEAD, .classes = CGAN_CLASSES, .aux = 1},
    {.kind = GAN__BLOCK_END},
};

/* examples/style_gan.c builds the same network call by call. */
static const gan__block style_generator[] = {
    {.kind = GAN__BLOCK_MAPPING, .n = 128},
    {.kind = GAN__BLOCK_MAPPING, .n = 128},
    {.kind = GAN__BLOCK_MAPPING, .n = 128},
    {.kind = GAN__BLOCK_STYLE_INPUT, .dims = {7, 7, 128}},
    {.kind = GAN__BLOCK_STYLE, .n = 128, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_STYLE_UP, .n = 64, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_STYLE_UP, .n = 32, .k = 5, .s = 2},
    {.kind = GAN__BLOCK_CONV_TANH, .n = 1, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_END},
};

/* StyleGAN2-lite for 28x28x1 (GAN_PRESET_STYLE2_GENERATOR; gan.h). */
static const gan__block style2_generator[] = {
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_STYLE2_INPUT, .dims = {7, 7, 64}},
    {.kind = GAN__BLOCK_MOD, .n = 64, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_MOD, .n = 64, .k = 3, .s = 2},
    {.kind = GAN__BLOCK_MOD, .n = 64, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_MOD, .n = 32, .k = 3, .s = 2},
    {.kind = GAN__BLOCK_MOD, .n = 32, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_TO_IMAGE, .n = 1},
    {.kind = GAN__BLOCK_END},
};

/* The same at twice the channels (GAN_PRESET_STYLE2_WIDE_GENERATOR). */
static const gan__block style2_wide_generator[] = {
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_MAPPING_EQ, .n = 128},
    {.kind = GAN__BLOCK_STYLE2_INPUT, .dims = {7, 7, 128}},
    {.kind = GAN__BLOCK_MOD, .n = 128, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_MOD, .n = 128, .k = 3, .s = 2},
    {.kind = GAN__BLOCK_MOD, .n = 128, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_MOD, .n = 64, .k = 3, .s = 2},
    {.kind = GAN__BLOCK_MOD, .n = 64, .k = 3, .s = 1},
    {.kind = GAN__BLOCK_TO_IMAGE, .n = 1},
    {.kind = GAN__BLOCK_END},
};

/* SN-ResNet pair for 28x28x1 (GAN_PRESET_RESNET_*; gan.h). */
static const gan__block resnet_generator[] = {
    {.kind = GAN__BLOCK_RES_PROJECT, .dims = {7, 7, 64}},
    {.kind = GAN__BLOCK_RES_UP, .n = 64},
    {.kind = GAN__BLOCK_RES_UP, .n = 32},
    {.kind = GAN__BLOCK_RES_OUT, .n = 1},
    {.kind = GAN__BLOCK_END},
};

/* The same at twice the channels (GAN_PRESET_RESNET_WIDE_GENERATOR). */
static const gan__block resnet_wide_generator[] = {
    {.kind = GAN__BLOCK_RES_PROJECT, .dims = {7, 7, 128}},
    {.kind = GAN__BLOCK_RES_UP, .n = 128},
    {.kind = GAN__BLOCK_RES_UP, .n = 64},
    {.kind = GAN__BLOCK_RES_OUT, .n = 1},
    {.kind = GAN__BLOCK_END},
};

static const gan__block resnet_discriminator[] = {
    {.kind = GAN__BLOCK_RES_DOWN1, .n = 32},
    {.kind = GAN__BLOCK_RES_DOWN, .n = 64},
    {.kind = GAN__BLOCK_RES_SAME, .n = 64},
    {.kind = GAN__BLOCK_RES_HEAD, .k = 7},
    {.kind = GAN__BLOCK_END},
};

/* BigGAN-style: class-conditional batchnorm (batchnorm + class_affine). */
static const gan__block resnet_cgan_generator[] = {
    {.kind = GAN__BLOCK_RES_PROJECT, .dims = {7, 7, 64}},
    {.kind = GAN__BLOCK_RES_UP, .n = 64, .classes = CGAN_CLASSES},
    {.kind = GAN__BLOCK_RES_UP, .n = 32, .classes = CGAN_CLASSES},
    {.kind = GAN__BLOCK_RES_OUT, .n = 1, .classes = CGAN_CLASSES},
    {.kind = GAN__BLOCK_END},
};

static const gan__block resnet_cgan_discriminator[] = {
    {.kind = GAN__BLOCK_RES_DOWN1, .n = 32},
    {.kind = GAN__BLOCK_RES_DOWN, .n = 64},
    {.kind = GAN__BLOCK_RES_SAME, .n = 64},
    {.kind = GAN__BLOCK_RES_HEAD, .k = 7, .classes = CGAN_CLASSES},
    {.kind = GAN__BLOCK_END},
};

/* ---- the presets: a generator takes a latent vector, a discriminator an
   image ---- */

static const struct {
    gan_preset id;
    const char *name;
    int latent;          /* a generator's input, 0: a discriminator */
    int image[3];        /* a discriminator's input, h x w x c */
    const gan__block *blocks;
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
    if (st == GAN_OK)
        st = gan__blocks_add(m, gan__presets[i].blocks);
    if (st != GAN_OK) {
        gan_model_free(m);
        return st;
    }
    *out = m;
    return GAN_OK;
}
