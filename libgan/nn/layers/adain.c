/*
 * adain.c -- adaptive instance normalisation modulated by the style vector
 * (StyleGAN's AdaIN, Karras et al. 2019, in the second seed notebook's
 * x * (1 + gamma) + beta form).
 *
 * Input x (N, P, C) with P = h*w positions, style s (N, D) from cx->style,
 * parameters A (D, 2C) and b (2C).  Per sample n and channel c:
 *   mu = mean_p x,  var = mean_p (x - mu)^2,  r = 1/sqrt(var + eps)
 *   xhat = (x - mu) r
 *   [gamma, beta] = s A + b                         (N, 2C), one GEMM
 *   y = (1 + gamma) xhat + beta
 * Backward, with G[n,c] = sum_p dy xhat and B[n,c] = sum_p dy:
 *   dgamma = G, dbeta = B;  dA += s^T [G, B];  db += sum_n [G, B]
 *   dstyle += [G, B] A^T                            (the style input hands it on)
 *   dx = r (1 + gamma) (dy - B / P - xhat G / P)    (instance norm's exact
 *        backward: dxhat = (1 + gamma) dy, whose sums are (1 + gamma) B
 *        and (1 + gamma) G)
 * Saved forward data for N samples: xhat (N P C), r (N C), [gamma, beta]
 * (N 2C), in that order.  Sums are accumulated in double.
 */
#include <math.h>

#include "nn/nn.h"

static gan_status adain_setup(gan__layer *l)
{
    char s[64];
    size_t C;
    if (l->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "adain needs an image input (h, w, channels), got %s",
                        gan__shape_str(&l->in, s, sizeof s));
    if (gan__shape_spatial(&l->in) < 2)
        return gan__err(GAN_ESHAPE, "adain normalises over the positions of each channel; input "
                        "%s has one position, so every output would be beta",
                        gan__shape_str(&l->in, s, sizeof s));
    C = (size_t)gan__shape_channels(&l->in);
    l->out = l->in;
    l->n_params = (size_t)l->u.adain.style_dim * 2 * C + 2 * C;
    l->aux_per_sample = (gan__shape_elems(&l->in) + 3 * C) * sizeof(float);
    return GAN_OK;
}

static size_t adain_workspace(const gan__layer *l, size_t batch)
{
    const size_t C = (size_t)gan__shape_channels(&l->in);
    /* [G, B] of the batch (floats, 8C bytes a sample), then 2C doubles. */
    return batch * 2 * C * sizeof(float) + 2 * C * sizeof(double);
}

static void adain_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    const size_t C = (size_t)gan__shape_channels(&l->in), D = (size_t)l->u.adain.style_dim;
    (void)state;
    /* Two Dense(C) layers side by side, as the notebook's sketch. */
    gan__glorot_uniform(r, w, D * 2 * C, D, C);
    memset(w + D * 2 * C, 0, 2 * C * sizeof(float));
}

static void adain_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const size_t N = cx->batch, P = gan__shape_spatial(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in), D = (size_t)l->u.adain.style_dim;
    const float *A = cx->w, *bias = cx->w + D * 2 * C;
    float *xhat = cx->aux, *rs = xhat + N * P * C, *gb = rs + N * C;
    double *mu = (void *)((char *)cx->ws + N * 2 * C * sizeof(float)), *var = mu + C;
    const double eps = l->u.adain.epsilon;

    gan__sgemm(0, 0, (int)N, (int)(2 * C), (int)D, 1.0f, cx->style, (int)D, A, (int)(2 * C), 0.0f,
               gb, (int)(2 * C));
    for (size_t n = 0; n < N; n++) {
        const float *xn = x + n * P * C;
        float *hn = xhat + n * P * C, *yn = y + n * P * C, *rn = rs + n * C;
        float *g = gb + n * 2 * C, *beta = g + C;
        for (size_t c = 0; c < 2 * C; c++)
            g[c] += bias[c];
        memset(mu, 0, 2 * C * sizeof(double));
        for (size_t p = 0; p < P; p++)
            for (size_t c = 0; c < C; c++)
                mu[c] += xn[p * C + c];
        for (size_t c = 0; c < C; c++)
            mu[c] /= (double)P;
        for (size_t p = 0; p < P; p++)
            for (size_t c = 0; c < C; c++) {
                const double d = xn[p * C + c] - mu[c];
                var[c] += d * d;
            }
        for (size_t c = 0; c < C; c++)
            rn[c] = (float)(1.0 / sqrt(var[c] / (double)P + eps));
        for (size_t p = 0; p < P; p++)
            for (size_t c = 0; c < C; c++) {
                const float h = (float)((xn[p * C + c] - mu[c]) * rn[c]);
                hn[p * C + c] = h;
                yn[p * C + c] = (1.0f + g[c]) * h + beta[c];
            }
    }
}

