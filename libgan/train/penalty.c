/*
 * penalty.c -- gradient penalties by double backpropagation: WGAN-GP
 * (Gulrajani et al. 2017) and R1 (Mescheder et al. 2018).
 *
 * Both penalise the gradient of the critic's output with respect to its
 * input, per sample n:
 *   WGAN-GP  P = lambda / N * sum_n (||g0_n|| - 1)^2   at x_hat = e x + (1-e) G(z)
 *   R1       P = gamma / 2 / N * sum_n ||g0_n||^2      at real x
 * where g0 = d D(x) / d x comes from one ordinary backward pass with
 * dy = 1 per sample.  The penalty's gradient with respect to the critic's
 * weights needs the derivative of that backward pass itself.
 *
 * The backward pass is a chain of maps linear in the gradient:
 *   g_k = B_k(g_{k+1}),  B_k = J_k^T  (J_k the Jacobian of layer k at x_k).
 * For the layers allowed here (dense, conv2d, conv2d_transpose, leaky ReLU,
 * ReLU, dropout with its fixed mask, reshape, flatten, ...: the kinds with
 * penalty ops, see below) B_k depends on the
 * weights W_k but not on x_k (the activations are piecewise linear, so
 * their slopes are constant almost everywhere).  With u_k = dP/dg_k:
 *   u_0     = dP/dg_0                       (closed form above)
 *   u_{k+1} = J_k u_k                        a forward pass of layer k on
 *                                            u_k without its bias
 *   dW_k   += d<u_k, B_k(g_{k+1})>/dW_k      the ordinary weight gradient of
 *                                            layer k with input u_k and
 *                                            output gradient g_{k+1}
 * Biases do not enter B_k, so they get no penalty gradient.  Batchnorm,
 * tanh and sigmoid would add terms through x_k and are refused.
 *
 * Class layers (conditional critics; the labels are fixed inputs):
 *   class_projection  out = <w + V[y], h> + b: B(g) = g (w + V[y]), linear
 *                     in the weights and free of h, so it is handled as a
 *                     dense layer is (its backward without the bias gives
 *                     d<u, B(g)>/dw and dV; J u = <w + V[y], u>).
 *   class_embedding   out = [x, e(y)]: B(g) = g[:C] does not involve the
 *                     table, so it gets no penalty gradient, and
 *                     J u = [u, 0].
 * A spectrally normalised layer is the plain layer with the kernel
 * W_sn = W / sigma of the step's forward (u and v constants, as in its
 * ordinary backward): J_k and B_k use W_sn, and the weight gradient with
 * respect to W_sn is carried to W by the layer's own backward.
 *
 * Each kind provides its J u and its d<u, B(g)>/dW as penalty_jvp and
 * penalty_wgrad in its ops (nn/nn.h; the linear layers share
 * nn/layer_common.c's); a kind without penalty_jvp is refused.
 */
#include <math.h>

#include "train/train.h"

static int gan__penalty_kind(const gan__layer_ops *ops)
{
    return ops->is_view || ops->penalty_jvp != NULL;
}

gan_status gan__penalty_supported(const gan_model *d)
{
    for (size_t i = 0; i < d->n_layers; i++) {
        if (!gan__penalty_kind(d->layers[i].ops)) {
            char kinds[512];
            return gan__err(GAN_EUNSUPPORTED, "gradient penalties need a critic of %s layers; "
                            "layer %zu is %s",
                            gan__layer_kinds_where(gan__penalty_kind, kinds, sizeof kinds), i,
                            d->layers[i].ops->name);
        }
    }
    return GAN_OK;
}

/* Per-batch buffers: every layer's output gradient g_{k+1}, and u. */
struct gan__penalty_buf {
    size_t cap;                /* samples */
    float *g;                  /* sum over layer boundaries of cap * elems */
    size_t *g_off;             /* offset of g_k for k = 0..L */
    float *u[2];               /* ping-pong, cap * max elems each */
    float *u_skip;             /* a residual block's shortcut tangent,
                                  cap * max elems */
};

void gan__penalty_buf_free(gan__penalty_buf *b)
{
    if (!b)
        return;
    gan__aligned_free(b->g);
    gan__free(b->g_off);
    gan__aligned_free(b->u[0]);
    gan__aligned_free(b->u[1]);
    gan__aligned_free(b->u_skip);
    gan__free(b);
}

gan_status gan__penalty_reserve(gan__penalty_buf **pb, const gan_model *d, size_t batch)
{
    gan__penalty_buf *b = *pb;
    size_t total = 0, max_e = gan__shape_elems(&d->in);
    if (b && b->cap >= batch)
        return GAN_OK;
    gan__penalty_buf_free(b);
    *pb = NULL;
    b = gan__calloc(1, sizeof *b);
    if (!b)
        return gan__err(GAN_ENOMEM, "out of memory for the gradient penalty");
    b->g_off = gan__calloc(d->n_layers + 1, sizeof *b->g_off);
    if (!b->g_off) {
        gan__free(b);
        return gan__err(GAN_ENOMEM, "out of memory for the gradient penalty");
    }
    for (size_t k = 0; k <= d->n_layers; k++) {
        size_t e = k == 0 ? gan__shape_elems(&d->in) : gan__shape_elems(&d->layers[k - 1].out);
        b->g_off[k] = total;
        total += batch * e;
        if (e > max_e)
            max_e = e;
    }
    b->g = gan__aligned_alloc(total * sizeof(float));
    b->u[0] = gan__aligned_alloc(batch * max_e * sizeof(float));
    b->u[1] = gan__aligned_alloc(batch * max_e * sizeof(float));
    b->u_skip = gan__aligned_alloc(batch * max_e * sizeof(float));
    if (!b->g || !b->u[0] || !b->u[1] || !b->u_skip) {
        gan__penalty_buf_free(b);
        return gan__err(GAN_ENOMEM, "out of memory for the gradient penalty of batch %zu", batch);
    }
    b->cap = batch;
    *pb = b;
    return GAN_OK;
}

