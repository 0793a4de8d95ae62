/*
 * layer_table.c -- stable layer-kind ids to their ops, and the kinds'
 * public names.
 *
 * The ids are the public gan_layer_kind values: append-only, stored in
 * model files, never positions.  Each kind's file in nn/layers/ defines
 * its gan__layer_ops; this table is the only list of them (adding a kind:
 * docs/layers.md).
 */
#include <stdio.h>

#include "nn/nn.h"

/* One line per kind: its public id and the ops its file defines. */
#define GAN__LAYER_TABLE(X)                                             \
    X(GAN_LAYER_DENSE, gan__dense_ops)                                  \
    X(GAN_LAYER_CONV2D, gan__conv2d_ops)                                \
    X(GAN_LAYER_CONV2D_TRANSPOSE, gan__conv2d_transpose_ops)            \
    X(GAN_LAYER_BATCHNORM, gan__batchnorm_ops)                          \
    X(GAN_LAYER_LEAKY_RELU, gan__leaky_relu_ops)                        \
    X(GAN_LAYER_RELU, gan__relu_ops)                                    \
    X(GAN_LAYER_TANH, gan__tanh_ops)                                    \
    X(GAN_LAYER_SIGMOID, gan__sigmoid_ops)                              \
    X(GAN_LAYER_DROPOUT, gan__dropout_ops)                              \
    X(GAN_LAYER_RESHAPE, gan__reshape_ops)                              \
    X(GAN_LAYER_FLATTEN, gan__flatten_ops)                              \
    X(GAN_LAYER_MINIBATCH_STDDEV, gan__minibatch_stddev_ops)            \
    X(GAN_LAYER_MINIBATCH_DISCRIMINATION, gan__minibatch_discrimination_ops) \
    X(GAN_LAYER_CLASS_EMBEDDING, gan__class_embedding_ops)              \
    X(GAN_LAYER_CLASS_PROJECTION, gan__class_projection_ops)            \
    X(GAN_LAYER_STYLE_INPUT, gan__style_input_ops)                      \
    X(GAN_LAYER_ADAIN, gan__adain_ops)                                  \
    X(GAN_LAYER_NOISE_INJECTION, gan__noise_injection_ops)              \
    X(GAN_LAYER_UPSAMPLE, gan__upsample_ops)                            \
    X(GAN_LAYER_RESIDUAL_BEGIN, gan__residual_begin_ops)                \
    X(GAN_LAYER_RESIDUAL_ADD, gan__residual_add_ops)                    \
    X(GAN_LAYER_RESIDUAL_CONV, gan__residual_conv_ops)                  \
    X(GAN_LAYER_AVGPOOL, gan__avgpool_ops)                              \
    X(GAN_LAYER_CLASS_AFFINE, gan__class_affine_ops)                    \
    X(GAN_LAYER_MODULATED_CONV2D, gan__modconv_ops)                     \
    X(GAN_LAYER_CLASS_PROJECTION_AUX, gan__class_projection_aux_ops)    \
    /* a new kind: one line above this one */

#define GAN__DECLARE(id, ops) extern const gan__layer_ops ops;
#define GAN__ENTRY(id, ops) [id] = &ops,
GAN__LAYER_TABLE(GAN__DECLARE)

/* Sized by the largest id; ids without a kind (0, retired ones) are NULL. */
static const gan__layer_ops *const gan__layers[] = { GAN__LAYER_TABLE(GAN__ENTRY) };
#define GAN__LAYER_KINDS ((int)(sizeof gan__layers / sizeof gan__layers[0]))

const gan__layer_ops *gan__layer_ops_for(gan_layer_kind kind)
{
    if ((int)kind <= 0 || (int)kind >= GAN__LAYER_KINDS)
        return NULL;
    return gan__layers[kind];
}

int gan__layer_kind_end(void)
{
    return GAN__LAYER_KINDS;
}

const char *gan_layer_kind_name(gan_layer_kind kind)
{
    const gan__layer_ops *ops = gan__layer_ops_for(kind);
    return ops ? ops->name : NULL;
}

int gan_layer_kind_count(void)
{
    return GAN__LAYER_KINDS;
}

const char *gan__layer_kinds_where(int (*has)(const gan__layer_ops *ops), char *buf, size_t cap)
{
    size_t len = 0, n = 0, total = 0;
    int k;
    for (k = 1; k < GAN__LAYER_KINDS; k++)
        if (gan__layers[k] && has(gan__layers[k]))
            total++;
    if (cap)
        buf[0] = '\0';
    for (k = 1; k < GAN__LAYER_KINDS && len < cap; k++) {
        int w;
        if (!gan__layers[k] || !has(gan__layers[k]))
            continue;
        n++;
        w = snprintf(buf + len, cap - len, "%s%s", n == 1 ? "" : n == total ? " and " : ", ",
                     gan__layers[k]->name);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}
