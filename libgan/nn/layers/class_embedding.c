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

/* Gradient penalties: J u = [u, 0] at every position.  B(g) = g[:C] does
   not involve the table, so it gets no penalty gradient (no wgrad). */
static void cemb_penalty_jvp(const gan__layer *l, const gan__ctx *cx, const float *x,
                             const float *u, float *out)
{
    const size_t P = cx->batch * gan__shape_spatial(&l->in), C = (size_t)gan__shape_channels(&l->in);
    const size_t E = (size_t)gan__shape_channels(&l->out) - C;
    (void)x;
    for (size_t p = 0; p < P; p++) {
        memcpy(out + p * (C + E), u + p * C, C * sizeof(float));
        memset(out + p * (C + E) + C, 0, E * sizeof(float));
    }
}

/* ---- building and the file record ---------------------------------------- */

static gan_status cemb_build(gan_model *m, gan__layer *t, const char *func)
{
    gan_status st;
    if ((st = gan__check_classes(m, t->u.cls.classes, func)) != GAN_OK)
        return st;
    if (t->u.cls.dim < 0 || t->u.cls.dim > GAN__MAX_CLASSES)
        return gan__err(GAN_EINVAL, "%s: dim %d must be in 0..%d (0: one-hot)", func, t->u.cls.dim,
                        GAN__MAX_CLASSES);
    if ((st = gan__model_append(m, t, func)) != GAN_OK)
        return st;
    m->n_classes = t->u.cls.classes;    /* the model is conditional now */
    return GAN_OK;
}

gan_status gan_model_add_class_embedding(gan_model *m, int n_classes, int dim)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_CLASS_EMBEDDING);
    t.u.cls.classes = n_classes;
    t.u.cls.dim = dim;
    return cemb_build(m, &t, __func__);
}

/* Record: u32 n_classes, u32 dim. */
static void cemb_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.cls.classes);
    gan__wb_u32(b, (uint32_t)l->u.cls.dim);
}

static gan_status cemb_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    t->u.cls.classes = gan__rb_i32(r);
    t->u.cls.dim = gan__rb_i32(r);
    return r->st;
}

const gan__layer_ops gan__class_embedding_ops = {
    .name = "class_embedding",
    .build = cemb_build,
    .encode = cemb_encode,
    .decode = cemb_decode,
    .setup = cemb_setup,
    .init = cemb_init,
    .forward = cemb_forward,
    .backward = cemb_backward,
    .penalty_jvp = cemb_penalty_jvp,
};
