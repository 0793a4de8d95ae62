/*
 * class_affine.c -- a per-class, per-channel affine map: with a batchnorm
 * before it, the class-conditional batch normalisation of BigGAN-style
 * generators (Brock et al. 2019; de Vries et al. 2017's conditional
 * batchnorm), reading each sample's class from cx->labels.
 *
 * Input x (N, ..., C) (channels last: an image's c, a vector's units),
 * label y_n in 0..K-1, parameters G (K, C) then B (K, C):
 *   out[n, p, c] = x[n, p, c] (1 + G[y_n, c]) + B[y_n, c]
 * Backward, over the positions p of each sample:
 *   dG[y_n, c] += sum_p dy[n, p, c] x[n, p, c]
 *   dB[y_n, c] += sum_p dy[n, p, c]
 *   dx[n, p, c] = dy[n, p, c] (1 + G[y_n, c])
 * G and B start at 0, so the layer starts as the identity and a batchnorm
 * before it as the unconditional one (BigGAN's 1 + gamma).  use_bias = 0
 * (how the gradient penalties run the layer's linear part) drops B.
 * Sums over positions are in double.
 */
#include <stdio.h>

#include "nn/nn.h"

#define CA_CLASSES(l) ((l)->u.p.i[0])

static size_t ca_channels(const gan__layer *l)
{
    return (size_t)l->in.d[l->in.ndim - 1];
}

static gan_status ca_setup(gan__layer *l)
{
    l->out = l->in;
    l->n_params = 2 * (size_t)CA_CLASSES(l) * ca_channels(l);
    return GAN_OK;
}

static void ca_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t C = ca_channels(l), P = gan__shape_elems(&l->in) / C;
    const size_t KC = (size_t)CA_CLASSES(l) * C;
    for (size_t n = 0; n < cx->batch; n++) {
        const float *g = cx->w + (size_t)cx->labels[n] * C, *b = g + KC;
        const float *xs = x + n * P * C;
        float *ys = y + n * P * C;
        for (size_t p = 0; p < P; p++)
            for (size_t c = 0; c < C; c++)
                ys[p * C + c] = xs[p * C + c] * (1.0f + g[c]) + (l->use_bias ? b[c] : 0.0f);
    }
}

static void ca_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                        const float *dy, float *dx)
{
    const size_t C = ca_channels(l), P = gan__shape_elems(&l->in) / C;
    const size_t KC = (size_t)CA_CLASSES(l) * C;
    (void)y;
    for (size_t n = 0; n < cx->batch; n++) {
        const size_t k = (size_t)cx->labels[n];
        const float *g = cx->w + k * C;
        const float *xs = x + n * P * C, *dys = dy + n * P * C;
        if (cx->dw) {
            float *dg = cx->dw + k * C, *db = dg + KC;
            for (size_t c = 0; c < C; c++) {
                double sg = 0.0, sb = 0.0;
                for (size_t p = 0; p < P; p++) {
                    sg += (double)dys[p * C + c] * xs[p * C + c];
                    sb += dys[p * C + c];
                }
                dg[c] += (float)sg;
                if (l->use_bias)
                    db[c] += (float)sb;
            }
        }
        if (dx) {
            float *dxs = dx + n * P * C;
            for (size_t p = 0; p < P; p++)
                for (size_t c = 0; c < C; c++)
                    dxs[p * C + c] = dys[p * C + c] * (1.0f + g[c]);
        }
    }
}

/* ---- building and the file record ---------------------------------------- */

static gan_status ca_build(gan_model *m, gan__layer *t, const char *func)
{
    gan_status st;
    if ((st = gan__check_classes(m, CA_CLASSES(t), func)) != GAN_OK)
        return st;
    t->use_bias = 1;
    if ((st = gan__model_append(m, t, func)) != GAN_OK)
        return st;
    m->n_classes = CA_CLASSES(t);    /* the model is conditional now */
    return GAN_OK;
}