/* u_out = J u_in for one layer. */
static void gan__jvp(const gan__layer *l, const gan__ctx *cx, const float *x, const float *u,
                     float *out)
{
    gan__ctx plain;
    if (l->spectral_norm) {
        /* The layer is the plain one with the kernel W / sigma of the
           forward just run (u, v and sigma are constants of the step). */
        gan__sn_base_ctx(l, cx, &plain);
        cx = &plain;
    }
    l->ops->penalty_jvp(l, cx, x, u, out);
}

/* The context of layer k for the training-mode forward just run on n
   samples (its saved masks and the shared workspace), accumulating nothing. */
static void gan__penalty_ctx(gan_model *d, size_t k, size_t n, gan__ctx *cx)
{
    const gan__layer *l = &d->layers[k];
    memset(cx, 0, sizeof *cx);
    cx->batch = n;
    cx->training = 1;
    cx->w = l->n_params ? d->params + l->param_off : NULL;
    cx->state = l->n_state ? d->state + l->state_off : NULL;
    cx->ws = d->ws;
    cx->ws_bytes = d->ws_bytes;
    cx->aux = d->aux[k];
    cx->rng = &d->rng;
    cx->labels = d->labels;
}

gan_status gan__gradient_penalty(gan_model *d, gan__penalty_buf **pb, const float *x,
                                 const int32_t *labels, size_t n, int r1, float weight,
                                 double *value)
{
    gan__penalty_buf *b;
    gan_status st;
    const size_t in_e = gan__shape_elems(&d->in);
    double total = 0.0;
    int cur = 0, skip_pending = 0;
    if ((st = gan__penalty_reserve(pb, d, n)) != GAN_OK)
        return st;
    b = *pb;
    /* Forward in training mode: the same dropout masks as the critic's
       own pass would draw (a critic for penalties rarely has dropout). */
    if ((st = gan__model_forward(d, x, labels, n, GAN_MODE_TRAIN)) != GAN_OK)
        return st;
    /* Backward with dy = 1 per sample, keeping every g_k. */
    {
        float *gl = b->g + b->g_off[d->n_layers];
        for (size_t i = 0; i < n; i++)
            gl[i] = 1.0f;
    }
    for (size_t k = d->n_layers; k-- > 0;) {
        gan__layer *l = &d->layers[k];
        float *gin = b->g + b->g_off[k], *gout = b->g + b->g_off[k + 1];
        gan__ctx cx;
        if (l->ops->is_view) {
            memcpy(gin, gout, n * gan__shape_elems(&l->in) * sizeof(float));
            continue;
        }
        gan__penalty_ctx(d, k, n, &cx);
        /* Residual blocks: the end layer writes the shortcut's gradient,
           the begin layer adds it (as gan__model_backward). */
        if (l->ops->plan & GAN__PLAN_SKIP_SINK) {
            const size_t src = gan__skip_source(d, k);
            cx.skip = src == SIZE_MAX ? NULL : d->act[src + 1];
            cx.dskip = d->skip_grad;
            skip_pending = 1;
        } else if (l->ops->plan & GAN__PLAN_SKIP_SOURCE) {
            cx.dskip = skip_pending ? d->skip_grad : NULL;   /* NULL: a block left open */
            skip_pending = 0;
        }
        gan__layer_run(l)->backward(l, &cx, d->act[k], d->act[k + 1], gout, gin);
    }
    /* u_0 = dP/dg_0, and the penalty itself. */
    {
        const float *g0 = b->g;
        float *u = b->u[0];
        for (size_t s = 0; s < n; s++) {
            double sq = 0.0, norm, coef;
            for (size_t j = 0; j < in_e; j++)
                sq += (double)g0[s * in_e + j] * g0[s * in_e + j];
            norm = sqrt(sq);
            if (r1) {
                total += 0.5 * weight * sq;
                coef = weight / (double)n;                       /* d/dg of gamma/2 ||g||^2 / N */
            } else {
                total += weight * (norm - 1.0) * (norm - 1.0);
                coef = norm > 0.0 ? 2.0 * weight * (norm - 1.0) / norm / (double)n : 0.0;
            }
            for (size_t j = 0; j < in_e; j++)
                u[s * in_e + j] = (float)(coef * g0[s * in_e + j]);
        }
        *value = total / (double)n;
    }
    /* Forward sweep of the adjoint, accumulating the weight gradients. */
    for (size_t k = 0; k < d->n_layers; k++) {
        gan__layer *l = &d->layers[k];
        const float *gout = b->g + b->g_off[k + 1];
        gan__ctx cx;
        if (l->ops->is_view)
            continue;
        gan__penalty_ctx(d, k, n, &cx);
        /* The shortcut's tangent: stored by the begin layer's jvp, read by
           the end layer's jvp and wgrad. */
        if (l->ops->plan & (GAN__PLAN_SKIP_SOURCE | GAN__PLAN_SKIP_SINK))
            cx.skip = b->u_skip;
        if (l->trainable && l->n_params && l->ops->penalty_wgrad) {
            cx.dw = d->grads + l->param_off;
            l->ops->penalty_wgrad(l, &cx, b->u[cur], gout);
            cx.dw = NULL;
        }
        if (k + 1 < d->n_layers) {
            gan__jvp(l, &cx, d->act[k], b->u[cur], b->u[cur ^ 1]);
            cur ^= 1;
        }
    }
    return GAN_OK;
}