static void adain_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                           const float *dy, float *dx)
{
    const size_t N = cx->batch, P = gan__shape_spatial(&l->in);
    const size_t C = (size_t)gan__shape_channels(&l->in), D = (size_t)l->u.adain.style_dim;
    const float *A = cx->w;
    const float *xhat = cx->aux, *rs = xhat + N * P * C, *gb = rs + N * C;
    float *dG = cx->ws;
    double *sg = (void *)((char *)cx->ws + N * 2 * C * sizeof(float)), *sb = sg + C;
    (void)x;
    (void)y;
    for (size_t n = 0; n < N; n++) {
        const float *hn = xhat + n * P * C, *dyn = dy + n * P * C, *rn = rs + n * C;
        const float *g = gb + n * 2 * C;
        memset(sg, 0, 2 * C * sizeof(double));
        for (size_t p = 0; p < P; p++)
            for (size_t c = 0; c < C; c++) {
                sg[c] += (double)dyn[p * C + c] * hn[p * C + c];
                sb[c] += dyn[p * C + c];
            }
        for (size_t c = 0; c < C; c++) {
            dG[n * 2 * C + c] = (float)sg[c];
            dG[n * 2 * C + C + c] = (float)sb[c];
        }
        if (dx) {
            float *dxn = dx + n * P * C;
            for (size_t c = 0; c < C; c++) {
                sg[c] /= (double)P;
                sb[c] /= (double)P;
            }
            for (size_t p = 0; p < P; p++)
                for (size_t c = 0; c < C; c++)
                    dxn[p * C + c] = (float)((double)rn[c] * (1.0 + g[c]) *
                                             (dyn[p * C + c] - sb[c] - hn[p * C + c] * sg[c]));
        }
    }
    if (cx->dw) {
        float *dA = cx->dw, *db = cx->dw + D * 2 * C;
        gan__sgemm(1, 0, (int)D, (int)(2 * C), (int)N, 1.0f, cx->style, (int)D, dG, (int)(2 * C),
                   1.0f, dA, (int)(2 * C));
        for (size_t n = 0; n < N; n++)
            for (size_t c = 0; c < 2 * C; c++)
                db[c] += dG[n * 2 * C + c];
    }
    /* Only a pass that goes on below this layer reaches the style input,
       which consumes dstyle. */
    if (dx && cx->dstyle)
        gan__sgemm(0, 1, (int)N, (int)D, (int)(2 * C), 1.0f, dG, (int)(2 * C), A, (int)(2 * C), 1.0f,
                   cx->dstyle, (int)D);
}

/* ---- building and the file record ---------------------------------------- */

static gan_status adain_build(gan_model *m, gan__layer *t, const char *func)
{
    if (!(t->u.adain.epsilon > 0.0f && t->u.adain.epsilon < 1.0f))
        return gan__err(GAN_EINVAL, "%s: epsilon %g must be in (0, 1)", func,
                        (double)t->u.adain.epsilon);
    if (!m->style_dim)
        return gan__err(GAN_EINVAL, "%s: adain needs a style input layer before it "
                        "(gan_model_add_style_input): it has no style vector to read", func);
    t->u.adain.style_dim = (int)m->style_dim; /* < GAN__MAX_ELEMS: fits */
    return gan__model_append(m, t, func);
}

gan_status gan_model_add_adain(gan_model *m, float epsilon)
{
    gan__layer t;
    GAN__CHECK_HANDLE(m, GAN__MAGIC_MODEL, "gan_model");
    gan__layer_blank(&t, GAN_LAYER_ADAIN);
    t.u.adain.epsilon = epsilon;
    return adain_build(m, &t, __func__);
}

/* Record: f32 epsilon (style_dim is the model's). */
static void adain_encode(gan__wbuf *b, const gan__layer *l)
{
    gan__wb_f32(b, l->u.adain.epsilon);
}

static gan_status adain_decode(gan__rbuf *r, uint32_t use_bias, gan__layer *t)
{
    (void)use_bias;
    t->u.adain.epsilon = gan__rb_f32(r);
    return r->st;
}

