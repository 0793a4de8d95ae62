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
 *
 * class_projection_aux is the same head with the auxiliary classifier of
 * AC-GAN (Odena et al. 2017) beside it, reading the same h: parameters
 * w, b, V as above, then U (K, F) and c (K); per sample K + 1 outputs
 *   out[n] = [<w, h_n> + b + <V[y_n], h_n>,  U h_n + c]   (N, 1 + K)
 * the adversarial logit first, then the class logits, which the trainer's
 * class loss reads (gan_loss_config.class_weight).  Backward adds
 *   dU += sum_n dz_n h_n^T    dc += sum_n dz_n    dh_n += U^T dz_n
 * with dz_n = dy[n, 1..K].  The class logits are not linear in the
 * gradient penalties' sense (they are a second output), so the penalties
 * refuse this kind.
 */
#include "nn/nn.h"

extern const gan__layer_ops gan__class_projection_aux_ops;

/* 1 for class_projection_aux: the class logits follow the adversarial one. */
static size_t cproj_aux(const gan__layer *l)
{
    return l->ops == &gan__class_projection_aux_ops;
}

static gan_status cproj_setup(gan__layer *l)
{
    char s[64];
    const size_t F = (size_t)l->in.d[0], K = (size_t)l->u.cls.classes;
    if (l->in.ndim != 1)
        return gan__err(GAN_ESHAPE, "class_projection needs a vector input, got %s; add a "
                        "flatten layer first", gan__shape_str(&l->in, s, sizeof s));
    l->out.ndim = 1;
    l->out.d[0] = cproj_aux(l) ? 1 + (int)K : 1;
    l->n_params = F + 1 + K * F + (cproj_aux(l) ? K * F + K : 0);
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
    if (cproj_aux(l)) {
        /* U as the kernel of a dense layer of K units, c = 0. */
        float *U = w + F + 1 + K * F;
        gan__glorot_uniform(r, U, K * F, F, K);
        memset(U + K * F, 0, K * sizeof(float));
    }
}

static void cproj_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, F = (size_t)l->in.d[0], K = (size_t)l->u.cls.classes;
    const size_t aux = cproj_aux(l), O = 1 + aux * K;
    const float *w = cx->w, *V = cx->w + F + 1, *U = V + K * F, *c = U + K * F;
    for (size_t n = 0; n < N; n++) {
        const float *h = x + n * F, *v = V + (size_t)cx->labels[n] * F;
        double s = l->use_bias ? (double)w[F] : 0.0;
        for (size_t f = 0; f < F; f++)
            s += (double)h[f] * ((double)w[f] + (double)v[f]);
        y[n * O] = (float)s;
        for (size_t k = 0; aux && k < K; k++) {
            const float *u = U + k * F;
            double z = l->use_bias ? (double)c[k] : 0.0;
            for (size_t f = 0; f < F; f++)
                z += (double)h[f] * (double)u[f];
            y[n * O + 1 + k] = (float)z;
        }
    }
}

static void cproj_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                           const float *dy, float *dx)
{
    const size_t N = cx->batch, F = (size_t)l->in.d[0], K = (size_t)l->u.cls.classes;
    const size_t aux = cproj_aux(l), O = 1 + aux * K;
    const float *w = cx->w, *V = cx->w + F + 1, *U = V + K * F;
    (void)y;
    if (cx->dw) {
        float *dw = cx->dw, *dV = cx->dw + F + 1, *dU = dV + K * F, *dc = dU + K * F;
        double db = 0.0;
        for (size_t n = 0; n < N; n++) {
            const float g = dy[n * O], *h = x + n * F;
            float *dv = dV + (size_t)cx->labels[n] * F;
            db += g;
            for (size_t f = 0; f < F; f++) {
                dw[f] += g * h[f];
                dv[f] += g * h[f];
            }
            for (size_t k = 0; aux && k < K; k++) {
                const float gz = dy[n * O + 1 + k];
                float *du = dU + k * F;
                if (gz == 0.0f)
                    continue;
                for (size_t f = 0; f < F; f++)
                    du[f] += gz * h[f];
                if (l->use_bias)
                    dc[k] += gz;
            }
        }
        if (l->use_bias)
            dw[F] += (float)db;
    }
    if (dx)
        for (size_t n = 0; n < N; n++) {
            const float g = dy[n * O], *v = V + (size_t)cx->labels[n] * F;
            float *d = dx + n * F;
            for (size_t f = 0; f < F; f++)
                d[f] = g * (w[f] + v[f]);
            for (size_t k = 0; aux && k < K; k++) {
                const float gz = dy[n * O + 1 + k], *u = U + k * F;
                if (gz == 0.0f)
                    continue;
                for (size_t f = 0; f < F; f++)
                    d[f] += gz * u[f];
            }
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

gan_status gan_model_add_class_projection_aux(gan_model *m, int n_classes)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_CLASS_PROJECTION_AUX);
    t.u.cls.classes = n_classes;
    return cproj_build(m, &t, __func__);
}

/* Record (both kinds): u32 n_classes; the record's use_bias is always 1. */
static void cproj_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)l->u.cls.classes);
}

static gan_status cproj_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    t->u.cls.classes = gan__rb_i32(r);
    if (r->st == GAN_OK && use_bias != 1)
        return gan__err(GAN_EFORMAT, "%s with use_bias %u (always 1)",
                        t->ops ? t->ops->name : "class_projection", use_bias);
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

/* No penalty ops: the gradient penalties differentiate a critic with one
   output per sample. */
const gan__layer_ops gan__class_projection_aux_ops = {
    .name = "class_projection_aux",
    .build = cproj_build,
    .encode = cproj_encode,
    .decode = cproj_decode,
    .setup = cproj_setup,
    .init = cproj_init,
    .forward = cproj_forward,
    .backward = cproj_backward,
    .class_logits = 1,
};
