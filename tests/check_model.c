/*
 * check_model.c -- the gan_model handle: the seed networks' exact shapes and
 * Keras parameter counts, misuse (NULL and wrong-type handles, impossible
 * shapes, wrong counts, wrong call order, non-finite values, bad config
 * sizes), the summary, parameter access, initialisation, batchnorm running
 * statistics, dropout, config struct sizes, an allocation-failure sweep and
 * bit-exact determinism.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h" /* only for the handle magics (wrong-type handles) */
#include "test_util.h"

/* ---- the seed networks ------------------------------------------------------- */

typedef struct layer_spec {
    gan_layer_kind kind;
    int ndim, d0, d1, d2;
} layer_spec;

#define V(kind, n) {kind, 1, n, 0, 0}
#define I(kind, h, w, c) {kind, 3, h, w, c}

/* CIFAR-10 generator of the first notebook (make_generator_model). */
static const layer_spec cifar_g[] = {
    V(GAN_LAYER_DENSE, 8192), V(GAN_LAYER_BATCHNORM, 8192), V(GAN_LAYER_LEAKY_RELU, 8192),
    I(GAN_LAYER_RESHAPE, 4, 4, 512),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 8, 8, 256), I(GAN_LAYER_BATCHNORM, 8, 8, 256),
    I(GAN_LAYER_LEAKY_RELU, 8, 8, 256),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 16, 16, 128), I(GAN_LAYER_BATCHNORM, 16, 16, 128),
    I(GAN_LAYER_LEAKY_RELU, 16, 16, 128),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 32, 32, 64), I(GAN_LAYER_BATCHNORM, 32, 32, 64),
    I(GAN_LAYER_LEAKY_RELU, 32, 32, 64),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 32, 32, 3), I(GAN_LAYER_TANH, 32, 32, 3),
};

/* CIFAR-10 discriminator (make_discriminator_model). */
static const layer_spec cifar_d[] = {
    I(GAN_LAYER_CONV2D, 16, 16, 64), I(GAN_LAYER_LEAKY_RELU, 16, 16, 64),
    I(GAN_LAYER_DROPOUT, 16, 16, 64),
    I(GAN_LAYER_CONV2D, 8, 8, 128), I(GAN_LAYER_LEAKY_RELU, 8, 8, 128),
    I(GAN_LAYER_DROPOUT, 8, 8, 128),
    I(GAN_LAYER_CONV2D, 4, 4, 256), I(GAN_LAYER_LEAKY_RELU, 4, 4, 256),
    I(GAN_LAYER_DROPOUT, 4, 4, 256),
    V(GAN_LAYER_FLATTEN, 4096), V(GAN_LAYER_DENSE, 1),
};

/* MNIST generator (TensorFlow DCGAN tutorial, 28x28). */
static const layer_spec mnist_g[] = {
    V(GAN_LAYER_DENSE, 12544), V(GAN_LAYER_BATCHNORM, 12544), V(GAN_LAYER_LEAKY_RELU, 12544),
    I(GAN_LAYER_RESHAPE, 7, 7, 256),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 7, 7, 128), I(GAN_LAYER_BATCHNORM, 7, 7, 128),
    I(GAN_LAYER_LEAKY_RELU, 7, 7, 128),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 14, 14, 64), I(GAN_LAYER_BATCHNORM, 14, 14, 64),
    I(GAN_LAYER_LEAKY_RELU, 14, 14, 64),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 28, 28, 1), I(GAN_LAYER_TANH, 28, 28, 1),
};

/* MNIST discriminator of the second notebook. */
static const layer_spec mnist_d[] = {
    I(GAN_LAYER_CONV2D, 14, 14, 64), I(GAN_LAYER_LEAKY_RELU, 14, 14, 64),
    I(GAN_LAYER_DROPOUT, 14, 14, 64),
    I(GAN_LAYER_CONV2D, 7, 7, 128), I(GAN_LAYER_LEAKY_RELU, 7, 7, 128),
    I(GAN_LAYER_DROPOUT, 7, 7, 128),
    V(GAN_LAYER_FLATTEN, 6272), V(GAN_LAYER_DENSE, 1),
};

/* The second notebook's generator verbatim: it stops at 14x14x1. */
static const layer_spec notebook_g[] = {
    V(GAN_LAYER_DENSE, 6272), V(GAN_LAYER_BATCHNORM, 6272), V(GAN_LAYER_LEAKY_RELU, 6272),
    I(GAN_LAYER_RESHAPE, 7, 7, 128),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 7, 7, 64), I(GAN_LAYER_BATCHNORM, 7, 7, 64),
    I(GAN_LAYER_LEAKY_RELU, 7, 7, 64),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 14, 14, 1), I(GAN_LAYER_TANH, 14, 14, 1),
};

/* The style-based generator: mapping network, style input, AdaIN blocks. */
static const layer_spec style_g[] = {
    V(GAN_LAYER_DENSE, 128), V(GAN_LAYER_LEAKY_RELU, 128), V(GAN_LAYER_DENSE, 128),
    V(GAN_LAYER_LEAKY_RELU, 128), V(GAN_LAYER_DENSE, 128), V(GAN_LAYER_LEAKY_RELU, 128),
    I(GAN_LAYER_STYLE_INPUT, 7, 7, 128), I(GAN_LAYER_ADAIN, 7, 7, 128),
    I(GAN_LAYER_CONV2D, 7, 7, 128), I(GAN_LAYER_LEAKY_RELU, 7, 7, 128),
    I(GAN_LAYER_ADAIN, 7, 7, 128),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 14, 14, 64), I(GAN_LAYER_LEAKY_RELU, 14, 14, 64),
    I(GAN_LAYER_ADAIN, 14, 14, 64),
    I(GAN_LAYER_CONV2D_TRANSPOSE, 28, 28, 32), I(GAN_LAYER_LEAKY_RELU, 28, 28, 32),
    I(GAN_LAYER_ADAIN, 28, 28, 32),
    I(GAN_LAYER_CONV2D, 28, 28, 1), I(GAN_LAYER_TANH, 28, 28, 1),
};

/* StyleGAN2-lite: equalised mapping network, modulated convolutions. */
#define MOD_BLOCK(h, c)                                                                  \
    I(GAN_LAYER_MODULATED_CONV2D, h, h, c), I(GAN_LAYER_NOISE_INJECTION, h, h, c),        \
    I(GAN_LAYER_LEAKY_RELU, h, h, c)
/* The StyleGAN2-lite generator with c1 channels at 7x7 and 14x14, c2 at
   28x28 (style2-generator: 64, 32; style2-wide-generator: 128, 64). */
#define STYLE2_G_BODY_W(c1, c2)                                                          \
    V(GAN_LAYER_DENSE, 128), V(GAN_LAYER_LEAKY_RELU, 128), V(GAN_LAYER_DENSE, 128),       \
    V(GAN_LAYER_LEAKY_RELU, 128), V(GAN_LAYER_DENSE, 128), V(GAN_LAYER_LEAKY_RELU, 128),  \
    V(GAN_LAYER_DENSE, 128), V(GAN_LAYER_LEAKY_RELU, 128),                                \
    I(GAN_LAYER_STYLE_INPUT, 7, 7, c1), MOD_BLOCK(7, c1),                                 \
    I(GAN_LAYER_UPSAMPLE, 14, 14, c1), MOD_BLOCK(14, c1), MOD_BLOCK(14, c1),              \
    I(GAN_LAYER_UPSAMPLE, 28, 28, c1), MOD_BLOCK(28, c2), MOD_BLOCK(28, c2),              \
    I(GAN_LAYER_MODULATED_CONV2D, 28, 28, 1), I(GAN_LAYER_TANH, 28, 28, 1)
static const layer_spec style2_g[] = {STYLE2_G_BODY_W(64, 32)};
static const layer_spec style2w_g[] = {STYLE2_G_BODY_W(128, 64)};

/* The WGAN critic: no dropout, linear score. */
static const layer_spec wgan_c[] = {
    I(GAN_LAYER_CONV2D, 14, 14, 64), I(GAN_LAYER_LEAKY_RELU, 14, 14, 64),
    I(GAN_LAYER_CONV2D, 7, 7, 128), I(GAN_LAYER_LEAKY_RELU, 7, 7, 128),
    V(GAN_LAYER_FLATTEN, 6272), V(GAN_LAYER_DENSE, 1),
};

/* The same with the batch's standard deviation as a 65th channel into the
   second convolution. */
static const layer_spec wgan_c_mbstd[] = {
    I(GAN_LAYER_CONV2D, 14, 14, 64), I(GAN_LAYER_LEAKY_RELU, 14, 14, 64),
    I(GAN_LAYER_MINIBATCH_STDDEV, 14, 14, 65), I(GAN_LAYER_CONV2D, 7, 7, 128),
    I(GAN_LAYER_LEAKY_RELU, 7, 7, 128), V(GAN_LAYER_FLATTEN, 6272), V(GAN_LAYER_DENSE, 1),
};

/* The SN-ResNet pair: residual blocks (begin ... residual_conv/add). */
/* The ResNet generator with c1 channels at 7x7 and 14x14, c2 at 28x28. */
#define RES_G_BODY_W(c1, c2)                                                                        \
    V(GAN_LAYER_DENSE, 49 * (c1)), I(GAN_LAYER_RESHAPE, 7, 7, c1),                                  \
    I(GAN_LAYER_RESIDUAL_BEGIN, 7, 7, c1), I(GAN_LAYER_BATCHNORM, 7, 7, c1),                        \
    I(GAN_LAYER_RELU, 7, 7, c1), I(GAN_LAYER_UPSAMPLE, 14, 14, c1),                                 \
    I(GAN_LAYER_CONV2D, 14, 14, c1), I(GAN_LAYER_BATCHNORM, 14, 14, c1),                            \
    I(GAN_LAYER_RELU, 14, 14, c1), I(GAN_LAYER_CONV2D, 14, 14, c1),                                 \
    I(GAN_LAYER_RESIDUAL_CONV, 14, 14, c1),                                                         \
    I(GAN_LAYER_RESIDUAL_BEGIN, 14, 14, c1), I(GAN_LAYER_BATCHNORM, 14, 14, c1),                    \
    I(GAN_LAYER_RELU, 14, 14, c1), I(GAN_LAYER_UPSAMPLE, 28, 28, c1),                               \
    I(GAN_LAYER_CONV2D, 28, 28, c2), I(GAN_LAYER_BATCHNORM, 28, 28, c2),                            \
    I(GAN_LAYER_RELU, 28, 28, c2), I(GAN_LAYER_CONV2D, 28, 28, c2),                                 \
    I(GAN_LAYER_RESIDUAL_CONV, 28, 28, c2),                                                         \
    I(GAN_LAYER_BATCHNORM, 28, 28, c2), I(GAN_LAYER_RELU, 28, 28, c2),                              \
    I(GAN_LAYER_CONV2D, 28, 28, 1), I(GAN_LAYER_TANH, 28, 28, 1)
#define RES_G_BODY RES_G_BODY_W(64, 32)
#define RES_D_BODY                                                                          \
    I(GAN_LAYER_RESIDUAL_BEGIN, 28, 28, 1), I(GAN_LAYER_CONV2D, 28, 28, 32),                \
    I(GAN_LAYER_RELU, 28, 28, 32), I(GAN_LAYER_CONV2D, 28, 28, 32),                         \
    I(GAN_LAYER_AVGPOOL, 14, 14, 32), I(GAN_LAYER_RESIDUAL_CONV, 14, 14, 32),               \
    I(GAN_LAYER_RESIDUAL_BEGIN, 14, 14, 32), I(GAN_LAYER_RELU, 14, 14, 32),                 \
    I(GAN_LAYER_CONV2D, 14, 14, 64), I(GAN_LAYER_RELU, 14, 14, 64),                         \
    I(GAN_LAYER_CONV2D, 14, 14, 64), I(GAN_LAYER_AVGPOOL, 7, 7, 64),                        \
    I(GAN_LAYER_RESIDUAL_CONV, 7, 7, 64),                                                   \
    I(GAN_LAYER_RESIDUAL_BEGIN, 7, 7, 64), I(GAN_LAYER_RELU, 7, 7, 64),                     \
    I(GAN_LAYER_CONV2D, 7, 7, 64), I(GAN_LAYER_RELU, 7, 7, 64),                             \
    I(GAN_LAYER_CONV2D, 7, 7, 64), I(GAN_LAYER_RESIDUAL_ADD, 7, 7, 64),                     \
    I(GAN_LAYER_RELU, 7, 7, 64), I(GAN_LAYER_AVGPOOL, 1, 1, 64), V(GAN_LAYER_FLATTEN, 64)
