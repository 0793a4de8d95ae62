/*
 * spectral_norm.c -- spectral normalisation (Miyato et al. 2018, as
 * PyTorch's torch.nn.utils.spectral_norm) as an option of the layer kinds
 * whose ops have sn_dims (dense, conv2d and conv2d_transpose): one wrapper,
 * gan__sn_ops, runs any of them (gan__layer_run).
 *
 * The layer computes with W / sigma, sigma an estimate of the largest
 * singular value of the kernel W viewed as a matrix with one row per output
 * unit or filter (O rows).  Every kernel layout stores that matrix as
 * W[a][o][b], index (a*O + o)*B + b, row o, column j = a*B + b; the kind's
 * sn_dims gives A, O and B:
 *   dense             (in, units)       A = in            O = units  B = 1
 *   conv2d            (kh, kw, C, F)    A = kh*kw*C       O = F      B = 1
 *   conv2d_transpose  (kh, kw, F, C)    A = kh*kw         O = F      B = C
 * (the transpose's rows are its filters, PyTorch's dim=1 for
 * ConvTranspose; the order of the columns does not change singular values).
 *
 * u (O floats) is the layer's state.  Training forward, one power
 * iteration:  v = W^T u / ||W^T u||,  s = W v,  u <- s / ||s||,
 * sigma = u^T W v = ||s||.  Inference forward (u only read):  u^ = u/||u||,
 * t = W^T u^, v = t / ||t||, sigma = u^^T W v = ||t||.  W / sigma (then the
 * bias, unchanged) is written into the layer's saved forward data and the
 * plain layer's kernels run on it, so they stay untouched.
 *
 * Backward treats u and v as constants: with G the plain backward's
 * gradient with respect to W / sigma (accumulated into a scratch at the
 * start of the workspace, because the model's gradients accumulate),
 *   dW += (G - <G, W/sigma> u v^T) / sigma,   dbias += G_bias,
 * and dx comes from the plain backward with W / sigma.  In inference mode
 * the formula is the exact derivative, since d||W^T u^||/dW = u^ v^T.
 *
 * Saved forward data (aux), before the plain layer's own, each part at a
 * 64-byte boundary:
 *   header (sigma, plain flag) | W/sigma and bias (n_params floats) |
 *   u (O doubles) | v (A*B doubles)
 * Workspace: the scratch G (n_params floats), then the plain layer's.
 */
#include <math.h>

#include "nn/nn.h"

typedef gan__sn_dims sn_dims;

typedef struct sn_hdr {
    double sigma;
    int plain;             /* W^T u was 0 or not finite: W is used as it is */
} sn_hdr;

typedef struct sn_aux {
    sn_hdr *h;
    float *w;              /* W / sigma, then the bias */
    double *u, *v;
    unsigned char *base;   /* the plain layer's saved forward data */
} sn_aux;

static size_t sn_round64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

/* The plain layer's ops: its kind's. */
static const gan__layer_ops *sn_base(const gan__layer *l)
{
    return l->ops;
}

static sn_dims sn_dims_of(const gan__layer *l)
{
    sn_dims d = {0, 0, 0};
    l->ops->sn_dims(l, &d);
    return d;
}

static size_t sn_aux_bytes(const gan__layer *l)
{
    const sn_dims d = sn_dims_of(l);
    return sn_round64(sizeof(sn_hdr)) + sn_round64(l->n_params * sizeof(float)) +
           sn_round64(d.o * sizeof(double)) + sn_round64(d.a * d.b * sizeof(double));
}

static sn_aux sn_aux_of(const gan__layer *l, void *aux)
{
    const sn_dims d = sn_dims_of(l);
    unsigned char *p = aux;
    sn_aux a;
    a.h = (sn_hdr *)(void *)p;
    p += sn_round64(sizeof(sn_hdr));
    a.w = (float *)(void *)p;
    p += sn_round64(l->n_params * sizeof(float));
    a.u = (double *)(void *)p;
    p += sn_round64(d.o * sizeof(double));
    a.v = (double *)(void *)p;
    p += sn_round64(d.a * d.b * sizeof(double));
    a.base = p;
    return a;
}

/* The plain layer's context: the normalised kernel, its parts of aux and
   workspace, no state. */
static void sn_ctx(const gan__layer *l, const gan__ctx *cx, const sn_aux *a, gan__ctx *b)
{
    const size_t head = sn_round64(l->n_params * sizeof(float));
    *b = *cx;
    b->w = a->w;
    b->dw = NULL;
    b->state = NULL;
    b->aux = a->base;
    b->ws = (unsigned char *)cx->ws + head;
    b->ws_bytes = cx->ws_bytes > head ? cx->ws_bytes - head : 0;
}

