/*
 * blocks.h -- the units networks are stacked from (Dense + BN + LReLU +
 * Reshape, a residual up-sampling block, a modulated convolution ...),
 * shared by the presets (presets.c: fixed tables) and the families
 * (family.c: tables computed for an image size).  One block adds its
 * layers with the public builder calls, so a family built with the same
 * blocks as a preset is that preset, layer for layer.
 */
#ifndef GAN_NN_BLOCKS_H
#define GAN_NN_BLOCKS_H

#include "nn/nn.h"

typedef enum gan__block_kind {
    GAN__BLOCK_END,
    GAN__BLOCK_EMBED,       /* class embedding: classes x n, concatenated */
    GAN__BLOCK_PROJECT,     /* Dense h*w*c (no bias), BN, LReLU 0.3, Reshape h x w x c */
    GAN__BLOCK_UP,          /* Conv2DTranspose (no bias), BN, LReLU 0.3 */
    GAN__BLOCK_UP_TANH,     /* Conv2DTranspose (no bias), tanh: the image */
    GAN__BLOCK_DOWN,        /* Conv2D, LReLU 0.3, Dropout when rate > 0 */
    GAN__BLOCK_LOGIT,       /* Flatten, Dense 1 */
    GAN__BLOCK_MBSTD,       /* minibatch standard deviation: one channel more */
    GAN__BLOCK_CLASS_HEAD,  /* Flatten, minibatch discrimination, class
                               projection over `classes` (with the auxiliary
                               classifier's logits when aux) */
    GAN__BLOCK_MAPPING,     /* Dense n, LReLU 0.2: a layer of the style mapping network */
    GAN__BLOCK_STYLE_INPUT, /* the learned constant h x w x c, AdaIN */
    GAN__BLOCK_STYLE,       /* Conv2D (no bias: the AdaIN after it removes any
                               per-channel shift), LReLU 0.2, AdaIN */
    GAN__BLOCK_STYLE_UP,    /* the same with Conv2DTranspose */
    GAN__BLOCK_CONV_TANH,   /* Conv2D, tanh: the image */
    /* SN-ResNet (Miyato et al. 2018, the CIFAR-10 networks of their code
       scaled down): 3x3 convolutions with bias, same padding.  `classes`
       > 0 in RES_UP and RES_OUT: each batchnorm is followed by a
       class_affine over that many classes (class-conditional batchnorm). */
    GAN__BLOCK_RES_PROJECT, /* Dense h*w*c (bias), Reshape h x w x c */
    GAN__BLOCK_RES_UP,      /* residual: BN, ReLU, up x2, Conv 3x3 n, BN, ReLU,
                               Conv 3x3 n; shortcut up x2 + 1x1 conv */
    GAN__BLOCK_RES_OUT,     /* BN, ReLU, Conv 3x3 n, tanh: the image */
    GAN__BLOCK_RES_DOWN1,   /* the first block of D: Conv 3x3 n, ReLU, Conv 3x3 n,
                               avgpool 2; shortcut avgpool 2 + 1x1 conv */
    GAN__BLOCK_RES_DOWN,    /* ReLU, Conv 3x3 n, ReLU, Conv 3x3 n, avgpool 2;
                               shortcut avgpool 2 + 1x1 conv */
    GAN__BLOCK_RES_SAME,    /* ReLU, Conv 3x3 n, ReLU, Conv 3x3 n; identity
                               shortcut, or a 1x1 conv when s == 1 (the input
                               has another channel count than n) */
    GAN__BLOCK_RES_HEAD,    /* ReLU, global average pool (avgpool by k), Flatten,
                               Dense 1, or the class projection over
                               `classes` when classes > 0 (with the auxiliary
                               classifier's logits when aux) */
    /* StyleGAN2-lite (Karras et al. 2020): equalised learning rate
       everywhere, lr x 0.01 on the mapping network. */
    GAN__BLOCK_MAPPING_EQ,  /* Dense n (equalised, lr x 0.01, gain sqrt 2), LReLU 0.2 */
    GAN__BLOCK_STYLE2_INPUT, /* the learned constant h x w x c (no AdaIN) */
    GAN__BLOCK_MOD,         /* modulated conv k x k n (demodulated), noise,
                               LReLU 0.2; up-sampled x2 first when s == 2 */
    GAN__BLOCK_TO_IMAGE     /* modulated conv 1x1 n (not demodulated), tanh */
} gan__block_kind;

/* Every convolution of a block has same padding and square kernels and
   strides: n filters of k x k, stride s. */
typedef struct gan__block {
    gan__block_kind kind;
    int n, k, s;       /* filters or units; kernel; stride */
    int dims[3];       /* PROJECT, RES_PROJECT, STYLE(2)_INPUT: h, w, c */
    float rate;        /* DOWN: dropout, 0: none */
    int classes;       /* the class layers' count (see the kinds) */
    int aux;           /* CLASS_HEAD, RES_HEAD: AC-GAN's class logits too */
} gan__block;

/* Append the layers of one block to m; the first failing builder call's
   status (its message set). */
gan_status gan__block_add(gan_model *m, const gan__block *b);

/* Append blocks up to the GAN__BLOCK_END one. */
gan_status gan__blocks_add(gan_model *m, const gan__block *blocks);

#endif /* GAN_NN_BLOCKS_H */