static const layer_spec resnet_g[] = {RES_G_BODY};
static const layer_spec resnet_wide_g[] = {RES_G_BODY_W(128, 64)};
static const layer_spec resnet_d[] = {RES_D_BODY, V(GAN_LAYER_DENSE, 1)};
static const layer_spec resnet_cg[] = {
    V(GAN_LAYER_DENSE, 3136), I(GAN_LAYER_RESHAPE, 7, 7, 64),
    I(GAN_LAYER_RESIDUAL_BEGIN, 7, 7, 64), I(GAN_LAYER_BATCHNORM, 7, 7, 64),
    I(GAN_LAYER_CLASS_AFFINE, 7, 7, 64),
    I(GAN_LAYER_RELU, 7, 7, 64), I(GAN_LAYER_UPSAMPLE, 14, 14, 64),
    I(GAN_LAYER_CONV2D, 14, 14, 64), I(GAN_LAYER_BATCHNORM, 14, 14, 64),
    I(GAN_LAYER_CLASS_AFFINE, 14, 14, 64),
    I(GAN_LAYER_RELU, 14, 14, 64), I(GAN_LAYER_CONV2D, 14, 14, 64),
    I(GAN_LAYER_RESIDUAL_CONV, 14, 14, 64),
    I(GAN_LAYER_RESIDUAL_BEGIN, 14, 14, 64), I(GAN_LAYER_BATCHNORM, 14, 14, 64),
    I(GAN_LAYER_CLASS_AFFINE, 14, 14, 64),
    I(GAN_LAYER_RELU, 14, 14, 64), I(GAN_LAYER_UPSAMPLE, 28, 28, 64),
    I(GAN_LAYER_CONV2D, 28, 28, 32), I(GAN_LAYER_BATCHNORM, 28, 28, 32),
    I(GAN_LAYER_CLASS_AFFINE, 28, 28, 32),
    I(GAN_LAYER_RELU, 28, 28, 32), I(GAN_LAYER_CONV2D, 28, 28, 32),
    I(GAN_LAYER_RESIDUAL_CONV, 28, 28, 32),
    I(GAN_LAYER_BATCHNORM, 28, 28, 32), I(GAN_LAYER_CLASS_AFFINE, 28, 28, 32),
    I(GAN_LAYER_RELU, 28, 28, 32),
    I(GAN_LAYER_CONV2D, 28, 28, 1), I(GAN_LAYER_TANH, 28, 28, 1),
};
static const layer_spec resnet_cd[] = {RES_D_BODY, V(GAN_LAYER_CLASS_PROJECTION, 1)};

typedef struct preset_spec {
    gan_preset id;
    const char *name;
    int latent;
    layer_spec input;
    const layer_spec *layers;
    size_t n_layers;
    size_t total, trainable;
} preset_spec;

/*
 * Keras' counts, by hand:
 *
 * CIFAR G: Dense 128*8192 = 1,048,576 (no bias); BN(8192) 4*8192 = 32,768;
 *   Conv2DTranspose 4*4*256*512 = 2,097,152; BN(256) 1,024;
 *   4*4*128*256 = 524,288; BN(128) 512; 4*4*64*128 = 131,072; BN(64) 256;
 *   4*4*3*64 = 3,072.  Total 3,838,720; non-trainable (moving mean and
 *   variance) 2*(8192+256+128+64) = 17,280, trainable 3,821,440.
 * CIFAR D: 4*4*3*64+64 = 3,136; 4*4*64*128+128 = 131,200;
 *   4*4*128*256+256 = 524,544; Dense 4096+1 = 4,097.  Total 662,977.
 * MNIST G: 100*12544 = 1,254,400; BN 4*12544 = 50,176; 5*5*128*256 = 819,200;
 *   BN 512; 5*5*64*128 = 204,800; BN 256; 5*5*1*64 = 1,600.  Total 2,330,944;
 *   non-trainable 2*(12544+128+64) = 25,472, trainable 2,305,472.
 * MNIST D: 5*5*1*64+64 = 1,664; 5*5*64*128+128 = 204,928; 6272+1 = 6,273.
 *   Total 212,865 (the WGAN critic has the same weights).
 * Notebook G: 100*6272 = 627,200; BN 4*6272 = 25,088; 5*5*64*128 = 204,800;
 *   BN 256; 5*5*1*64 = 1,600.  Total 858,944; non-trainable
 *   2*(6272+64) = 12,672, trainable 846,272.
 * Style G (no Keras twin): dense 100*128+128 = 12,928, 2 x (128*128+128) =
 *   33,024; constant 7*7*128 = 6,272; adain(C) 128*2C + 2C: 33,024 twice,
 *   16,512, 8,256; conv 3*3*128*128 = 147,456; deconv 5*5*64*128 = 204,800,
 *   5*5*32*64 = 51,200; conv 3*3*32+1 = 289.  Total 546,785, all trainable.
 * ResNet G: dense 128*3136+3136 = 404,544; block 64: BN 256, conv
 *   3*3*64*64+64 = 36,928 twice, BN 256, 1x1 shortcut 64*64+64 = 4,160
 *   (78,528); block 32: BN 256, conv 3*3*64*32+32 = 18,464, BN 128, conv
 *   3*3*32*32+32 = 9,248, shortcut 64*32+32 = 2,080 (30,176); BN 128, conv
 *   3*3*32+1 = 289.  Total 513,665, non-trainable 2*(64+64+64+32+32) = 512.
 *   Conditional: a class_affine of 2*10*C after each of the five
 *   batchnorms, 2*10*(64+64+64+32+32) = 5,120: 518,785.
 * ResNet D: conv 3*3*1*32+32 = 320, 3*3*32*32+32 = 9,248, shortcut 1*32+32
 *   = 64; conv 3*3*32*64+64 = 18,496, 3*3*64*64+64 = 36,928, shortcut
 *   32*64+64 = 2,112; 2 x 36,928; dense 65.  Total 141,089.  Conditional:
 *   a projection 64 + 10*64 + 1 = 705 instead of the dense: 141,729.
 * Style2 G (no Keras twin): dense 128*128+128 = 16,512 four times =
 *   66,048; constant 7*7*64 = 3,136; modulated conv C -> F (3x3):
 *   9CF + F + 128C + C, noise F: 64 -> 64 45,184 + 64 three times =
 *   135,744, 64 -> 32 26,720 + 32, 32 -> 32 13,376 + 32; 1x1 32 -> 1
 *   32 + 1 + 4,096 + 32 = 4,161.  Total 249,249, all trainable.
 */
static const preset_spec presets[] = {
    {GAN_PRESET_DCGAN_CIFAR10_GENERATOR, "dcgan-cifar10-generator", 128, V(0, 128), cifar_g,
     sizeof cifar_g / sizeof cifar_g[0], 3838720, 3821440},
    {GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR, "dcgan-cifar10-discriminator", 0, I(0, 32, 32, 3),
     cifar_d, sizeof cifar_d / sizeof cifar_d[0], 662977, 662977},
    {GAN_PRESET_MNIST_GENERATOR, "mnist-generator", 100, V(0, 100), mnist_g,
     sizeof mnist_g / sizeof mnist_g[0], 2330944, 2305472},
    {GAN_PRESET_MNIST_DISCRIMINATOR, "mnist-discriminator", 0, I(0, 28, 28, 1), mnist_d,
     sizeof mnist_d / sizeof mnist_d[0], 212865, 212865},
    {GAN_PRESET_MNIST_NOTEBOOK_GENERATOR, "mnist-notebook-generator", 100, V(0, 100), notebook_g,
     sizeof notebook_g / sizeof notebook_g[0], 858944, 846272},
    {GAN_PRESET_WGAN_CRITIC, "wgan-critic", 0, I(0, 28, 28, 1), wgan_c,
     sizeof wgan_c / sizeof wgan_c[0], 212865, 212865},
    {GAN_PRESET_STYLE_GENERATOR, "style-generator", 100, V(0, 100), style_g,
     sizeof style_g / sizeof style_g[0], 546785, 546785},
    {GAN_PRESET_RESNET_GENERATOR, "resnet-generator", 128, V(0, 128), resnet_g,
     sizeof resnet_g / sizeof resnet_g[0], 513665, 513153},
    {GAN_PRESET_RESNET_DISCRIMINATOR, "resnet-discriminator", 0, I(0, 28, 28, 1), resnet_d,
     sizeof resnet_d / sizeof resnet_d[0], 141089, 141089},
    {GAN_PRESET_RESNET_CGAN_GENERATOR, "resnet-cgan-generator", 128, V(0, 128), resnet_cg,
     sizeof resnet_cg / sizeof resnet_cg[0], 518785, 518273},
    {GAN_PRESET_RESNET_CGAN_DISCRIMINATOR, "resnet-cgan-discriminator", 0, I(0, 28, 28, 1),
     resnet_cd, sizeof resnet_cd / sizeof resnet_cd[0], 141729, 141729},
    {GAN_PRESET_STYLE2_GENERATOR, "style2-generator", 128, V(0, 128), style2_g,
     sizeof style2_g / sizeof style2_g[0], 249249, 249249},
    {GAN_PRESET_STYLE2_WIDE_GENERATOR, "style2-wide-generator", 128, V(0, 128), style2w_g,
     sizeof style2w_g / sizeof style2w_g[0], 708929, 708929},
    {GAN_PRESET_RESNET_WIDE_GENERATOR, "resnet-wide-generator", 128, V(0, 128), resnet_wide_g,
     sizeof resnet_wide_g / sizeof resnet_wide_g[0], 1242369, 1241345},
    {GAN_PRESET_WGAN_CRITIC_MBSTD, "wgan-critic-mbstd", 0, I(0, 28, 28, 1), wgan_c_mbstd,
     sizeof wgan_c_mbstd / sizeof wgan_c_mbstd[0], 216065, 216065},
};
#define N_PRESETS (sizeof presets / sizeof presets[0])

static void expect_shape(const gan_model *m, int layer, const layer_spec *e)
{
    size_t nd = 0;
    int d[3];
    ck_assert_int_eq(gan_model_shape(m, layer, &nd, d), GAN_OK);
    ck_assert_msg((int)nd == e->ndim && d[0] == e->d0 && (nd == 1 || (d[1] == e->d1 && d[2] == e->d2)),
                  "layer %d: shape ndim %zu (%d,%d,%d), expected ndim %d (%d,%d,%d)", layer, nd,
                  d[0], d[1], d[2], e->ndim, e->d0, e->d1, e->d2);
}

START_TEST(test_preset_shapes_and_counts)
{
    const preset_spec *p = &presets[_i];
    gan_model *m = tu_preset(p->id);
    size_t total = 0, trainable = 0;
    gan_preset back;
    ck_assert_uint_eq(tu_layers(m), p->n_layers);
    expect_shape(m, -1, &p->input);
    for (size_t l = 0; l < p->n_layers; l++) {
        gan_layer_kind k;
        ck_assert_int_eq(gan_model_layer_kind(m, l, &k), GAN_OK);
        ck_assert_msg(k == p->layers[l].kind, "%s layer %zu: kind %d, expected %d", p->name, l,
                      (int)k, (int)p->layers[l].kind);
        expect_shape(m, (int)l, &p->layers[l]);
    }
    ck_assert_int_eq(gan_model_param_count(m, &total, &trainable), GAN_OK);
    ck_assert_msg(total == p->total && trainable == p->trainable,
                  "%s: %zu total / %zu trainable, Keras has %zu / %zu", p->name, total, trainable,
                  p->total, p->trainable);
    ck_assert_str_eq(gan_preset_name(p->id), p->name);
    ck_assert_int_eq(gan_preset_from_name(p->name, &back), GAN_OK);
    ck_assert_int_eq(back, p->id);
    ck_assert_int_eq(gan_preset_latent_dim(p->id), p->latent);
    gan_model_free(m);
}
END_TEST

