/*
 * layer_common.c -- ops that several layer kinds share: the gradient
 * penalties' sweep of a layer that is linear in its input apart from its
 * bias (dense, conv2d, conv2d_transpose, class_projection).
 *
 * For such a layer y = A_W x + b, so J u = A_W u: its own forward on u with
 * the bias left out.  Its backward map B(g) = A_W^T g is linear in W, so
 * d<u, B(g)>/dW is its ordinary weight gradient with input u and output
 * gradient g: its own backward, again without the bias (biases do not
 * enter B).  Both run on a copy of the layer with use_bias = 0.
 */
#include "nn/nn.h"

void gan__penalty_jvp_linear(const gan__layer *l, const gan__ctx *cx, const float *x,
                             const float *u, float *out)
{
    gan__layer nb = *l;
    gan__ctx c2 = *cx;
    (void)x;
    nb.use_bias = 0;
    c2.training = 0;
    /* The plain kind's forward: a normalised layer's cx carries W / sigma. */
    l->ops->forward(&nb, &c2, u, out);
}

void gan__penalty_wgrad_linear(const gan__layer *l, const gan__ctx *cx, const float *u,
                               const float *g)
{
    gan__layer nb = *l;
    gan__ctx c2 = *cx;
    nb.use_bias = 0;
    /* Through the spectral normalisation wrapper if the layer has it: the
       gradient with respect to W / sigma is carried to W. */
    gan__layer_run(l)->backward(&nb, &c2, u, NULL, g, NULL);
}