/* t = W^T u (t: A*B values): column sums, kept in a register. */
static void sn_wt_u(const float *w, sn_dims d, const double *u, double *t)
{
    for (size_t a = 0; a < d.a; a++)
        for (size_t b = 0; b < d.b; b++) {
            const float *col = w + a * d.o * d.b + b;
            double acc = 0.0;
            for (size_t o = 0; o < d.o; o++)
                acc += col[o * d.b] * u[o];
            t[a * d.b + b] = acc;
        }
}

/* s = W v (s: O values, overwritten): one axpy per (a, b) over the O
   contiguous (B = 1) or B-strided values. */
static void sn_w_v(const float *w, sn_dims d, const double *v, double *s)
{
    memset(s, 0, d.o * sizeof(double));
    for (size_t a = 0; a < d.a; a++)
        for (size_t b = 0; b < d.b; b++) {
            const float *col = w + a * d.o * d.b + b;
            const double vj = v[a * d.b + b];
            for (size_t o = 0; o < d.o; o++)
                s[o] += col[o * d.b] * vj;
        }
}

static double sn_norm(const double *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s);
}

/*
 * sigma, u and v into aux; in training mode one power iteration that also
 * stores the new u in the state.  A degenerate estimate (W^T u = 0, or not
 * finite) leaves the state alone and marks the kernel to be used as it is.
 */
static void sn_estimate(const gan__layer *l, const float *w, float *state, int training, sn_aux *a)
{
    const sn_dims d = sn_dims_of(l);
    const size_t n_in = d.a * d.b;
    double nu = 0.0, nt, ns;
    a->h->plain = 1;
    a->h->sigma = 1.0;
    for (size_t o = 0; o < d.o; o++)
        nu += (double)state[o] * state[o];
    nu = sqrt(nu);
    if (nu > 0.0 && isfinite(nu)) {
        for (size_t o = 0; o < d.o; o++)
            a->u[o] = state[o] / nu;
        sn_wt_u(w, d, a->u, a->v);
        nt = sn_norm(a->v, n_in);
        if (nt > 0.0 && isfinite(nt)) {
            for (size_t j = 0; j < n_in; j++)
                a->v[j] /= nt;
            if (!training) {
                a->h->sigma = nt;
                a->h->plain = 0;
            } else {
                sn_w_v(w, d, a->v, a->u);
                ns = sn_norm(a->u, d.o);
                if (ns > 0.0 && isfinite(ns)) {
                    for (size_t o = 0; o < d.o; o++) {
                        a->u[o] /= ns;
                        state[o] = (float)a->u[o];
                    }
                    a->h->sigma = ns;
                    a->h->plain = 0;
                }
            }
        }
    }
    if (a->h->plain) {
        memset(a->u, 0, d.o * sizeof(double));
        memset(a->v, 0, n_in * sizeof(double));
    }
}

static gan_status sn_setup(gan__layer *l)
{
    gan_status st = sn_base(l)->setup(l);
    if (st != GAN_OK)
        return st;
    if (l->n_state != 0)
        return gan__err(GAN_EINTERNAL, "spectral normalisation of a layer with its own state");
    l->n_state = sn_dims_of(l).o;
    l->aux_fixed += sn_aux_bytes(l);
    return GAN_OK;
}

static size_t sn_workspace(const gan__layer *l, size_t batch)
{
    const gan__layer_ops *base = sn_base(l);
    return sn_round64(l->n_params * sizeof(float)) + (base->workspace ? base->workspace(l, batch) : 0);
}

void gan__sn_init_u(const gan__layer *l, float *u, const gan__rng *layer_rng)
{
    const size_t n = sn_dims_of(l).o;
    gan__rng r = *layer_rng;
    double s = 0.0;
    /* A stream of its own: the kernel is drawn exactly as without the
       option, and u does not depend on the kernel's draws. */
    gan__rng_seed(&r, gan__rng_next(&r) ^ 0x5350454354524131ull);
    for (size_t o = 0; o < n; o++) {
        u[o] = gan__rng_normal(&r);
        s += (double)u[o] * u[o];
    }
    s = sqrt(s);
    for (size_t o = 0; o < n; o++)
        u[o] = s > 0.0 ? (float)(u[o] / s) : o == 0 ? 1.0f : 0.0f;
}

static void sn_init(gan__layer *l, float *w, float *state, gan__rng *r)
{
    gan__sn_init_u(l, state, r);
    if (sn_base(l)->init)
        sn_base(l)->init(l, w, NULL, r);
}