START_TEST(test_preset_unknown)
{
    gan_model *m = (gan_model *)&m;
    gan_preset p;
    gan_clear_error();
    TU_ASSERT_ERROR(gan_model_create_preset(&m, (gan_preset)77), GAN_EINVAL, "77");
    ck_assert_ptr_null(m);
    TU_ASSERT_ERROR(gan_model_create_preset(NULL, GAN_PRESET_WGAN_CRITIC), GAN_EINVAL, "out");
    TU_ASSERT_ERROR(gan_preset_from_name("no-such-gan", &p), GAN_EINVAL, "no-such-gan");
    ck_assert_ptr_null(gan_preset_name((gan_preset)0));
    ck_assert_int_eq(gan_preset_latent_dim((gan_preset)0), 0);
    ck_assert_int_eq(gan_preset_latent_dim(GAN_PRESET_MNIST_DISCRIMINATOR), 0);
}
END_TEST

START_TEST(test_notebook_generator_mismatch)
{
    /* The verbatim notebook generator emits 14x14x1 = 196 values per sample,
       the discriminator wants 28x28x1 = 784: the mismatch is reported. */
    gan_model *g = tu_preset(GAN_PRESET_MNIST_NOTEBOOK_GENERATOR);
    gan_model *d = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    float z[2 * 100], logits[2];
    const float *img;
    size_t count = 0;
    tu_fill(z, 200, 1, -1, 1);
    ck_assert_int_eq(gan_model_forward(g, z, 200, 2, GAN_MODE_INFER, NULL, 0), GAN_OK);
    ck_assert_int_eq(gan_model_output(g, &img, &count), GAN_OK);
    ck_assert_uint_eq(count, 2 * 196);
    gan_clear_error();
    TU_ASSERT_ERROR(gan_model_forward(d, img, count, 2, GAN_MODE_INFER, logits, 2), GAN_ESHAPE,
                    "392", "1568");
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

START_TEST(test_preset_generator_discriminator_pair)
{
    /* MNIST: generator output feeds the discriminator; outputs are finite
       and tanh-bounded. */
    gan_model *g = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    gan_model *d = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    float z[2 * 100], logits[2], *img = tu_alloc(2 * 784);
    tu_fill(z, 200, 2, -1, 1);
    ck_assert_int_eq(gan_model_forward(g, z, 200, 2, GAN_MODE_TRAIN, img, 2 * 784), GAN_OK);
    for (int i = 0; i < 2 * 784; i++)
        ck_assert(img[i] >= -1.0f && img[i] <= 1.0f);
    ck_assert_double_gt(tu_max_abs(img, 2 * 784), 0.0);
    ck_assert_int_eq(gan_model_forward(d, img, 2 * 784, 2, GAN_MODE_INFER, logits, 2), GAN_OK);
    ck_assert(isfinite(logits[0]) && isfinite(logits[1]));
    free(img);
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

/* ---- misuse ----------------------------------------------------------------- */

START_TEST(test_null_handles)
{
    gan_dense_config dc = tu_dense_config(3);
    gan_conv2d_config cc = tu_conv_config(3, 3, 1, GAN_PADDING_SAME);
    float buf[4] = {0};
    const float *cp;
    size_t n;
    int dims[3] = {1, 1, 1};
    gan_layer_kind k;
    char s[8];

    gan_model_free(NULL); /* no-op */
    gan_clear_error();
    TU_ASSERT_ERROR(gan_model_create(NULL, 1, dims), GAN_EINVAL, "out");
#define NULL_MODEL(call) TU_ASSERT_ERROR((gan_clear_error(), call), GAN_EINVAL, "NULL")
    NULL_MODEL(gan_model_add_dense(NULL, &dc));
    NULL_MODEL(gan_model_add_conv2d(NULL, &cc));
    NULL_MODEL(gan_model_add_conv2d_transpose(NULL, &cc));
    NULL_MODEL(gan_model_add_batchnorm(NULL, NULL));
    NULL_MODEL(gan_model_add_leaky_relu(NULL, 0.3f));
    NULL_MODEL(gan_model_add_relu(NULL));
    NULL_MODEL(gan_model_add_tanh(NULL));
    NULL_MODEL(gan_model_add_sigmoid(NULL));
    NULL_MODEL(gan_model_add_dropout(NULL, 0.3f));
    NULL_MODEL(gan_model_add_reshape(NULL, 3, dims));
    NULL_MODEL(gan_model_add_flatten(NULL));
    NULL_MODEL(gan_model_init_params(NULL, 1));
    NULL_MODEL(gan_model_set_seed(NULL, 1));
    NULL_MODEL(gan_model_reserve(NULL, 4));
    NULL_MODEL(gan_model_forward(NULL, buf, 1, 1, GAN_MODE_INFER, NULL, 0));
    NULL_MODEL(gan_model_output(NULL, &cp, &n));
    NULL_MODEL(gan_model_backward(NULL, buf, 1, NULL, 0));
    NULL_MODEL(gan_model_zero_grad(NULL));
    NULL_MODEL(gan_model_set_trainable(NULL, -1, 0));
    NULL_MODEL(gan_model_layer_count(NULL, &n));
    NULL_MODEL(gan_model_layer_kind(NULL, 0, &k));
    NULL_MODEL(gan_model_shape(NULL, -1, &n, dims));
    NULL_MODEL(gan_model_param_count(NULL, &n, &n));
    NULL_MODEL(gan_model_layer_sizes(NULL, 0, &n, &n));
    NULL_MODEL(gan_model_get_params(NULL, 0, buf, 1));
    NULL_MODEL(gan_model_set_params(NULL, 0, buf, 1));
    NULL_MODEL(gan_model_get_grads(NULL, 0, buf, 1));
    NULL_MODEL(gan_model_get_state(NULL, 0, buf, 1));
    NULL_MODEL(gan_model_set_state(NULL, 0, buf, 1));
    NULL_MODEL(gan_model_summary(NULL, s, sizeof s, &n));
#undef NULL_MODEL
}
END_TEST

START_TEST(test_null_arguments)
{
    gan_model *m = tu_preset(GAN_PRESET_WGAN_CRITIC);
    float x[784] = {0}, y[1];
    size_t n;
    int d[3];
    gan_layer_kind k;
    gan_clear_error();
    TU_ASSERT_ERROR(gan_model_add_dense(m, NULL), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_model_add_conv2d(m, NULL), GAN_EINVAL, "NULL");
    TU_ASSERT_ERROR(gan_model_add_reshape(m, 3, NULL), GAN_EINVAL, "dims");
    TU_ASSERT_ERROR(gan_model_forward(m, NULL, 784, 1, GAN_MODE_INFER, y, 1), GAN_EINVAL, "x");
    ck_assert_int_eq(gan_model_forward(m, x, 784, 1, GAN_MODE_INFER, y, 1), GAN_OK);
    TU_ASSERT_ERROR(gan_model_backward(m, NULL, 1, NULL, 0), GAN_EINVAL, "dy");
    TU_ASSERT_ERROR(gan_model_output(m, NULL, &n), GAN_EINVAL, "y");
    TU_ASSERT_ERROR(gan_model_layer_count(m, NULL), GAN_EINVAL, "n");
    TU_ASSERT_ERROR(gan_model_layer_kind(m, 0, NULL), GAN_EINVAL, "kind");
    TU_ASSERT_ERROR(gan_model_shape(m, 0, NULL, d), GAN_EINVAL, "ndim");
    TU_ASSERT_ERROR(gan_model_shape(m, 0, &n, NULL), GAN_EINVAL, "dims");
    TU_ASSERT_ERROR(gan_model_get_params(m, 0, NULL, 1664), GAN_EINVAL, "dst");
    TU_ASSERT_ERROR(gan_model_set_params(m, 0, NULL, 1664), GAN_EINVAL, "src");
    TU_ASSERT_ERROR(gan_model_summary(m, NULL, 10, &n), GAN_EINVAL, "NULL");
    (void)k;
    gan_model_free(m);
}
END_TEST

START_TEST(test_wrong_type_handle)
{
    /* A struct of another type (its first uint32 is another magic) and one
       that looks freed. */
    struct {
        uint32_t magic;
        unsigned char rest[4096];
    } fake;
    gan_model *m = (gan_model *)(void *)&fake;
    float buf[4] = {0};
    size_t n;
    gan_dense_config dc = tu_dense_config(2);
    const uint32_t magics[] = {GAN__MAGIC_DATASET, GAN__MAGIC_OPTIMIZER, GAN__MAGIC_TRAINER,
                               0x12345678u};
    memset(&fake, 0xab, sizeof fake);
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        fake.magic = magics[i];
        gan_clear_error();
        TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_ESTATE, "gan_model");
        TU_ASSERT_ERROR(gan_model_forward(m, buf, 4, 1, GAN_MODE_INFER, NULL, 0), GAN_ESTATE,
                        "not a gan_model");
        TU_ASSERT_ERROR(gan_model_backward(m, buf, 4, NULL, 0), GAN_ESTATE, "not a gan_model");
        TU_ASSERT_ERROR(gan_model_layer_count(m, &n), GAN_ESTATE, "not a gan_model");
        TU_ASSERT_ERROR(gan_model_get_params(m, 0, buf, 4), GAN_ESTATE, "not a gan_model");
        TU_ASSERT_ERROR(gan_model_summary(m, NULL, 0, &n), GAN_ESTATE, "not a gan_model");
        gan_model_free(m); /* must ignore it */
        ck_assert_uint_eq(fake.magic, magics[i]);
    }
    fake.magic = GAN__MAGIC_DEAD;
    TU_ASSERT_ERROR(gan_model_zero_grad(m), GAN_ESTATE, "freed");
    TU_ASSERT_ERROR(gan_model_reserve(m, 2), GAN_ESTATE, "freed");
    gan_model_free(m);
}
END_TEST

START_TEST(test_impossible_shapes)
{
    gan_model *v = tu_model(1, 10, 0, 0), *im = tu_model(3, 4, 4, 2);
    gan_conv2d_config cc = tu_conv_config(3, 5, 1, GAN_PADDING_VALID);
    gan_dense_config dc = tu_dense_config(3);
    int bad[3] = {3, 3, 3}, ok[3] = {2, 5, 1};
    size_t before;

    gan_clear_error();
    /* conv on a vector */
    TU_ASSERT_ERROR(gan_model_add_conv2d(v, &cc), GAN_ESHAPE, "layer 0", "conv2d", "(10)");
    TU_ASSERT_ERROR(gan_model_add_conv2d_transpose(v, &cc), GAN_ESHAPE, "conv2d_transpose", "(10)");
    ck_assert_uint_eq(tu_layers(v), 0);
    /* dense on an image */
    TU_ASSERT_ERROR(gan_model_add_dense(im, &dc), GAN_ESHAPE, "layer 0", "dense", "(4, 4, 2)",
                    "flatten");
    /* valid kernel larger than the input */
    TU_ASSERT_ERROR(gan_model_add_conv2d(im, &cc), GAN_ESHAPE, "layer 0", "5x5", "valid",
                    "(4, 4, 2)");
    /* reshape with the wrong element count (27 vs 32) */
    TU_ASSERT_ERROR(gan_model_add_reshape(im, 3, bad), GAN_ESHAPE, "reshape", "27", "32");
    ck_assert_uint_eq(tu_layers(im), 0);
    /* ... also deeper in the model: the index names the failing layer. */
    ck_assert_int_eq(gan_model_add_dense(v, &dc), GAN_OK);
    ck_assert_int_eq(gan_model_add_relu(v), GAN_OK);
    before = tu_layers(v);
    TU_ASSERT_ERROR(gan_model_add_reshape(v, 3, ok), GAN_ESHAPE, "layer 2", "(3)", "(2, 5, 1)");
    ck_assert_uint_eq(tu_layers(v), before);
    /* The model still works after the refused additions. */
    {
        float x[10] = {1}, y[3];
        ck_assert_int_eq(gan_model_forward(v, x, 10, 1, GAN_MODE_INFER, y, 3), GAN_OK);
    }
    gan_model_free(v);
    gan_model_free(im);
}
END_TEST

