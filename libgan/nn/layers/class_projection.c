/*
 * class_projection.c -- the output layer of a projection discriminator
 * (Miyato & Koyama 2018, "cGANs with Projection Discriminator"), reading
 * the class of each sample from cx->labels.
 *
 * Input h (N, F), label y_n in 0..K-1, parameters w (F), b (1), V (K, F):
 *   out[n] = <w, h_n> + b + <V[y_n], h_n>              (N, 1)
 * Backward, g_n = dy[n]:
 *   dw += sum_n g_n h_n      db += sum_n g_n      dV[y_n] += g_n h_n
 *   dh_n = g_n (w + V[y_n])
 * use_bias = 0 (how the gradient penalties run the layer's linear part)
 * drops b from both directions.  Sums are in double.
 */
#include "nn/nn.h"

static gan_status cproj_setup(gan__layer *l)
{
    char s[64];
    const size_t F = (size_t)l->in.d[0], K = (size_t)l->u.cls.classes;
    if (l->in.ndim != 1)
        return gan__err(GAN_ESHAPE, "class_projection needs a vector input, got %s; add a "
                        "flatten layer first", gan__shape_str(&l->in, s, sizeof s));
    l->out.ndim = 1;
    l->out.d[0] = 1;
    l->n_params = F + 1 + K * F;
    return GAN_OK;
}

static void cproj_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const size_t F = (size_t)l->in.d[0], K = (size_t)l->u.cls.classes;
    (void)state;
    gan__glorot_uniform(r, w, F, F, 1);
    w[F] = 0.0f;
    /* Each row of V as the kernel of a dense layer of one unit. */
    gan__glorot_uniform(r, w + F + 1, K * F, F, 1);
}

static void cproj_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, F = (size_t)l->in.d[0];
    const float *w = cx->w, *V = cx->w + F + 1;
    for (size_t n = 0; n < N; n++) {
        const float *h = x + n * F, *v = V + (size_t)cx->labels[n] * F;
        double s = l->use_bias ? (double)w[F] : 0.0;
        for (size_t f = 0; f < F; f++)
            s += (double)h[f] * ((double)w[f] + (double)v[f]);
        y[n] = (float)s;
    }
}

static void cproj_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                           const float *dy, float *dx)
{
    const size_t N = cx->batch, F = (size_t)l->in.d[0];
    const float *w = cx->w, *V = cx->w + F + 1;
    (void)y;
    if (cx->dw) {
        float *dw = cx->dw, *dV = cx->dw + F + 1;
        double db = 0.0;
        for (size_t n = 0; n < N; n++) {
            const float g = dy[n], *h = x + n * F;
            float *dv = dV + (size_t)cx->labels[n] * F;
            db += g;
            for (size_t f = 0; f < F; f++) {
                dw[f] += g * h[f];
                dv[f] += g * h[f];
            }
        }
        if (l->use_bias)
            dw[F] += (float)db;
    }
    if (dx)
        for (size_t n = 0; n < N; n++) {
            const float g = dy[n], *v = V + (size_t)cx->labels[n] * F;
            for (size_t f = 0; f < F; f++)
                dx[n * F + f] = g * (w[f] + v[f]);
        }
}

/* ---- building and the file record ---------------------------------------- */

static gan_status cproj_build(gan_model *m, gan__layer *t, const char *func)
{
    gan_status st;
    if ((st = gan__check_classes(m, t->u.cls.classes, func)) != GAN_OK)
        return st;
    t->use_bias = 1;
    if ((st = gan__model_append(m, t, func)) != GAN_OK)
        return st;
    m->n_classes = t->u.cls.classes;    /* the model is conditional now */
    return GAN_OK;
}

gan_status gan_model_add_class_projection(gan_model *m, int n_classes)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_CLASS_PROJECTION);
    t.u.cls.classes = n_classes;
    return cproj_build(m, &t, __func__);
}

/* Record: u32 n_classes; the record's use_bias is always 1. */
static void cproj_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.cls.classes);
}

static gan_status cproj_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    t->u.cls.classes = gan__rb_i32(r);
    if (r->st == GAN_OK && use_bias != 1)
        return gan__err(GAN_EFORMAT, "class_projection with use_bias %u (always 1)", use_bias);
    return r->st;
}

/* For fixed labels it is linear in h apart from b, and its backward map
   B(g) = g (w + V[y]) is linear in the weights: a linear layer for the
   gradient penalties (J u = <w + V[y], u>). */
const gan__layer_ops gan__class_projection_ops = {
    .name = "class_projection",
    .build = cproj_build,
    .encode = cproj_encode,
    .decode = cproj_decode,
    .setup = cproj_setup,
    .init = cproj_init,
    .forward = cproj_forward,
    .backward = cproj_backward,
    .penalty_jvp = gan__penalty_jvp_linear,
    .penalty_wgrad = gan__penalty_wgrad_linear,
};
