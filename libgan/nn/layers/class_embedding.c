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
#include <stdio.h>

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

/*
 * ONNX: e = Gather(T, labels) (N, E), the graph's int64 "labels" input
 * indexing the table (one-hot: the identity matrix), then concatenated
 * after the features: directly for a vector; for an image (NCHW) as
 * (N, E, 1, 1) broadcast over the positions by adding zeros (1, E, H, W)
 * -- adding 0 changes no value -- and concatenated along the channels.
 */
static gan_status cemb_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const int64_t K = l->u.cls.classes, E = cemb_code_len(l), td[2] = {K, E};
    const gan__onnx_attr axis = {.name = "axis", .type = 'i', .i = 1};
    char x[GAN__ONNX_NAME], tn[GAN__ONNX_NAME], e[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    char sn[GAN__ONNX_NAME], zn[GAN__ONNX_NAME], r[GAN__ONNX_NAME], b[GAN__ONNX_NAME];
    const char *gin[2] = {tn, "labels"}, *cin[2] = {x, e};
    float *onehot = NULL;
    (void)state;
    if (l->in.ndim == 2)
        return gan__err(GAN_EUNSUPPORTED, "class_embedding of a 2-D sample (A, B) has no ONNX form "
                        "here; reshape to a vector or an image first");
    snprintf(x, sizeof x, "%s", gan__onnx_in(g));
    if (!l->n_params) {
        if (!(onehot = gan__calloc((size_t)(K * K), sizeof(float))))
            return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
        for (int64_t k = 0; k < K; k++)
            onehot[k * K + k] = 1.0f;
    }
    gan__onnx_init_f32(g, l->n_params ? "table" : "one_hot", td, 2, l->n_params ? w : onehot, tn);
    gan__free(onehot);
    g->uses_labels = 1;
    gan__onnx_node(g, "Gather", gin, 2, NULL, 0, e);
    if (l->in.ndim == 3) {
        const int64_t shape[4] = {-1, E, 1, 1}, four = 4;
        const int64_t zd[4] = {1, E, l->in.d[0], l->in.d[1]};
        const size_t nz = (size_t)(E * l->in.d[0] * l->in.d[1]);
        float *zeros = gan__calloc(nz, sizeof(float));
        const char *rin[2] = {e, sn}, *ain[2] = {r, zn};
        if (!zeros)
            return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
        gan__onnx_init_i64(g, "code_shape", &four, 1, shape, sn);
        gan__onnx_init_f32(g, "zeros", zd, 4, zeros, zn);
        gan__free(zeros);
        gan__onnx_node(g, "Reshape", rin, 2, NULL, 0, r);
        gan__onnx_node(g, "Add", ain, 2, NULL, 0, b);
        cin[1] = b;
    }
    gan__onnx_node(g, "Concat", cin, 2, &axis, 1, y);
    gan__onnx_out(g, y);
    return g->st;
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
    .onnx = cemb_onnx,
};