START_TEST(test_invalid_settings)
{
    gan_model *m = tu_model(3, 8, 8, 2), *e = NULL;
    gan_conv2d_config cc;
    gan_dense_config dc = tu_dense_config(0);
    gan_batchnorm_config bc;
    int dims0[3] = {0, 4, 4}, dims_big[1] = {(1 << 24) + 1}, d3[3] = {2, 2, 2};
    gan_clear_error();
    TU_ASSERT_ERROR(gan_model_create(&e, 2, dims0), GAN_EINVAL, "ndim");
    ck_assert_ptr_null(e);
    TU_ASSERT_ERROR(gan_model_create(&e, 3, dims0), GAN_EINVAL, "dimension 0");
    TU_ASSERT_ERROR(gan_model_create(&e, 1, dims_big), GAN_EINVAL, "dimension 0");
    TU_ASSERT_ERROR(gan_model_create(&e, 1, NULL), GAN_EINVAL, "dims");
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "units");
    dc.units = -5;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "units", "-5");
    gan_model_free(m);
    m = tu_model(3, 8, 8, 2);
    cc = tu_conv_config(0, 3, 1, GAN_PADDING_SAME);
    TU_ASSERT_ERROR(gan_model_add_conv2d(m, &cc), GAN_EINVAL, "filters");
    cc = tu_conv_config(2, 0, 1, GAN_PADDING_SAME);
    TU_ASSERT_ERROR(gan_model_add_conv2d(m, &cc), GAN_EINVAL, "kernel");
    cc = tu_conv_config(2, 3, 0, GAN_PADDING_SAME);
    TU_ASSERT_ERROR(gan_model_add_conv2d_transpose(m, &cc), GAN_EINVAL, "stride");
    cc = tu_conv_config(2, 3, 1, (gan_padding)7);
    TU_ASSERT_ERROR(gan_model_add_conv2d(m, &cc), GAN_EINVAL, "padding");
    TU_ASSERT_ERROR(gan_model_add_leaky_relu(m, 1.0f), GAN_EINVAL, "alpha");
    TU_ASSERT_ERROR(gan_model_add_leaky_relu(m, -0.1f), GAN_EINVAL, "alpha");
    TU_ASSERT_ERROR(gan_model_add_leaky_relu(m, NAN), GAN_EINVAL, "alpha");
    TU_ASSERT_ERROR(gan_model_add_dropout(m, 1.0f), GAN_EINVAL, "rate");
    TU_ASSERT_ERROR(gan_model_add_dropout(m, -0.5f), GAN_EINVAL, "rate");
    TU_ASSERT_ERROR(gan_model_add_dropout(m, NAN), GAN_EINVAL, "rate");
    ck_assert_int_eq(GAN_BATCHNORM_CONFIG_INIT(&bc), GAN_OK);
    bc.momentum = 1.5f;
    TU_ASSERT_ERROR(gan_model_add_batchnorm(m, &bc), GAN_EINVAL, "momentum");
    bc.momentum = 0.9f;
    bc.epsilon = 0.0f;
    TU_ASSERT_ERROR(gan_model_add_batchnorm(m, &bc), GAN_EINVAL, "epsilon");
    TU_ASSERT_ERROR(gan_model_add_reshape(m, 2, d3), GAN_EINVAL, "ndim");
    TU_ASSERT_ERROR(gan_model_reserve(m, 0), GAN_EINVAL, "batch");
    ck_assert_uint_eq(tu_layers(m), 0);
    gan_model_free(m);
}
END_TEST

START_TEST(test_bad_config_struct_size)
{
    gan_model *m = tu_model(3, 8, 8, 2);
    gan_conv2d_config cc = tu_conv_config(2, 3, 1, GAN_PADDING_SAME);
    gan_batchnorm_config bc;
    gan_dense_config dc;
    gan_clear_error();
    cc.struct_size = 0;
    TU_ASSERT_ERROR(gan_model_add_conv2d(m, &cc), GAN_EINVAL, "struct_size", "_INIT");
    cc.struct_size = (uint32_t)sizeof cc + 4;
    TU_ASSERT_ERROR(gan_model_add_conv2d_transpose(m, &cc), GAN_EINVAL, "struct_size");
    ck_assert_int_eq(GAN_BATCHNORM_CONFIG_INIT(&bc), GAN_OK);
    bc.struct_size = 3;
    TU_ASSERT_ERROR(gan_model_add_batchnorm(m, &bc), GAN_EINVAL, "struct_size");
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
    dc = tu_dense_config(4);
    dc.struct_size = 1000;
    TU_ASSERT_ERROR(gan_model_add_dense(m, &dc), GAN_EINVAL, "struct_size");
    /* The init functions refuse sizes they do not know. */
    TU_ASSERT_ERROR(gan_dense_config_init(&dc, 3), GAN_EINVAL, "size");
    TU_ASSERT_ERROR(gan_dense_config_init(&dc, sizeof dc + 8), GAN_EINVAL, "size");
    TU_ASSERT_ERROR(gan_conv2d_config_init(&cc, 4), GAN_EINVAL, "size");
    TU_ASSERT_ERROR(gan_batchnorm_config_init(&bc, sizeof bc * 2), GAN_EINVAL, "size");
    TU_ASSERT_ERROR(gan_dense_config_init(NULL, sizeof dc), GAN_EINVAL, "cfg");
    TU_ASSERT_ERROR(gan_conv2d_config_init(NULL, sizeof cc), GAN_EINVAL, "cfg");
    TU_ASSERT_ERROR(gan_batchnorm_config_init(NULL, sizeof bc), GAN_EINVAL, "cfg");
    ck_assert_uint_eq(tu_layers(m), 1);
    gan_model_free(m);
}
END_TEST

START_TEST(test_wrong_counts)
{
    gan_model *m = tu_preset(GAN_PRESET_WGAN_CRITIC);
    float *x = tu_alloc(2 * 784 + 1), y[3], dy[3], *dx = tu_alloc(2 * 784 + 1);
    float *p = tu_alloc(204928 + 1);
    gan_clear_error();
    TU_ASSERT_ERROR(gan_model_forward(m, x, 2 * 784 - 1, 2, GAN_MODE_INFER, y, 2), GAN_ESHAPE,
                    "1567", "1568");
    TU_ASSERT_ERROR(gan_model_forward(m, x, 2 * 784, 2, GAN_MODE_INFER, y, 3), GAN_ESHAPE, "3",
                    "expected 2");
    TU_ASSERT_ERROR(gan_model_forward(m, x, 0, 0, GAN_MODE_INFER, y, 0), GAN_EINVAL, "batch");
    TU_ASSERT_ERROR(gan_model_forward(m, x, 784, 1, (gan_mode)3, y, 1), GAN_EINVAL, "mode");
    ck_assert_int_eq(gan_model_forward(m, x, 2 * 784, 2, GAN_MODE_TRAIN, y, 2), GAN_OK);
    TU_ASSERT_ERROR(gan_model_backward(m, dy, 3, NULL, 0), GAN_ESHAPE, "dy", "3", "expected 2");
    TU_ASSERT_ERROR(gan_model_backward(m, dy, 2, dx, 784), GAN_ESHAPE, "dx", "784", "1568");
    ck_assert_int_eq(gan_model_backward(m, dy, 2, dx, 2 * 784), GAN_OK);
    /* get/set with the wrong count name the layer and both counts. */
    TU_ASSERT_ERROR(gan_model_get_params(m, 2, p, 204927), GAN_ESHAPE, "layer 2", "conv2d",
                    "204928", "204927");
    TU_ASSERT_ERROR(gan_model_set_params(m, 2, p, 204929), GAN_ESHAPE, "layer 2", "204928");
    TU_ASSERT_ERROR(gan_model_get_grads(m, 5, p, 1), GAN_ESHAPE, "layer 5", "6273");
    TU_ASSERT_ERROR(gan_model_get_state(m, 0, p, 2), GAN_ESHAPE, "state");
    TU_ASSERT_ERROR(gan_model_set_state(m, 0, p, 1), GAN_ESHAPE, "state");
    TU_ASSERT_ERROR(gan_model_get_params(m, 6, p, 1), GAN_EINVAL, "layer 6", "out of range");
    /* Layer indices out of range. */
    {
        gan_layer_kind k;
        size_t nd, a;
        int d[3];
        TU_ASSERT_ERROR(gan_model_layer_kind(m, 6, &k), GAN_EINVAL, "out of range");
        TU_ASSERT_ERROR(gan_model_layer_sizes(m, 99, &a, &a), GAN_EINVAL, "out of range");
        TU_ASSERT_ERROR(gan_model_shape(m, 6, &nd, d), GAN_EINVAL, "out of range");
        TU_ASSERT_ERROR(gan_model_shape(m, -2, &nd, d), GAN_EINVAL, "out of range");
        TU_ASSERT_ERROR(gan_model_set_trainable(m, 6, 0), GAN_EINVAL, "out of range");
        TU_ASSERT_ERROR(gan_model_set_trainable(m, -2, 0), GAN_EINVAL, "out of range");
    }
    free(x);
    free(dx);
    free(p);
    gan_model_free(m);
}
END_TEST

START_TEST(test_call_order)
{
    gan_model *m = tu_model(1, 4, 0, 0);
    gan_dense_config dc = tu_dense_config(2);
    float x[4] = {1, 2, 3, 4}, y[2], dy[2] = {1, 1};
    const float *out;
    size_t n;
    gan_clear_error();
    /* No layers yet. */
    TU_ASSERT_ERROR(gan_model_forward(m, x, 4, 1, GAN_MODE_INFER, y, 2), GAN_ESTATE, "no layers");
    ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
    /* Backward and output before any forward. */
    TU_ASSERT_ERROR(gan_model_backward(m, dy, 2, NULL, 0), GAN_ESTATE, "forward");
    TU_ASSERT_ERROR(gan_model_output(m, &out, &n), GAN_ESTATE, "forward");
    ck_assert_int_eq(gan_model_forward(m, x, 4, 1, GAN_MODE_INFER, y, 2), GAN_OK);
    ck_assert_int_eq(gan_model_output(m, &out, &n), GAN_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert(memcmp(out, y, sizeof y) == 0);
    ck_assert_int_eq(gan_model_backward(m, dy, 2, NULL, 0), GAN_OK);
    /* Adding a layer invalidates the last forward. */
    ck_assert_int_eq(gan_model_add_relu(m), GAN_OK);
    TU_ASSERT_ERROR(gan_model_backward(m, dy, 2, NULL, 0), GAN_ESTATE, "forward");
    TU_ASSERT_ERROR(gan_model_output(m, &out, &n), GAN_ESTATE, "forward");
    /* A reserve that grows the buffers invalidates it too. */
    ck_assert_int_eq(gan_model_forward(m, x, 4, 1, GAN_MODE_INFER, y, 2), GAN_OK);
    ck_assert_int_eq(gan_model_reserve(m, 16), GAN_OK);
    TU_ASSERT_ERROR(gan_model_backward(m, dy, 2, NULL, 0), GAN_ESTATE, "forward");
    gan_model_free(m);
}
END_TEST

START_TEST(test_nonfinite_params)
{
    gan_model *m = tu_model(1, 3, 0, 0);
    gan_dense_config dc = tu_dense_config(2);
    float p[8], q[8], before[8], s[4];
    ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_get_params(m, 0, before, 8), GAN_OK);
    tu_fill(p, 8, 3, -1, 1);
    gan_clear_error();
    for (int bad = 0; bad < 3; bad++) {
        memcpy(q, p, sizeof q);
        q[5] = bad == 0 ? NAN : bad == 1 ? INFINITY : -INFINITY;
        TU_ASSERT_ERROR(gan_model_set_params(m, 0, q, 8), GAN_ENUMERIC, "layer 0", "NaN");
        ck_assert_int_eq(gan_model_get_params(m, 0, q, 8), GAN_OK);
        ck_assert_msg(memcmp(q, before, sizeof q) == 0, "rejected set_params changed the layer");
    }
    s[0] = 0; s[1] = NAN; s[2] = 1; s[3] = 1;
    TU_ASSERT_ERROR(gan_model_set_state(m, 1, s, 4), GAN_ENUMERIC, "layer 1");
    s[1] = 0; s[3] = -1;
    TU_ASSERT_ERROR(gan_model_set_state(m, 1, s, 4), GAN_EINVAL, "variance");
    ck_assert_int_eq(gan_model_get_state(m, 1, s, 4), GAN_OK);
    ck_assert(s[0] == 0 && s[1] == 0 && s[2] == 1 && s[3] == 1);
    gan_model_free(m);
}
END_TEST

START_TEST(test_allocator_refused_while_handles_alive)
{
    gan_model *m = tu_model(1, 2, 0, 0);
    gan_allocator a = {NULL, NULL, NULL, NULL};
    gan_clear_error();
    TU_ASSERT_ERROR(gan_set_allocator(NULL), GAN_ESTATE, "alive");
    gan_model_free(m);
    TU_ASSERT_ERROR(gan_set_allocator(&a), GAN_EINVAL, "malloc_fn");
    ck_assert_int_eq(gan_set_allocator(NULL), GAN_OK);
}
END_TEST

