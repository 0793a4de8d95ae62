/*
 * presets.c -- the networks of the two seed notebooks, built with the public
 * builder calls exactly as the notebooks' Keras code builds them.
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

static const struct {
    gan_preset id;
    const char *name;
    int latent;
} gan__presets[] = {
    {GAN_PRESET_DCGAN_CIFAR10_GENERATOR, "dcgan-cifar10-generator", 128},
    {GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR, "dcgan-cifar10-discriminator", 0},
    {GAN_PRESET_MNIST_GENERATOR, "mnist-generator", 100},
    {GAN_PRESET_MNIST_DISCRIMINATOR, "mnist-discriminator", 0},
    {GAN_PRESET_MNIST_NOTEBOOK_GENERATOR, "mnist-notebook-generator", 100},
    {GAN_PRESET_WGAN_CRITIC, "wgan-critic", 0},
    {GAN_PRESET_CGAN_GENERATOR, "cgan-generator", 100},
    {GAN_PRESET_CGAN_DISCRIMINATOR, "cgan-discriminator", 0},
    {GAN_PRESET_STYLE_GENERATOR, "style-generator", 100},
};
#define GAN__N_PRESETS (sizeof gan__presets / sizeof gan__presets[0])

const char *gan_preset_name(gan_preset p)
{
    for (size_t i = 0; i < GAN__N_PRESETS; i++)
        if (gan__presets[i].id == p)
            return gan__presets[i].name;
    return NULL;
}

int gan_preset_latent_dim(gan_preset p)
{
    for (size_t i = 0; i < GAN__N_PRESETS; i++)
        if (gan__presets[i].id == p)
            return gan__presets[i].latent;
    return 0;
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

/* Stop at the first failing call; `st` keeps its status. */
#define TRY(call)                                                              \
    do {                                                                       \
        if (st == GAN_OK)                                                      \
            st = (call);                                                       \
    } while (0)

static gan_status dense_bn_lrelu_reshape(gan_model *m, int h, int w, int c)
{
    gan_status st = GAN_OK;
    gan_dense_config d;
    int dims[3] = {h, w, c};
    gan_dense_config_init(&d, sizeof d);
    d.units = h * w * c;
    d.use_bias = 0;
    TRY(gan_model_add_dense(m, &d));
    TRY(gan_model_add_batchnorm(m, NULL));
    TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
    TRY(gan_model_add_reshape(m, 3, dims));
    return st;
}

static gan_status deconv(gan_model *m, int filters, int k, int s, int bn_lrelu)
{
    gan_status st = GAN_OK;
    gan_conv2d_config c;
    gan_conv2d_config_init(&c, sizeof c);
    c.filters = filters;
    c.kernel_h = c.kernel_w = k;
    c.stride_h = c.stride_w = s;
    c.padding = GAN_PADDING_SAME;
    c.use_bias = 0;
    TRY(gan_model_add_conv2d_transpose(m, &c));
    if (bn_lrelu) {
        TRY(gan_model_add_batchnorm(m, NULL));
        TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
    } else {
        TRY(gan_model_add_tanh(m));
    }
    return st;
}

static gan_status conv_block(gan_model *m, int filters, int k, float dropout)
{
    gan_status st = GAN_OK;
    gan_conv2d_config c;
    gan_conv2d_config_init(&c, sizeof c);
    c.filters = filters;
    c.kernel_h = c.kernel_w = k;
    c.stride_h = c.stride_w = 2;
    c.padding = GAN_PADDING_SAME;
    TRY(gan_model_add_conv2d(m, &c));
    TRY(gan_model_add_leaky_relu(m, KERAS_LRELU_ALPHA));
    if (dropout > 0.0f)
        TRY(gan_model_add_dropout(m, dropout));
    return st;
}

static gan_status logit_head(gan_model *m)
{
    gan_status st = GAN_OK;
    gan_dense_config d;
    gan_dense_config_init(&d, sizeof d);
    d.units = 1;
    TRY(gan_model_add_flatten(m));
    TRY(gan_model_add_dense(m, &d));
    return st;
}

/* A convolution (transposed or not, same padding, no bias: the adain
   after it removes any per-channel shift), leaky ReLU 0.2, adain. */
static gan_status style_block(gan_model *m, int transpose, int filters, int k, int s)
{
    gan_status st = GAN_OK;
    gan_conv2d_config c;
    gan_conv2d_config_init(&c, sizeof c);
    c.filters = filters;
    c.kernel_h = c.kernel_w = k;
    c.stride_h = c.stride_w = s;
    c.padding = GAN_PADDING_SAME;
    c.use_bias = 0;
    TRY(transpose ? gan_model_add_conv2d_transpose(m, &c) : gan_model_add_conv2d(m, &c));
    TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
    TRY(gan_model_add_adain(m, STYLE_ADAIN_EPS));
    return st;
}

/* See GAN_PRESET_STYLE_GENERATOR; examples/style_gan.c builds the same
   network call by call. */
