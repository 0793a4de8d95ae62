/*
 * layer_table.c -- stable layer-kind ids to their ops.
 *
 * The ids are the public gan_layer_kind values: append-only, stored in
 * checkpoints, never positions.
 */
#include "nn/nn.h"

#define GAN__LAYER_KINDS 19 /* one past the largest gan_layer_kind */

static const gan__layer_ops *const gan__layers[GAN__LAYER_KINDS] = {
    [GAN_LAYER_DENSE] = &gan__dense_ops,
    [GAN_LAYER_CONV2D] = &gan__conv2d_ops,
    [GAN_LAYER_CONV2D_TRANSPOSE] = &gan__conv2d_transpose_ops,
    [GAN_LAYER_BATCHNORM] = &gan__batchnorm_ops,
    [GAN_LAYER_LEAKY_RELU] = &gan__leaky_relu_ops,
    [GAN_LAYER_RELU] = &gan__relu_ops,
    [GAN_LAYER_TANH] = &gan__tanh_ops,
    [GAN_LAYER_SIGMOID] = &gan__sigmoid_ops,
    [GAN_LAYER_DROPOUT] = &gan__dropout_ops,
    [GAN_LAYER_RESHAPE] = &gan__reshape_ops,
    [GAN_LAYER_FLATTEN] = &gan__flatten_ops,
    [GAN_LAYER_MINIBATCH_STDDEV] = &gan__minibatch_stddev_ops,
    [GAN_LAYER_MINIBATCH_DISCRIMINATION] = &gan__minibatch_discrimination_ops,
    [GAN_LAYER_CLASS_EMBEDDING] = &gan__class_embedding_ops,
    [GAN_LAYER_CLASS_PROJECTION] = &gan__class_projection_ops,
    [GAN_LAYER_STYLE_INPUT] = &gan__style_input_ops,
    [GAN_LAYER_ADAIN] = &gan__adain_ops,
    [GAN_LAYER_NOISE_INJECTION] = &gan__noise_injection_ops,
};

_Static_assert(GAN_LAYER_NOISE_INJECTION == GAN__LAYER_KINDS - 1, "update gan__layers");

const gan__layer_ops *gan__layer_ops_for(gan_layer_kind kind)
{
    if ((int)kind <= 0 || (int)kind >= GAN__LAYER_KINDS)
        return NULL;
    return gan__layers[kind];
}