START_TEST(test_threads_setting)
{
    gan_clear_error();
    TU_ASSERT_ERROR(gan_set_threads(-1), GAN_EINVAL, "-1");
    TU_ASSERT_ERROR(gan_set_threads(1025), GAN_EINVAL, "1025");
    ck_assert_int_eq(gan_set_threads(3), GAN_OK);
    ck_assert_int_eq(gan_get_threads(), 3);
    ck_assert_int_eq(gan_set_threads(0), GAN_OK); /* one per core */
    ck_assert_int_ge(gan_get_threads(), 1);
    ck_assert_int_eq(gan_set_threads(1), GAN_OK);
    ck_assert_int_eq(gan_get_threads(), 1);
}
END_TEST

START_TEST(test_status_strings)
{
    static const gan_status all[] = {GAN_OK, GAN_DONE, GAN_ENOMEM, GAN_EINVAL, GAN_ESHAPE,
                                     GAN_ESTATE, GAN_EIO, GAN_EFORMAT, GAN_EVERSION,
                                     GAN_ENUMERIC, GAN_EUNSUPPORTED, GAN_EINTERNAL};
    static const char *const names[] = {"GAN_OK", "GAN_DONE", "GAN_ENOMEM", "GAN_EINVAL",
                                        "GAN_ESHAPE", "GAN_ESTATE", "GAN_EIO", "GAN_EFORMAT",
                                        "GAN_EVERSION", "GAN_ENUMERIC", "GAN_EUNSUPPORTED",
                                        "GAN_EINTERNAL"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ck_assert_ptr_nonnull(strstr(gan_status_str(all[i]), names[i]));
    ck_assert_str_eq(gan_status_str((gan_status)-99), "unknown status");
    gan_clear_error();
    ck_assert_str_eq(gan_last_error(), "");
}
END_TEST

/* ---- summary ----------------------------------------------------------------- */

START_TEST(test_summary)
{
    gan_model *d = tu_preset(GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR);
    gan_model *g = tu_preset(GAN_PRESET_DCGAN_CIFAR10_GENERATOR);
    size_t need = 0, need2 = 0;
    char *full, small[10];

    ck_assert_int_eq(gan_model_summary(d, NULL, 0, &need), GAN_OK);
    ck_assert_uint_gt(need, 100);
    full = malloc(need + 1);
    ck_assert_ptr_nonnull(full);
    ck_assert_int_eq(gan_model_summary(d, full, need + 1, &need2), GAN_OK);
    ck_assert_uint_eq(need2, need);
    ck_assert_uint_eq(strlen(full), need);
    ck_assert_ptr_nonnull(strstr(full, "conv2d"));
    ck_assert_ptr_nonnull(strstr(full, "leaky_relu"));
    ck_assert_ptr_nonnull(strstr(full, "dropout"));
    ck_assert_ptr_nonnull(strstr(full, "flatten"));
    ck_assert_ptr_nonnull(strstr(full, "dense"));
    ck_assert_ptr_nonnull(strstr(full, "(16, 16, 64)"));
    ck_assert_ptr_nonnull(strstr(full, "131,200"));
    ck_assert_ptr_nonnull(strstr(full, "Total params: 662,977"));
    ck_assert_ptr_nonnull(strstr(full, "Trainable params: 662,977"));
    ck_assert_ptr_nonnull(strstr(full, "Non-trainable params: 0"));

    /* Truncation: cap bytes including the NUL, a prefix of the full text. */
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(gan_model_summary(d, small, sizeof small, &need2), GAN_OK);
    ck_assert_uint_eq(need2, need);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert(strncmp(small, full, sizeof small - 1) == 0);
    /* cap 1: only the NUL. */
    small[0] = 'x';
    ck_assert_int_eq(gan_model_summary(d, small, 1, NULL), GAN_OK);
    ck_assert_int_eq(small[0], '\0');
    /* Exactly the length without room for the NUL: truncated by one. */
    ck_assert_int_eq(gan_model_summary(d, full, need, &need2), GAN_OK);
    ck_assert_uint_eq(strlen(full), need - 1);
    free(full);

    /* Generator: batchnorm state is non-trainable; frozen layers say so. */
    ck_assert_int_eq(gan_model_set_trainable(g, 0, 0), GAN_OK);
    ck_assert_int_eq(gan_model_summary(g, NULL, 0, &need), GAN_OK);
    full = malloc(need + 1);
    ck_assert_ptr_nonnull(full);
    ck_assert_int_eq(gan_model_summary(g, full, need + 1, NULL), GAN_OK);
    ck_assert_ptr_nonnull(strstr(full, "conv2d_transpose"));
    ck_assert_ptr_nonnull(strstr(full, "batchnorm"));
    ck_assert_ptr_nonnull(strstr(full, "reshape"));
    ck_assert_ptr_nonnull(strstr(full, "tanh"));
    ck_assert_ptr_nonnull(strstr(full, "(frozen)"));
    ck_assert_ptr_nonnull(strstr(full, "Total params: 3,838,720"));
    /* 3,821,440 - 1,048,576 frozen dense weights = 2,772,864 */
    ck_assert_ptr_nonnull(strstr(full, "Trainable params: 2,772,864"));
    ck_assert_ptr_nonnull(strstr(full, "Non-trainable params: 1,065,856"));
    free(full);
    gan_model_free(d);
    gan_model_free(g);
}
END_TEST

/* ---- parameters ------------------------------------------------------------------ */

/* Every kind has a stable, distinct name; the summary prints the same. */
START_TEST(test_layer_kind_names)
{
    const int n = gan_layer_kind_count();
    gan_model *d = NULL;
    char sum[4096];
    size_t layers;
    ck_assert_int_ge(n, GAN_LAYER_NOISE_INJECTION + 1);
    ck_assert_ptr_null(gan_layer_kind_name((gan_layer_kind)0));
    ck_assert_ptr_null(gan_layer_kind_name((gan_layer_kind)-1));
    ck_assert_ptr_null(gan_layer_kind_name((gan_layer_kind)n));
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_DENSE), "dense");
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_CONV2D_TRANSPOSE), "conv2d_transpose");
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_LEAKY_RELU), "leaky_relu");
    ck_assert_str_eq(gan_layer_kind_name(GAN_LAYER_NOISE_INJECTION), "noise_injection");
    for (int k = 1; k < n; k++) {
        const char *a = gan_layer_kind_name((gan_layer_kind)k);
        ck_assert_msg(a != NULL && a[0] != '\0', "kind %d has no name", k);
        ck_assert_msg(strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(a), "%s", a);
        for (int j = 1; j < k; j++)
            ck_assert_str_ne(a, gan_layer_kind_name((gan_layer_kind)j));
    }
    ck_assert_int_eq(gan_model_create_preset(&d, GAN_PRESET_MNIST_GENERATOR), GAN_OK);
    ck_assert_int_eq(gan_model_summary(d, sum, sizeof sum, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_layer_count(d, &layers), GAN_OK);
    for (size_t i = 0; i < layers; i++) {
        gan_layer_kind k;
        ck_assert_int_eq(gan_model_layer_kind(d, i, &k), GAN_OK);
        ck_assert_ptr_nonnull(strstr(sum, gan_layer_kind_name(k)));
    }
    gan_model_free(d);
}
END_TEST

START_TEST(test_params_round_trip)
{
    gan_model *m = tu_preset(GAN_PRESET_MNIST_NOTEBOOK_GENERATOR);
    size_t L = tu_layers(m);
    for (size_t l = 0; l < L; l++) {
        size_t np = 0, ns = 0;
        float *a, *b;
        ck_assert_int_eq(gan_model_layer_sizes(m, l, &np, &ns), GAN_OK);
        if (np) {
            a = tu_alloc(np);
            b = tu_alloc(np);
            tu_fill(a, np, 10 + l, -2, 2);
            ck_assert_int_eq(gan_model_set_params(m, l, a, np), GAN_OK);
            ck_assert_int_eq(gan_model_get_params(m, l, b, np), GAN_OK);
            ck_assert(memcmp(a, b, np * sizeof(float)) == 0);
            free(a);
            free(b);
        }
        if (ns) {
            a = tu_alloc(ns);
            b = tu_alloc(ns);
            tu_fill(a, ns, 20 + l, 0, 2);
            ck_assert_int_eq(gan_model_set_state(m, l, a, ns), GAN_OK);
            ck_assert_int_eq(gan_model_get_state(m, l, b, ns), GAN_OK);
            ck_assert(memcmp(a, b, ns * sizeof(float)) == 0);
            free(a);
            free(b);
        }
    }
    /* Layers without parameters accept count 0 and a NULL buffer. */
    ck_assert_int_eq(gan_model_get_params(m, 2, NULL, 0), GAN_OK);
    ck_assert_int_eq(gan_model_set_params(m, 2, NULL, 0), GAN_OK);
    gan_model_free(m);
}
END_TEST

static gan_model *build_mixed(int init_first, uint64_t seed)
{
    gan_model *m = tu_model(3, 6, 6, 2);
    gan_conv2d_config cc = tu_conv_config(4, 3, 2, GAN_PADDING_SAME);
    gan_dense_config dc = tu_dense_config(5);
    if (init_first)
        ck_assert_int_eq(gan_model_init_params(m, seed), GAN_OK);
    ck_assert_int_eq(gan_model_add_conv2d(m, &cc), GAN_OK);
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    ck_assert_int_eq(gan_model_add_leaky_relu(m, 0.3f), GAN_OK);
    ck_assert_int_eq(gan_model_add_conv2d_transpose(m, &cc), GAN_OK);
    ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
    ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
    if (!init_first)
        ck_assert_int_eq(gan_model_init_params(m, seed), GAN_OK);
    return m;
}

START_TEST(test_init_determinism)
{
    gan_model *a = build_mixed(0, 7), *b = build_mixed(0, 7), *c = build_mixed(1, 7);
    gan_model *d = build_mixed(0, 8), *p1 = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    gan_model *p2 = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    size_t na, nb, nc, nd;
    float *pa = tu_all_params(a, &na), *pb = tu_all_params(b, &nb), *pc = tu_all_params(c, &nc);
    float *pd = tu_all_params(d, &nd), *q1, *q2;
    ck_assert_uint_eq(na, nb);
    ck_assert_msg(memcmp(pa, pb, na * sizeof(float)) == 0, "same seed, different weights");
    ck_assert_msg(memcmp(pa, pc, na * sizeof(float)) == 0,
                  "init_params before adding layers gives other weights than after");
    /* A different seed changes every kernel (biases and BN stay 0/1). */
    ck_assert_msg(memcmp(pa, pd, 72 * sizeof(float)) != 0, "seed 8 gave seed 7's conv kernel");
    {
        size_t off = 0, diff = 0, kernels = 0;
        for (size_t l = 0; l < tu_layers(a); l++) {
            size_t n = tu_layer_params(a, l);
            gan_layer_kind k;
            ck_assert_int_eq(gan_model_layer_kind(a, l, &k), GAN_OK);
            if (k == GAN_LAYER_CONV2D || k == GAN_LAYER_CONV2D_TRANSPOSE || k == GAN_LAYER_DENSE) {
                kernels++;
                diff += memcmp(pa + off, pd + off, (n - (size_t)(k == GAN_LAYER_DENSE ? 5 : 4)) *
                               sizeof(float)) != 0;
            }
            off += n;
        }
        ck_assert_uint_eq(kernels, 3);
        ck_assert_uint_eq(diff, 3);
    }
    /* Re-initialising with the same seed restores the same weights, even
       after they were changed. */
    tu_randomize_params(a, 5, 1.0f);
    ck_assert_int_eq(gan_model_init_params(a, 7), GAN_OK);
    free(pa);
    pa = tu_all_params(a, &na);
    ck_assert(memcmp(pa, pb, na * sizeof(float)) == 0);
    /* Presets start from seed 0: two builds are identical, and equal to an
       explicit init_params(0). */
    q1 = tu_all_params(p1, &na);
    ck_assert_int_eq(gan_model_init_params(p2, 0), GAN_OK);
    q2 = tu_all_params(p2, &nb);
    ck_assert(memcmp(q1, q2, na * sizeof(float)) == 0);
    /* Different layers of one model do not share a stream: the second conv
       kernel does not start as a rescaled copy of the first. */
    {
        double ratio = q1[1664] / q1[0];
        int same = 0;
        for (int i = 0; i < 64; i++)
            same += fabs(q1[1664 + i] - ratio * q1[i]) < 1e-6;
        ck_assert_int_lt(same, 8);
    }
    free(pa);
    free(pb);
    free(pc);
    free(pd);
    free(q1);
    free(q2);
    gan_model_free(a);
    gan_model_free(b);
    gan_model_free(c);
    gan_model_free(d);
    gan_model_free(p1);
    gan_model_free(p2);
}
END_TEST