gan_status gan_model_add_class_affine(gan_model *m, int n_classes)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_CLASS_AFFINE);
    CA_CLASSES(&t) = n_classes;
    return ca_build(m, &t, __func__);
}

/* Record: i32 n_classes; the record's use_bias is always 1. */
static void ca_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_u32(b, (uint32_t)CA_CLASSES(l));
}

static gan_status ca_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    CA_CLASSES(t) = gan__rb_i32(r);
    if (r->st == GAN_OK && use_bias != 1)
        return gan__err(GAN_EFORMAT, "class_affine with use_bias %u (always 1)", use_bias);
    return r->st;
}

/* For fixed labels it is linear in x apart from B, and its backward map
   B(g) = g (1 + G[y]) is linear in G: a linear layer for the gradient
   penalties (J u = u (1 + G[y]), d<u, B(g)>/dG[y] = sum_p u g). */
/* ONNX: the per-sample rows of (1 + G) and B picked by Gather on the
   labels (1 + G computed here in float, as the forward does), reshaped to
   broadcast over the positions of the graph's layout (N, C, 1, 1) for an
   image, (N, 1, B) for a 2-D sample, (N, C) for a vector; then Mul and Add. */
static gan_status ca_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const size_t C = ca_channels(l), K = (size_t)CA_CLASSES(l);
    const int64_t td[2] = {(int64_t)K, (int64_t)C};
    int64_t shape[4] = {-1, (int64_t)C, 1, 1}, nd = 4;
    char x[GAN__ONNX_NAME], gn[GAN__ONNX_NAME], bn[GAN__ONNX_NAME], sn[GAN__ONNX_NAME];
    char ga[GAN__ONNX_NAME], gr[GAN__ONNX_NAME], m[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    char ba[GAN__ONNX_NAME], br[GAN__ONNX_NAME];
    const char *gin[2] = {gn, "labels"}, *rin[2] = {ga, sn}, *min[2] = {x, gr};
    float *gain = gan__malloc(K * C * sizeof(float));
    (void)state;
    if (!gain)
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    for (size_t i = 0; i < K * C; i++)
        gain[i] = 1.0f + w[i];
    snprintf(x, sizeof x, "%s", gan__onnx_in(g));
    if (l->in.ndim == 2) {
        shape[1] = 1;
        shape[2] = (int64_t)C;
        nd = 3;
    } else if (l->in.ndim == 1) {
        nd = 2;
    }
    gan__onnx_init_f32(g, "gain", td, 2, gain, gn);
    gan__free(gain);
    gan__onnx_init_i64(g, "shape", &nd, 1, shape, sn);
    g->uses_labels = 1;
    gan__onnx_node(g, "Gather", gin, 2, NULL, 0, ga);
    gan__onnx_node(g, "Reshape", rin, 2, NULL, 0, gr);
    gan__onnx_node(g, "Mul", min, 2, NULL, 0, m);
    if (l->use_bias) {
        const char *bgin[2] = {bn, "labels"}, *brin[2] = {ba, sn}, *ain[2] = {m, br};
        gan__onnx_init_f32(g, "bias", td, 2, w + K * C, bn);
        gan__onnx_node(g, "Gather", bgin, 2, NULL, 0, ba);
        gan__onnx_node(g, "Reshape", brin, 2, NULL, 0, br);
        gan__onnx_node(g, "Add", ain, 2, NULL, 0, y);
        gan__onnx_out(g, y);
    } else {
        gan__onnx_out(g, m);
    }
    return g->st;
}

const gan__layer_ops gan__class_affine_ops = {
    .name = "class_affine",
    .build = ca_build,
    .encode = ca_encode,
    .decode = ca_decode,
    .setup = ca_setup,
    .forward = ca_forward,
    .backward = ca_backward,
    .plan = GAN__PLAN_OUTPUT_UNREAD,
    .penalty_jvp = gan__penalty_jvp_linear,
    .penalty_wgrad = gan__penalty_wgrad_linear,
    .onnx = ca_onnx,
};
