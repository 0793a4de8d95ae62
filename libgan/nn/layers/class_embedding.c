/*
 * class_embedding.c -- the class label of each sample as extra features
 * (conditional GANs: Mirza & Osindero 2014), read from cx->labels.
 *
 * Input x (N, P, C): P positions (1 for a vector, h*w for an image) of C
 * features; label y_n in 0..K-1; code e(y) of E values:
 *   table (dim > 0)  e(y) = T[y, :], T (K, E) trainable, N(0, 1) init
 *   one-hot (dim 0)  e(y)_k = [k == y], E = K, no parameters
 *   y[n, p, :] = [x[n, p, :], e(y_n)]                 (N, P, C + E)
 * Backward:
 *   dx[n, p, :] = dy[n, p, :C]
 *   dT[y_n, :] += sum_p dy[n, p, C:]                   (table only)
 * No saved forward data and no workspace: the labels are the model's.
 */
#include "nn/nn.h"

static int cemb_code_len(const gan__layer *l)
{
    return l->u.cls.dim > 0 ? l->u.cls.dim : l->u.cls.classes;
}

static gan_status cemb_setup(gan__layer *l)
{
    const int E = cemb_code_len(l);
    l->out = l->in;
    l->out.d[l->out.ndim - 1] += E;
    l->n_params = l->u.cls.dim > 0 ? (size_t)l->u.cls.classes * (size_t)l->u.cls.dim : 0;
    return GAN_OK;
}

static size_t cemb_workspace(const gan__layer *l, size_t batch)
{
    (void)l;
    (void)batch;
    return 0;
}

static void cemb_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    (void)state;
    if (l->n_params)
        gan__rng_fill_normal(r, w, l->n_params);
}

static void cemb_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, P = gan__shape_spatial(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in), E = (size_t)cemb_code_len(l);
    for (size_t n = 0; n < N; n++) {
        const size_t cls = (size_t)cx->labels[n];
        for (size_t p = 0; p < P; p++) {
            const float *xi = x + (n * P + p) * C;
            float *yo = y + (n * P + p) * (C + E);
            memcpy(yo, xi, C * sizeof(float));
            if (l->n_params) {
                memcpy(yo + C, cx->w + cls * E, E * sizeof(float));
            } else {
                memset(yo + C, 0, E * sizeof(float));
                yo[C + cls] = 1.0f;
            }
        }
    }
}

static void cemb_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                          const float *dy, float *dx)
{
    const size_t N = cx->batch, P = gan__shape_spatial(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in), E = (size_t)cemb_code_len(l);
    (void)x;
    (void)y;
    for (size_t n = 0; n < N; n++) {
        float *dt = cx->dw && l->n_params ? cx->dw + (size_t)cx->labels[n] * E : NULL;
        for (size_t p = 0; p < P; p++) {
            const float *g = dy + (n * P + p) * (C + E);
            if (dx)
                memcpy(dx + (n * P + p) * C, g, C * sizeof(float));
            if (dt)
                for (size_t e = 0; e < E; e++)
                    dt[e] += g[C + e];
        }
    }
}

const gan__layer_ops gan__class_embedding_ops = {
    "class_embedding", cemb_setup, cemb_workspace, cemb_init, cemb_forward, cemb_backward, 0
};