/* Glorot-uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)), Keras' fans:
   dense (in, out); conv rf*in_ch, rf*filters; transpose rf*filters, rf*in_ch. */
static void check_glorot(const gan_model *m, size_t layer, size_t n_kernel, double fan_in,
                         double fan_out, size_t n_bias)
{
    size_t np = tu_layer_params(m, layer);
    float *w = tu_alloc(np);
    double limit = sqrt(6.0 / (fan_in + fan_out)), mx = 0, sum = 0, sumabs = 0, sq = 0;
    ck_assert_uint_eq(np, n_kernel + n_bias);
    ck_assert_int_eq(gan_model_get_params(m, layer, w, np), GAN_OK);
    /* (Check assertions are not cheap: one per tensor, not per element.) */
    for (size_t i = 0; i < n_kernel; i++) {
        double v = w[i];
        mx = fmax(mx, fabs(v));
        sum += v;
        sumabs += fabs(v);
        sq += v * v;
    }
    ck_assert_msg(mx <= limit, "layer %zu: max |w| = %.9g > Glorot limit %.9g", layer, mx, limit);
    /* U(-l, l): mean 0, E|w| = l/2, E w^2 = l^2/3, max close to l. */
    ck_assert_msg(mx > 0.99 * limit, "layer %zu: max |w| %g is far below the limit %g", layer, mx,
                  limit);
    ck_assert_double_lt(fabs(sum / n_kernel), 0.05 * limit);
    ck_assert_double_lt(fabs(sumabs / n_kernel - limit / 2), 0.05 * limit);
    ck_assert_double_lt(fabs(sq / n_kernel - limit * limit / 3), 0.05 * limit * limit);
    ck_assert_double_eq(tu_max_abs(w + n_kernel, np - n_kernel), 0.0);
    free(w);
}

START_TEST(test_glorot_init)
{
    gan_model *g = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    gan_model *d = tu_preset(GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR);
    float bn[256], st[256];
    check_glorot(g, 0, 100 * 12544, 100, 12544, 0);
    check_glorot(g, 4, 25 * 128 * 256, 25 * 128, 25 * 256, 0);  /* transpose 256 -> 128 */
    check_glorot(g, 7, 25 * 64 * 128, 25 * 64, 25 * 128, 0);
    check_glorot(d, 0, 16 * 3 * 64, 16 * 3, 16 * 64, 64);
    check_glorot(d, 6, 16 * 128 * 256, 16 * 128, 16 * 256, 256);
    check_glorot(d, 10, 4096, 4096, 1, 1);
    /* batchnorm: gamma 1, beta 0, moving mean 0, moving variance 1 */
    ck_assert_int_eq(gan_model_get_params(g, 5, bn, 256), GAN_OK);
    ck_assert_int_eq(gan_model_get_state(g, 5, st, 256), GAN_OK);
    for (int i = 0; i < 128; i++) {
        ck_assert_float_eq(bn[i], 1.0f);
        ck_assert_float_eq(bn[128 + i], 0.0f);
        ck_assert_float_eq(st[i], 0.0f);
        ck_assert_float_eq(st[128 + i], 1.0f);
    }
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

/* ---- batchnorm statistics ---------------------------------------------------- */

START_TEST(test_batchnorm_running_stats)
{
    enum { B = 6, C = 3 };
    gan_model *m = tu_model(1, C, 0, 0);
    gan_batchnorm_config bc;
    float x[B * C], y[B * C], p[2 * C], s[2 * C], s2[2 * C];
    double mean[C], var[C];
    const double mom = 0.9, eps = 0.01;
    ck_assert_int_eq(GAN_BATCHNORM_CONFIG_INIT(&bc), GAN_OK);
    bc.momentum = (float)mom;
    bc.epsilon = (float)eps;
    ck_assert_int_eq(gan_model_add_batchnorm(m, &bc), GAN_OK);
    tu_fill(x, B * C, 1, -2, 3);
    tu_fill(p, C, 2, 0.5f, 2.0f);
    tu_fill(p + C, C, 3, -1, 1);
    ck_assert_int_eq(gan_model_set_params(m, 0, p, 2 * C), GAN_OK);
    for (int c = 0; c < C; c++) {
        double sm = 0, sv = 0;
        for (int b = 0; b < B; b++)
            sm += x[b * C + c];
        mean[c] = sm / B;
        for (int b = 0; b < B; b++)
            sv += (x[b * C + c] - mean[c]) * (x[b * C + c] - mean[c]);
        var[c] = sv / B; /* biased: used to normalise */
    }

    /* Training: normalise with the batch statistics. */
    ck_assert_int_eq(gan_model_forward(m, x, B * C, B, GAN_MODE_TRAIN, y, B * C), GAN_OK);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            double want = p[c] * (x[b * C + c] - mean[c]) / sqrt(var[c] + eps) + p[C + c];
            ck_assert_double_eq_tol(y[b * C + c], want, 1e-5 * (1 + fabs(want)));
        }
    /* Running statistics: m * old + (1 - m) * batch, the variance unbiased
       (B / (B - 1)) as TensorFlow's fused kernel and PyTorch. */
    ck_assert_int_eq(gan_model_get_state(m, 0, s, 2 * C), GAN_OK);
    for (int c = 0; c < C; c++) {
        ck_assert_double_eq_tol(s[c], mom * 0.0 + (1 - mom) * mean[c], 1e-6);
        ck_assert_double_eq_tol(s[C + c], mom * 1.0 + (1 - mom) * var[c] * B / (B - 1), 1e-6);
    }
    /* A second training step moves them again from there. */
    ck_assert_int_eq(gan_model_forward(m, x, B * C, B, GAN_MODE_TRAIN, y, B * C), GAN_OK);
    ck_assert_int_eq(gan_model_get_state(m, 0, s2, 2 * C), GAN_OK);
    for (int c = 0; c < C; c++) {
        ck_assert_double_eq_tol(s2[c], mom * s[c] + (1 - mom) * mean[c], 1e-6);
        ck_assert_double_eq_tol(s2[C + c], mom * s[C + c] + (1 - mom) * var[c] * B / (B - 1), 1e-6);
    }
    /* Inference: the running statistics, and they do not move. */
    ck_assert_int_eq(gan_model_forward(m, x, B * C, B, GAN_MODE_INFER, y, B * C), GAN_OK);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            double want = p[c] * (x[b * C + c] - s2[c]) / sqrt(s2[C + c] + eps) + p[C + c];
            ck_assert_double_eq_tol(y[b * C + c], want, 1e-5 * (1 + fabs(want)));
        }
    ck_assert_int_eq(gan_model_get_state(m, 0, s, 2 * C), GAN_OK);
    ck_assert(memcmp(s, s2, sizeof s) == 0);
    gan_model_free(m);
}
END_TEST

START_TEST(test_batchnorm_image_channels)
{
    /* On images the statistics run over batch, height and width per channel. */
    enum { B = 2, H = 3, W = 2, C = 2 };
    gan_model *m = tu_model(3, H, W, C);
    float x[B * H * W * C], y[B * H * W * C], s[2 * C];
    ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
    tu_fill(x, B * H * W * C, 4, -1, 1);
    for (int i = 0; i < B * H * W; i++)
        x[i * C + 1] = 10.0f + 3.0f * x[i * C + 1]; /* channel 1: mean ~10 */
    ck_assert_int_eq(gan_model_forward(m, x, sizeof x / sizeof x[0], B, GAN_MODE_TRAIN, y,
                                       sizeof y / sizeof y[0]), GAN_OK);
    for (int c = 0; c < C; c++) {
        double sm = 0, sq = 0, xm = 0;
        for (int i = 0; i < B * H * W; i++) {
            sm += y[i * C + c];
            sq += (double)y[i * C + c] * y[i * C + c];
            xm += x[i * C + c];
        }
        ck_assert_double_eq_tol(sm / (B * H * W), 0.0, 1e-5);
        ck_assert_double_lt(sq / (B * H * W), 1.0); /* var / (var + eps) */
        ck_assert_double_gt(sq / (B * H * W), 0.95);
        ck_assert_int_eq(gan_model_get_state(m, 0, s, 2 * C), GAN_OK);
        ck_assert_double_eq_tol(s[c], 0.01 * xm / (B * H * W), 1e-5);
    }
    gan_model_free(m);
}
END_TEST

/* ---- dropout ------------------------------------------------------------------ */

START_TEST(test_dropout)
{
    enum { N = 20000 };
    const float rate = 0.3f;
    const float scale = (float)(1.0 / (1.0 - (double)rate));
    gan_model *m = tu_model(1, N, 0, 0);
    float *x = tu_alloc(N), *y = tu_alloc(N), *y2 = tu_alloc(N), *dy = tu_alloc(N), *dx = tu_alloc(N);
    size_t zeros = 0, diff = 0, bad = 0;
    ck_assert_int_eq(gan_model_add_dropout(m, rate), GAN_OK);
    tu_fill_away(x, N, 5, 0.5f, 1.5f);
    /* Inference: identity. */
    ck_assert_int_eq(gan_model_forward(m, x, N, 1, GAN_MODE_INFER, y, N), GAN_OK);
    ck_assert(memcmp(x, y, N * sizeof(float)) == 0);
    tu_fill(dy, N, 6, -1, 1);
    ck_assert_int_eq(gan_model_backward(m, dy, N, dx, N), GAN_OK);
    ck_assert(memcmp(dx, dy, N * sizeof(float)) == 0);
    /* Training: about `rate` zeroed, the rest scaled by 1/(1-rate). */
    ck_assert_int_eq(gan_model_set_seed(m, 11), GAN_OK);
    ck_assert_int_eq(gan_model_forward(m, x, N, 1, GAN_MODE_TRAIN, y, N), GAN_OK);
    for (size_t i = 0; i < N; i++) {
        if (y[i] == 0.0f)
            zeros++;
        else if (!(fabsf(y[i] - x[i] * scale) <= 1e-6f * fabsf(y[i])))
            bad++;
    }
    ck_assert_msg(bad == 0, "%zu kept values are not x / (1 - rate)", bad);
    /* 4.5 standard deviations of a binomial(20000, 0.3) fraction. */
    ck_assert_msg(fabs((double)zeros / N - rate) < 0.015, "dropped %zu of %d", zeros, N);
    /* Backward applies the same mask and scale. */
    ck_assert_int_eq(gan_model_backward(m, dy, N, dx, N), GAN_OK);
    for (size_t i = 0; i < N; i++)
        if (!(fabsf(dx[i] - (y[i] == 0.0f ? 0.0f : dy[i] * scale)) <= 1e-6f))
            bad++;
    ck_assert_msg(bad == 0, "%zu gradients do not follow the forward mask", bad);
    /* Elements are dropped independently: neighbours (which share one 64-bit
       draw) are both dropped with probability rate^2 = 0.09, not 0.3. */
    {
        size_t both = 0;
        for (size_t i = 0; i + 1 < N; i += 2)
            both += y[i] == 0.0f && y[i + 1] == 0.0f;
        ck_assert_msg(fabs((double)both / (N / 2) - rate * rate) < 0.015,
                      "%zu of %d neighbour pairs both dropped", both, N / 2);
    }
    /* A new forward draws a new mask; the same seed redraws the same one. */
    ck_assert_int_eq(gan_model_forward(m, x, N, 1, GAN_MODE_TRAIN, y2, N), GAN_OK);
    for (size_t i = 0; i < N; i++)
        diff += (y[i] == 0.0f) != (y2[i] == 0.0f);
    ck_assert_uint_gt(diff, N / 10);
    ck_assert_int_eq(gan_model_set_seed(m, 11), GAN_OK);
    ck_assert_int_eq(gan_model_forward(m, x, N, 1, GAN_MODE_TRAIN, y2, N), GAN_OK);
    ck_assert(memcmp(y, y2, N * sizeof(float)) == 0);
    /* Batches: samples get independent masks. */
    {
        float *xb = tu_alloc(2 * N), *yb = tu_alloc(2 * N);
        memcpy(xb, x, N * sizeof(float));
        memcpy(xb + N, x, N * sizeof(float));
        ck_assert_int_eq(gan_model_forward(m, xb, 2 * N, 2, GAN_MODE_TRAIN, yb, 2 * N), GAN_OK);
        ck_assert(memcmp(yb, yb + N, N * sizeof(float)) != 0);
        free(xb);
        free(yb);
    }
    free(x);
    free(y);
    free(y2);
    free(dy);
    free(dx);
    gan_model_free(m);
}
END_TEST