static gan_status style_generator(gan_model *m)
{
    gan_status st = GAN_OK;
    gan_dense_config d;
    gan_conv2d_config c;
    gan_dense_config_init(&d, sizeof d);
    d.units = 128;
    for (int i = 0; i < 3; i++) {
        TRY(gan_model_add_dense(m, &d));
        TRY(gan_model_add_leaky_relu(m, STYLE_LRELU_ALPHA));
    }
    TRY(gan_model_add_style_input(m, 7, 7, 128));
    TRY(gan_model_add_adain(m, STYLE_ADAIN_EPS));
    TRY(style_block(m, 0, 128, 3, 1));
    TRY(style_block(m, 1, 64, 5, 2));
    TRY(style_block(m, 1, 32, 5, 2));
    gan_conv2d_config_init(&c, sizeof c);
    c.filters = 1;
    c.kernel_h = c.kernel_w = 3;
    c.padding = GAN_PADDING_SAME;
    TRY(gan_model_add_conv2d(m, &c));
    TRY(gan_model_add_tanh(m));
    return st;
}

gan_status gan_model_create_preset(gan_model **out, gan_preset p)
{
    gan_status st;
    gan_model *m = NULL;
    int vec[1], img[3];
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    switch (p) {
    case GAN_PRESET_DCGAN_CIFAR10_GENERATOR:
        vec[0] = 128;
        st = gan_model_create(&m, 1, vec);
        TRY(dense_bn_lrelu_reshape(m, 4, 4, 512));
        TRY(deconv(m, 256, 4, 2, 1));
        TRY(deconv(m, 128, 4, 2, 1));
        TRY(deconv(m, 64, 4, 2, 1));
        TRY(deconv(m, 3, 4, 1, 0));
        break;
    case GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR:
        img[0] = 32; img[1] = 32; img[2] = 3;
        st = gan_model_create(&m, 3, img);
        TRY(conv_block(m, 64, 4, 0.3f));
        TRY(conv_block(m, 128, 4, 0.3f));
        TRY(conv_block(m, 256, 4, 0.3f));
        TRY(logit_head(m));
        break;
    case GAN_PRESET_MNIST_GENERATOR:
        vec[0] = 100;
        st = gan_model_create(&m, 1, vec);
        TRY(dense_bn_lrelu_reshape(m, 7, 7, 256));
        TRY(deconv(m, 128, 5, 1, 1));
        TRY(deconv(m, 64, 5, 2, 1));
        TRY(deconv(m, 1, 5, 2, 0));
        break;
    case GAN_PRESET_MNIST_DISCRIMINATOR:
    case GAN_PRESET_WGAN_CRITIC:
        img[0] = 28; img[1] = 28; img[2] = 1;
        st = gan_model_create(&m, 3, img);
        TRY(conv_block(m, 64, 5, p == GAN_PRESET_WGAN_CRITIC ? 0.0f : 0.3f));
        TRY(conv_block(m, 128, 5, p == GAN_PRESET_WGAN_CRITIC ? 0.0f : 0.3f));
        TRY(logit_head(m));
        break;
    case GAN_PRESET_CGAN_GENERATOR:
        vec[0] = 100;
        st = gan_model_create(&m, 1, vec);
        TRY(gan_model_add_class_embedding(m, CGAN_CLASSES, CGAN_EMBEDDING));
        TRY(dense_bn_lrelu_reshape(m, 7, 7, 256));
        TRY(deconv(m, 128, 5, 1, 1));
        TRY(deconv(m, 64, 5, 2, 1));
        TRY(deconv(m, 1, 5, 2, 0));
        break;
    case GAN_PRESET_CGAN_DISCRIMINATOR:
        img[0] = 28; img[1] = 28; img[2] = 1;
        st = gan_model_create(&m, 3, img);
        TRY(conv_block(m, 64, 5, 0.3f));
        TRY(conv_block(m, 128, 5, 0.3f));
        TRY(gan_model_add_flatten(m));
        /* Against the collapse of each class to one image, which a
           projection head alone let through (docs/stabilisation.md). */
        TRY(gan_model_add_minibatch_discrimination(m, CGAN_MBD_KERNELS, CGAN_MBD_DIM));
        TRY(gan_model_add_class_projection(m, CGAN_CLASSES));
        break;
    case GAN_PRESET_MNIST_NOTEBOOK_GENERATOR:
        vec[0] = 100;
        st = gan_model_create(&m, 1, vec);
        TRY(dense_bn_lrelu_reshape(m, 7, 7, 128));
        TRY(deconv(m, 64, 5, 1, 1));
        TRY(deconv(m, 1, 5, 2, 0));
        break;
    case GAN_PRESET_STYLE_GENERATOR:
        vec[0] = 100;
        st = gan_model_create(&m, 1, vec);
        TRY(style_generator(m));
        break;
    default:
        return gan__err(GAN_EINVAL, "gan_model_create_preset: unknown preset %d", (int)p);
    }
    if (st != GAN_OK) {
        gan_model_free(m);
        return st;
    }
    *out = m;
    return GAN_OK;
}