static void sn_forward(gan__layer *l, const gan__ctx *cx, const float *x, float *y)
{
    const sn_dims d = sn_dims_of(l);
    const size_t nw = d.a * d.o * d.b;
    sn_aux a = sn_aux_of(l, cx->aux);
    gan__ctx b;
    sn_estimate(l, cx->w, cx->state, cx->training, &a);
    if (a.h->plain) {
        memcpy(a.w, cx->w, nw * sizeof(float));
    } else {
        const double sigma = a.h->sigma;
        for (size_t i = 0; i < nw; i++)
            a.w[i] = (float)(cx->w[i] / sigma);
    }
    if (l->n_params > nw)
        memcpy(a.w + nw, cx->w + nw, (l->n_params - nw) * sizeof(float));
    sn_ctx(l, cx, &a, &b);
    sn_base(l)->forward(l, &b, x, y);
}

/* dw += the gradient with respect to W of a gradient g with respect to
   W / sigma (and the bias part unchanged). */
static void sn_chain(const gan__layer *l, const sn_aux *a, const float *g, float *dw)
{
    const sn_dims d = sn_dims_of(l);
    const size_t nw = d.a * d.o * d.b;
    for (size_t i = nw; i < l->n_params; i++)
        dw[i] += g[i];
    if (a->h->plain) {
        for (size_t i = 0; i < nw; i++)
            dw[i] += g[i];
        return;
    }
    double c = 0.0;
    const double sigma = a->h->sigma;
    for (size_t i = 0; i < nw; i++)
        c += (double)g[i] * a->w[i];
    /* Over o innermost (contiguous when B = 1, so it vectorises). */
    for (size_t ia = 0; ia < d.a; ia++)
        for (size_t b = 0; b < d.b; b++) {
            const size_t i0 = ia * d.o * d.b + b;
            const double vj = a->v[ia * d.b + b];
            for (size_t o = 0; o < d.o; o++)
                dw[i0 + o * d.b] += (float)((g[i0 + o * d.b] - c * a->u[o] * vj) / sigma);
        }
}

static void sn_backward(gan__layer *l, const gan__ctx *cx, const float *x, const float *y,
                        const float *dy, float *dx)
{
    sn_aux a = sn_aux_of(l, cx->aux);
    gan__ctx b;
    float *g;
    sn_ctx(l, cx, &a, &b);
    if (!cx->dw) {
        sn_base(l)->backward(l, &b, x, y, dy, dx);
        return;
    }
    g = cx->ws;
    memset(g, 0, l->n_params * sizeof(float));
    b.dw = g;
    sn_base(l)->backward(l, &b, x, y, dy, dx);
    sn_chain(l, &a, g, cx->dw);
}

/* u (the state) must not be all zero: the power iteration could not
   leave it. */
static gan_status sn_check_state(const gan__layer *l, size_t from, const float *u, size_t n, uint32_t *acc)
{
    for (size_t i = 0; i < n && !*acc; i++)
        *acc = u[i] != 0.0f;   /* a non-zero value seen */
    if (n == 0 && from == l->n_state && !*acc)
        return gan__err(GAN_EINVAL, "the spectral normalisation vector u is all zero");
    return GAN_OK;
}

void gan__sn_base_ctx(const gan__layer *l, const gan__ctx *cx, gan__ctx *base)
{
    sn_aux a = sn_aux_of(l, cx->aux);
    sn_ctx(l, cx, &a, base);
}

/* Only what runs a layer: everything else about it is its kind's. */
const gan__layer_ops gan__sn_ops = {
    .name = "spectral_norm",
    .setup = sn_setup,
    .workspace = sn_workspace,
    .init = sn_init,
    .forward = sn_forward,
    .backward = sn_backward,
    .check_state = sn_check_state,
};

/* ---- the normalised kernel, for the ONNX export ------------------------------- */

gan_status gan__sn_weights(const gan__layer *l, const float *w, const float *state, float *out)
{
    const sn_dims d = sn_dims_of(l);
    const size_t nw = d.a * d.o * d.b;
    void *aux = gan__malloc(sn_aux_bytes(l));
    sn_aux a;
    if (!aux)
        return gan__err(GAN_ENOMEM, "spectral normalisation: out of memory");
    a = sn_aux_of(l, aux);
    /* Inference mode only reads the state. */
    sn_estimate(l, w, (float *)(uintptr_t)state, 0, &a);
    if (a.h->plain) {
        memcpy(out, w, nw * sizeof(float));
    } else {
        const double sigma = a.h->sigma;
        for (size_t i = 0; i < nw; i++)
            out[i] = (float)(w[i] / sigma);
    }
    if (l->n_params > nw)
        memcpy(out + nw, w + nw, (l->n_params - nw) * sizeof(float));
    gan__free(aux);
    return GAN_OK;
}