/* ---- config structs (libgit2 structinit) ------------------------------------- */

START_TEST(test_structinit)
{
    gan_dense_config d;
    gan_conv2d_config c;
    gan_batchnorm_config b;
    memset(&d, 0xff, sizeof d);
    memset(&c, 0xff, sizeof c);
    memset(&b, 0xff, sizeof b);
    ck_assert_int_eq(GAN_DENSE_CONFIG_INIT(&d), GAN_OK);
    ck_assert_int_eq(GAN_CONV2D_CONFIG_INIT(&c), GAN_OK);
    ck_assert_int_eq(GAN_BATCHNORM_CONFIG_INIT(&b), GAN_OK);
    ck_assert_uint_eq(d.struct_size, sizeof d);
    ck_assert_uint_eq(c.struct_size, sizeof c);
    ck_assert_uint_eq(b.struct_size, sizeof b);
    /* Every other shipped config struct too (libgit2's structinit). */
    {
        gan_batch_config bt;
        gan_loss_config lc;
        gan_optimizer_config oc;
        gan_trainer_config tc;
        memset(&bt, 0xff, sizeof bt);
        memset(&lc, 0xff, sizeof lc);
        memset(&oc, 0xff, sizeof oc);
        memset(&tc, 0xff, sizeof tc);
        ck_assert_int_eq(GAN_BATCH_CONFIG_INIT(&bt), GAN_OK);
        ck_assert_int_eq(GAN_LOSS_CONFIG_INIT(&lc), GAN_OK);
        ck_assert_int_eq(GAN_OPTIMIZER_CONFIG_INIT(&oc), GAN_OK);
        ck_assert_int_eq(GAN_TRAINER_CONFIG_INIT(&tc), GAN_OK);
        ck_assert_uint_eq(bt.struct_size, sizeof bt);
        ck_assert_uint_eq(lc.struct_size, sizeof lc);
        ck_assert_uint_eq(oc.struct_size, sizeof oc);
        ck_assert_uint_eq(tc.struct_size, sizeof tc);
    }
    /* The documented defaults. */
    ck_assert_int_eq(d.units, 0);
    ck_assert_int_eq(d.use_bias, 1);
    ck_assert_int_eq(c.filters, 0);
    ck_assert_int_eq(c.kernel_h, 3);
    ck_assert_int_eq(c.kernel_w, 3);
    ck_assert_int_eq(c.stride_h, 1);
    ck_assert_int_eq(c.stride_w, 1);
    ck_assert_int_eq(c.padding, GAN_PADDING_VALID);
    ck_assert_int_eq(c.use_bias, 1);
    ck_assert_float_eq(b.momentum, 0.99f);
    ck_assert_float_eq(b.epsilon, 0.001f);
    /* NULL batchnorm config == defaults: same outputs as an explicit one. */
    {
        gan_model *m1 = tu_model(1, 2, 0, 0), *m2 = tu_model(1, 2, 0, 0);
        float x[6] = {1, 5, 2, 3, 7, -1}, y1[6], y2[6], s1[4], s2[4];
        ck_assert_int_eq(gan_model_add_batchnorm(m1, NULL), GAN_OK);
        ck_assert_int_eq(gan_model_add_batchnorm(m2, &b), GAN_OK);
        ck_assert_int_eq(gan_model_forward(m1, x, 6, 3, GAN_MODE_TRAIN, y1, 6), GAN_OK);
        ck_assert_int_eq(gan_model_forward(m2, x, 6, 3, GAN_MODE_TRAIN, y2, 6), GAN_OK);
        ck_assert(memcmp(y1, y2, sizeof y1) == 0);
        ck_assert_int_eq(gan_model_get_state(m1, 0, s1, 4), GAN_OK);
        ck_assert_int_eq(gan_model_get_state(m2, 0, s2, 4), GAN_OK);
        ck_assert(memcmp(s1, s2, sizeof s1) == 0);
        gan_model_free(m1);
        gan_model_free(m2);
    }
}
END_TEST

/* ---- allocation failures -------------------------------------------------------- */

/* A model with every layer kind. */
static gan_status build_all_kinds(gan_model **out)
{
    gan_model *m = NULL;
    int in[1] = {6}, shp[3] = {2, 2, 3};
    gan_dense_config dc;
    gan_conv2d_config cc;
    gan_status st;
    GAN_DENSE_CONFIG_INIT(&dc);
    GAN_CONV2D_CONFIG_INIT(&cc);
    *out = NULL;
    if ((st = gan_model_create(&m, 1, in)) != GAN_OK)
        return st;
    dc.units = 12;
    cc.filters = 4;
    cc.stride_h = cc.stride_w = 2;
    cc.padding = GAN_PADDING_SAME;
    if ((st = gan_model_add_dense(m, &dc)) != GAN_OK ||
        (st = gan_model_add_batchnorm(m, NULL)) != GAN_OK ||
        (st = gan_model_add_relu(m)) != GAN_OK ||
        (st = gan_model_add_reshape(m, 3, shp)) != GAN_OK ||
        (st = gan_model_add_conv2d_transpose(m, &cc)) != GAN_OK ||
        (st = gan_model_add_tanh(m)) != GAN_OK ||
        (st = gan_model_add_residual_begin(m)) != GAN_OK ||
        (st = gan_model_add_upsample(m, 2)) != GAN_OK ||
        (st = gan_model_add_avgpool(m, 2)) != GAN_OK ||
        (st = gan_model_add_residual_add(m, 1, 1)) != GAN_OK ||
        (st = gan_model_add_residual_begin(m)) != GAN_OK ||
        (st = gan_model_add_avgpool(m, 2)) != GAN_OK ||
        (st = gan_model_add_residual_conv(m, 1, 2, 1)) != GAN_OK ||
        (st = gan_model_add_upsample(m, 2)) != GAN_OK ||
        (st = gan_model_add_conv2d(m, &cc)) != GAN_OK ||
        (st = gan_model_add_leaky_relu(m, 0.3f)) != GAN_OK ||
        (st = gan_model_add_dropout(m, 0.3f)) != GAN_OK ||
        (st = gan_model_add_flatten(m)) != GAN_OK ||
        (st = gan_model_add_dense(m, &dc)) != GAN_OK ||
        (st = gan_model_add_sigmoid(m)) != GAN_OK) {
        gan_model_free(m);
        return st;
    }
    *out = m;
    return GAN_OK;
}

static void oom_sweep(int which, int persistent)
{
    tu_oom o;
    long k;
    int finished = 0;
    for (k = 0; k < 10000 && !finished; k++) {
        gan_model *m = NULL;
        gan_status st;
        size_t in_n, out_n, batch = 3;
        float *x, *y, *dy, *dx;
        tu_oom_install(&o);
        tu_oom_fail_after(&o, k, persistent);
        gan_clear_error();
        st = which == 0 ? gan_model_create_preset(&m, GAN_PRESET_MNIST_DISCRIMINATOR)
                        : build_all_kinds(&m);
        if (st != GAN_OK) {
            ck_assert_msg(st == GAN_ENOMEM, "k=%ld: build returned %s (%s)", k,
                          gan_status_str(st), gan_last_error());
            ck_assert_ptr_null(m);
            ck_assert_msg(gan_last_error()[0] != '\0', "k=%ld: ENOMEM without a message", k);
            ck_assert_msg(o.live == 0, "k=%ld: %ld blocks leaked by a failed build", k, o.live);
            tu_oom_uninstall();
            continue;
        }
        in_n = batch * tu_in_elems(m);
        out_n = batch * tu_out_elems(m);
        x = tu_alloc(in_n);
        y = tu_alloc(out_n);
        dy = tu_alloc(out_n);
        dx = tu_alloc(in_n);
        tu_fill(x, in_n, 1, -1, 1);
        tu_fill(dy, out_n, 2, -1, 1);
        st = gan_model_forward(m, x, in_n, batch, GAN_MODE_TRAIN, y, out_n);
        if (st != GAN_OK) {
            ck_assert_msg(st == GAN_ENOMEM, "k=%ld: forward returned %s (%s)", k,
                          gan_status_str(st), gan_last_error());
            ck_assert_msg(gan_last_error()[0] != '\0', "k=%ld: ENOMEM without a message", k);
            /* No forward happened: backward is refused, not undefined. */
            ck_assert_int_eq(gan_model_backward(m, dy, out_n, dx, in_n), GAN_ESTATE);
            /* The model stays usable once memory is back. */
            tu_oom_never(&o);
            st = gan_model_forward(m, x, in_n, batch, GAN_MODE_TRAIN, y, out_n);
            ck_assert_msg(st == GAN_OK, "k=%ld: model unusable after ENOMEM: %s", k,
                          gan_last_error());
        }
        st = gan_model_backward(m, dy, out_n, dx, in_n);
        ck_assert_msg(st == GAN_OK, "k=%ld: backward: %s", k, gan_last_error());
        ck_assert_int_eq(gan_model_forward(m, x, in_n, batch, GAN_MODE_INFER, y, out_n), GAN_OK);
        if (o.failures == 0)
            finished = 1; /* k is past the last allocation: everything ran */
        gan_model_free(m);
        ck_assert_msg(o.live == 0, "k=%ld: %ld blocks leaked", k, o.live);
        tu_oom_uninstall();
        free(x);
        free(y);
        free(dy);
        free(dx);
    }
    ck_assert_msg(finished, "the sweep never reached a run without failures");
    ck_assert_int_gt(k, 10); /* the sweep did inject failures */
}

START_TEST(test_oom_preset_transient) { oom_sweep(0, 0); }
END_TEST
START_TEST(test_oom_preset_persistent) { oom_sweep(0, 1); }
END_TEST
START_TEST(test_oom_all_kinds_transient) { oom_sweep(1, 0); }
END_TEST
START_TEST(test_oom_all_kinds_persistent) { oom_sweep(1, 1); }
END_TEST

START_TEST(test_oom_reserve_keeps_model)
{
    /* A failed reserve of a larger batch leaves the smaller buffers and the
       last forward intact. */
    tu_oom o;
    gan_model *m;
    float x[2 * 6], y[2 * 12], y2[2 * 12], dy[2 * 12];
    tu_oom_install(&o);
    ck_assert_int_eq(build_all_kinds(&m), GAN_OK);
    tu_fill(x, 12, 3, -1, 1);
    tu_fill(dy, 24, 4, -1, 1);
    ck_assert_int_eq(gan_model_forward(m, x, 12, 2, GAN_MODE_INFER, y, 24), GAN_OK);
    tu_oom_fail_after(&o, 0, 1);
    TU_ASSERT_ERROR(gan_model_reserve(m, 64), GAN_ENOMEM, "64");
    ck_assert_int_eq(gan_model_backward(m, dy, 24, NULL, 0), GAN_OK);
    ck_assert_int_eq(gan_model_forward(m, x, 12, 2, GAN_MODE_INFER, y2, 24), GAN_OK);
    ck_assert(memcmp(y, y2, sizeof y) == 0);
    tu_oom_never(&o);
    gan_model_free(m);
    ck_assert_int_eq(o.live, 0);
    tu_oom_uninstall();
}
END_TEST