/*
 * ONNX: xhat = InstanceNormalization(x) (scale 1, bias 0, the same
 * epsilon: per sample and channel over the positions, biased variance);
 * gamma = Gemm(s, A[:, :C], b[:C]) and beta = Gemm(s, A[:, C:], b[C:]) --
 * the halves of s A + b -- each reshaped to (N, C, 1, 1);
 * y = xhat (1 + gamma) + beta.  s is the style input layer's input.
 */
static gan_status adain_onnx(const gan__layer *l, gan__onnx *g, const float *w, const float *state)
{
    const int64_t C = gan__shape_channels(&l->in), D = l->u.adain.style_dim;
    const int64_t ad[2] = {D, C}, shape[4] = {-1, C, 1, 1}, four = 4;
    const float one = 1.0f;
    const gan__onnx_attr eps = {.name = "epsilon", .type = 'f', .f = l->u.adain.epsilon};
    char on[GAN__ONNX_NAME], zn[GAN__ONNX_NAME], agn[GAN__ONNX_NAME], abn[GAN__ONNX_NAME];
    char bgn[GAN__ONNX_NAME], bbn[GAN__ONNX_NAME], sn[GAN__ONNX_NAME], onen[GAN__ONNX_NAME];
    char xh[GAN__ONNX_NAME], gm[GAN__ONNX_NAME], bt[GAN__ONNX_NAME], g1[GAN__ONNX_NAME];
    char gr[GAN__ONNX_NAME], br[GAN__ONNX_NAME], m[GAN__ONNX_NAME], y[GAN__ONNX_NAME];
    const char *iin[3] = {gan__onnx_in(g), on, zn};
    const char *gin[3] = {g->style, agn, bgn}, *bin[3] = {g->style, abn, bbn};
    const char *a1[2] = {gm, onen}, *r1[2] = {g1, sn}, *r2[2] = {bt, sn};
    const char *min[2] = {xh, gr}, *yin[2] = {m, br};
    float *t = gan__calloc((size_t)(2 * D * C + 2 * C), sizeof(float));
    (void)state;
    if (!t)
        return gan__onnx_fail(g, gan__err(GAN_ENOMEM, "out of memory"));
    if (!g->style[0]) {
        gan__free(t);
        return gan__err(GAN_EUNSUPPORTED, "adain without a style input layer before it");
    }
    /* ones (C), zeros (C), then A's gamma and beta halves (D, C) each. */
    for (int64_t c = 0; c < C; c++)
        t[c] = 1.0f;
    for (int64_t d = 0; d < D; d++)
        for (int64_t c = 0; c < C; c++) {
            t[2 * C + d * C + c] = w[d * 2 * C + c];
            t[2 * C + D * C + d * C + c] = w[d * 2 * C + C + c];
        }
    gan__onnx_init_f32(g, "ones", &C, 1, t, on);
    gan__onnx_init_f32(g, "zeros", &C, 1, t + C, zn);
    gan__onnx_init_f32(g, "gamma_kernel", ad, 2, t + 2 * C, agn);
    gan__onnx_init_f32(g, "beta_kernel", ad, 2, t + 2 * C + D * C, abn);
    gan__onnx_init_f32(g, "gamma_bias", &C, 1, w + 2 * D * C, bgn);
    gan__onnx_init_f32(g, "beta_bias", &C, 1, w + 2 * D * C + C, bbn);
    gan__onnx_init_f32(g, "one", NULL, 0, &one, onen);
    gan__onnx_init_i64(g, "param_shape", &four, 1, shape, sn);
    gan__free(t);
    gan__onnx_node(g, "InstanceNormalization", iin, 3, &eps, 1, xh);
    gan__onnx_node(g, "Gemm", gin, 3, NULL, 0, gm);
    gan__onnx_node(g, "Gemm", bin, 3, NULL, 0, bt);
    gan__onnx_node(g, "Add", a1, 2, NULL, 0, g1);
    gan__onnx_node(g, "Reshape", r1, 2, NULL, 0, gr);
    gan__onnx_node(g, "Reshape", r2, 2, NULL, 0, br);
    gan__onnx_node(g, "Mul", min, 2, NULL, 0, m);
    gan__onnx_node(g, "Add", yin, 2, NULL, 0, y);
    gan__onnx_out(g, y);
    return g->st;
}

/* A generator layer: the gradient penalties refuse it. */
const gan__layer_ops gan__adain_ops = {
    .name = "adain",
    .build = adain_build,
    .encode = adain_encode,
    .decode = adain_decode,
    .setup = adain_setup,
    .workspace = adain_workspace,
    .init = adain_init,
    .forward = adain_forward,
    .backward = adain_backward,
    .onnx = adain_onnx,
};