START_TEST(test_oom_add_layer_keeps_model)
{
    /* Adding a layer when memory runs out at any of its allocations returns
       GAN_ENOMEM and leaves the model exactly as it was, and usable. */
    tu_oom o;
    gan_conv2d_config cc = tu_conv_config(3, 3, 1, GAN_PADDING_SAME);
    gan_dense_config dc = tu_dense_config(7);
    int dims[3] = {6, 6, 2};
    tu_oom_install(&o);
    for (int kind = 0; kind < 4; kind++) {
        for (long k = 0; k < 50; k++) {
            gan_model *m = NULL;
            size_t n0, n1, np0, np1;
            float *p0, *p1, x[72], y0[7 * 1], y1[7];
            gan_status st;
            tu_oom_never(&o);
            ck_assert_int_eq(gan_model_create(&m, 3, dims), GAN_OK);
            ck_assert_int_eq(gan_model_add_conv2d(m, &cc), GAN_OK);
            ck_assert_int_eq(gan_model_add_batchnorm(m, NULL), GAN_OK);
            ck_assert_int_eq(gan_model_add_flatten(m), GAN_OK);
            ck_assert_int_eq(gan_model_add_dense(m, &dc), GAN_OK);
            tu_fill(x, 72, 7, -1, 1);
            ck_assert_int_eq(gan_model_forward(m, x, 72, 1, GAN_MODE_INFER, y0, 7), GAN_OK);
            n0 = tu_layers(m);
            p0 = tu_all_params(m, &np0);
            tu_oom_fail_after(&o, k, 0);
            st = kind == 0 ? gan_model_add_dense(m, &dc)
               : kind == 1 ? gan_model_add_batchnorm(m, NULL)
               : kind == 2 ? gan_model_add_relu(m)
               : gan_model_add_dropout(m, 0.5f);
            tu_oom_never(&o);
            if (o.failures == 0) {
                ck_assert_int_eq(st, GAN_OK);
                free(p0);
                gan_model_free(m);
                break;
            }
            ck_assert_msg(st == GAN_ENOMEM, "kind %d k=%ld: %s", kind, k, gan_status_str(st));
            n1 = tu_layers(m);
            p1 = tu_all_params(m, &np1);
            ck_assert_uint_eq(n1, n0);
            ck_assert_uint_eq(np1, np0);
            ck_assert(memcmp(p0, p1, np0 * sizeof(float)) == 0);
            ck_assert_int_eq(gan_model_forward(m, x, 72, 1, GAN_MODE_INFER, y1, 7), GAN_OK);
            ck_assert(memcmp(y0, y1, sizeof y1) == 0);
            free(p0);
            free(p1);
            gan_model_free(m);
            ck_assert_int_eq(o.live, 0);
        }
    }
    ck_assert_int_eq(o.live, 0);
    tu_oom_uninstall();
}
END_TEST

/* ---- errors are per thread and sticky ---------------------------------------- */

static void *thread_error(void *arg)
{
    char *out = arg;
    /* A fresh thread has no message; its own failure does not touch the
       main thread's. */
    strcpy(out, gan_last_error());
    (void)gan_model_zero_grad(NULL);
    strcat(out, "|");
    strcat(out, gan_last_error());
    return NULL;
}

START_TEST(test_error_per_thread_and_sticky)
{
    gan_model *m = tu_model(1, 3, 0, 0);
    char other[1200] = "";
    pthread_t t;
    char saved[600];
    size_t n;
    gan_clear_error();
    TU_ASSERT_ERROR(gan_model_layer_kind(m, 5, NULL), GAN_EINVAL, "kind");
    strcpy(saved, gan_last_error());
    /* Successful calls leave the message alone. */
    ck_assert_int_eq(gan_model_layer_count(m, &n), GAN_OK);
    ck_assert_int_eq(gan_model_add_relu(m), GAN_OK);
    ck_assert_str_eq(gan_last_error(), saved);
    ck_assert_int_eq(pthread_create(&t, NULL, thread_error, other), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(other[0] == '|' && strstr(other, "NULL") != NULL, "other thread saw '%s'", other);
    ck_assert_str_eq(gan_last_error(), saved);
    gan_clear_error();
    ck_assert_str_eq(gan_last_error(), "");
    gan_model_free(m);
}
END_TEST

/* ---- determinism --------------------------------------------------------------- */

static void run_pair(gan_model *g, gan_model *d, float **out_img, float **out_logit,
                     float **out_dz, float **out_gg, float **out_dg, size_t *ng, size_t *nd)
{
    const size_t B = 3;
    float z[3 * 100], *img = tu_alloc(B * 784), *logit = tu_alloc(B), dlog[3] = {0.5f, -1, 0.25f};
    float *dimg = tu_alloc(B * 784), *dz = tu_alloc(B * 100);
    tu_fill(z, B * 100, 9, -1, 1);
    ck_assert_int_eq(gan_model_set_seed(g, 3), GAN_OK);
    ck_assert_int_eq(gan_model_set_seed(d, 4), GAN_OK);
    ck_assert_int_eq(gan_model_forward(g, z, B * 100, B, GAN_MODE_TRAIN, img, B * 784), GAN_OK);
    ck_assert_int_eq(gan_model_forward(d, img, B * 784, B, GAN_MODE_TRAIN, logit, B), GAN_OK);
    ck_assert_int_eq(gan_model_backward(d, dlog, B, dimg, B * 784), GAN_OK);
    ck_assert_int_eq(gan_model_backward(g, dimg, B * 784, dz, B * 100), GAN_OK);
    *out_img = img;
    *out_logit = logit;
    *out_dz = dz;
    *out_gg = tu_all_grads(g, ng);
    *out_dg = tu_all_grads(d, nd);
    free(dimg);
}

START_TEST(test_determinism)
{
    gan_model *g1 = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    gan_model *g2 = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    gan_model *d1 = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    gan_model *d2 = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    float *i1, *l1, *z1, *gg1, *dg1, *i2, *l2, *z2, *gg2, *dg2;
    size_t ng1, nd1, ng2, nd2;
    ck_assert_int_eq(gan_model_init_params(g1, 42), GAN_OK);
    ck_assert_int_eq(gan_model_init_params(g2, 42), GAN_OK);
    ck_assert_int_eq(gan_model_init_params(d1, 43), GAN_OK);
    ck_assert_int_eq(gan_model_init_params(d2, 43), GAN_OK);
    /* Different buffer histories must not matter: reserve one pair larger. */
    ck_assert_int_eq(gan_model_reserve(g2, 8), GAN_OK);
    ck_assert_int_eq(gan_model_reserve(d2, 8), GAN_OK);
    run_pair(g1, d1, &i1, &l1, &z1, &gg1, &dg1, &ng1, &nd1);
    run_pair(g2, d2, &i2, &l2, &z2, &gg2, &dg2, &ng2, &nd2);
    ck_assert(memcmp(i1, i2, 3 * 784 * sizeof(float)) == 0);
    ck_assert(memcmp(l1, l2, 3 * sizeof(float)) == 0);
    ck_assert(memcmp(z1, z2, 3 * 100 * sizeof(float)) == 0);
    ck_assert_uint_eq(ng1, ng2);
    ck_assert_uint_eq(nd1, nd2);
    ck_assert(memcmp(gg1, gg2, ng1 * sizeof(float)) == 0);
    ck_assert(memcmp(dg1, dg2, nd1 * sizeof(float)) == 0);
    ck_assert_double_gt(tu_max_abs(gg1, ng1), 0.0);
    ck_assert_double_gt(tu_max_abs(z1, 300), 0.0);
    free(i1); free(l1); free(z1); free(gg1); free(dg1);
    free(i2); free(l2); free(z2); free(gg2); free(dg2);
    gan_model_free(g1);
    gan_model_free(g2);
    gan_model_free(d1);
    gan_model_free(d2);
}
END_TEST

START_TEST(test_determinism_threads)
{
    /* With two BLAS threads, repeated runs are still bit-identical. */
    gan_model *g = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    gan_model *d = tu_preset(GAN_PRESET_MNIST_DISCRIMINATOR);
    float *i1, *l1, *z1, *gg1, *dg1, *i2, *l2, *z2, *gg2, *dg2;
    size_t ng, nd;
    ck_assert_int_eq(gan_set_threads(2), GAN_OK);
    ck_assert_int_eq(gan_get_threads(), 2);
    run_pair(g, d, &i1, &l1, &z1, &gg1, &dg1, &ng, &nd);
    ck_assert_int_eq(gan_model_zero_grad(g), GAN_OK);
    ck_assert_int_eq(gan_model_zero_grad(d), GAN_OK);
    run_pair(g, d, &i2, &l2, &z2, &gg2, &dg2, &ng, &nd);
    ck_assert(memcmp(i1, i2, 3 * 784 * sizeof(float)) == 0);
    ck_assert(memcmp(z1, z2, 3 * 100 * sizeof(float)) == 0);
    ck_assert(memcmp(gg1, gg2, ng * sizeof(float)) == 0);
    ck_assert(memcmp(dg1, dg2, nd * sizeof(float)) == 0);
    free(i1); free(l1); free(z1); free(gg1); free(dg1);
    free(i2); free(l2); free(z2); free(gg2); free(dg2);
    ck_assert_int_eq(gan_set_threads(1), GAN_OK);
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

START_TEST(test_cifar_forward_backward)
{
    /* The big seed pair once, at batch 2: finite outputs of the right size,
       non-zero gradients everywhere that should have them. */
    gan_model *g = tu_preset(GAN_PRESET_DCGAN_CIFAR10_GENERATOR);
    gan_model *d = tu_preset(GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR);
    const size_t B = 2, img_n = B * 32 * 32 * 3;
    float z[2 * 128], logit[2], dl[2] = {1, -1}, *img = tu_alloc(img_n), *dimg = tu_alloc(img_n);
    float dz[2 * 128];
    tu_fill(z, 256, 12, -1, 1);
    ck_assert_int_eq(gan_model_forward(g, z, 256, B, GAN_MODE_TRAIN, img, img_n), GAN_OK);
    ck_assert_int_eq(gan_model_forward(d, img, img_n, B, GAN_MODE_TRAIN, logit, B), GAN_OK);
    ck_assert(isfinite(logit[0]) && isfinite(logit[1]));
    ck_assert_int_eq(gan_model_backward(d, dl, B, dimg, img_n), GAN_OK);
    ck_assert_int_eq(gan_model_backward(g, dimg, img_n, dz, 256), GAN_OK);
    for (size_t l = 0; l < tu_layers(g); l++) {
        size_t n = tu_layer_params(g, l);
        float *gr;
        if (!n)
            continue;
        gr = tu_alloc(n);
        ck_assert_int_eq(gan_model_get_grads(g, l, gr, n), GAN_OK);
        ck_assert_msg(tu_max_abs(gr, n) > 0.0 && isfinite(tu_max_abs(gr, n)),
                      "generator layer %zu: gradient %g", l, tu_max_abs(gr, n));
        free(gr);
    }
    ck_assert_double_gt(tu_max_abs(dz, 256), 0.0);
    free(img);
    free(dimg);
    gan_model_free(g);
    gan_model_free(d);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *t = tcase_create("presets");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, test_preset_shapes_and_counts, 0, (int)N_PRESETS);
    tcase_add_test(t, test_preset_unknown);
    tcase_add_test(t, test_notebook_generator_mismatch);
    tcase_add_test(t, test_preset_generator_discriminator_pair);
    tcase_add_test(t, test_cifar_forward_backward);
    suite_add_tcase(s, t);

    t = tcase_create("misuse");
    tcase_add_test(t, test_null_handles);
    tcase_add_test(t, test_null_arguments);
    tcase_add_test(t, test_wrong_type_handle);
    tcase_add_test(t, test_impossible_shapes);
    tcase_add_test(t, test_invalid_settings);
    tcase_add_test(t, test_bad_config_struct_size);
    tcase_add_test(t, test_wrong_counts);
    tcase_add_test(t, test_call_order);
    tcase_add_test(t, test_nonfinite_params);
    tcase_add_test(t, test_allocator_refused_while_handles_alive);
    tcase_add_test(t, test_status_strings);
    tcase_add_test(t, test_threads_setting);
    suite_add_tcase(s, t);

    t = tcase_create("api");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_summary);
    tcase_add_test(t, test_layer_kind_names);
    tcase_add_test(t, test_params_round_trip);
    tcase_add_test(t, test_init_determinism);
    tcase_add_test(t, test_glorot_init);
    tcase_add_test(t, test_batchnorm_running_stats);
    tcase_add_test(t, test_batchnorm_image_channels);
    tcase_add_test(t, test_dropout);
    tcase_add_test(t, test_structinit);
    tcase_add_test(t, test_determinism);
    tcase_add_test(t, test_determinism_threads);
    tcase_add_test(t, test_error_per_thread_and_sticky);
    suite_add_tcase(s, t);

    t = tcase_create("oom");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_oom_preset_transient);
    tcase_add_test(t, test_oom_preset_persistent);
    tcase_add_test(t, test_oom_all_kinds_transient);
    tcase_add_test(t, test_oom_all_kinds_persistent);
    tcase_add_test(t, test_oom_reserve_keeps_model);
    tcase_add_test(t, test_oom_add_layer_keeps_model);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run_suite(model_suite());
}
