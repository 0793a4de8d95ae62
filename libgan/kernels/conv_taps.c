/*
 * conv_taps.c -- transposed convolution by kernel rows, without the im2col
 * path's products that land above or below the output.
 *
 * The im2col path (conv2d_transpose.c) multiplies every input pixel by
 * every kernel tap and col2im then drops the products that land outside
 * the output.  With 'same' padding on small maps that is a large share:
 * the MNIST generator's 7x7 -> 7x7 5x5 layer (half of that workload's
 * FLOPs) keeps only (29/35)^2 = 69% of them.  Here the work is split by
 * kernel row ky: the input rows iy whose products land inside
 * (0 <= iy s + ky - pad_top < H, s the stride) are multiplied by that
 * kernel row only,
 *
 *   col = x[rows of ky] W[ky]^T        W[ky]: (kw * F) x C
 *   y[iy s + ky - pt, ix s + kx - pl] += col[(iy, ix), kx]   (inside only)
 *
 * so the rows kept are 29/35 = 83% (the columns that fall off the left and
 * right edges are still computed and dropped).  On (h, w, n, c) copies of
 * the tensors -- the batch inside the pixel -- the input rows of one kernel
 * row are one contiguous block for the whole batch: one large GEMM per
 * kernel row (5 calls, not one per tap and row, which OpenBLAS' threads
 * pay for on a busy machine).  Backward gathers the same blocks of dy
 * (dcol) once per kernel row and uses them for both products:
 * dx[rows] += dcol W[ky] and dW[ky] += dcol^T x[rows].
 *
 * Chosen (gan__deconv_taps_pays) when at most 90% of the im2col products'
 * rows are kept (the MNIST generator's 7x7 stride-1 layer: 29/35; the CIFAR
 * generator's 4x4 -> 8x8 stride-2 layer: 14/16); every other layer keeps
 * the im2col path.
 * The sums run in a different order than the im2col path's, so the bits
 * differ while the values agree to rounding (tests/check_conv.c checks
 * both paths against the naive twin).
 */
#include "kernels/kernels.h"

/* Input indices i in [*lo, *hi) of a side of n_in whose target i s + d
   is inside 0..n_out-1. */
static void gan__tap_range(int n_in, int n_out, int s, int d, int *lo, int *hi)
{
    *lo = d < 0 ? (-d + s - 1) / s : 0;
    *hi = n_out - d > 0 ? (n_out - d + s - 1) / s : 0;
    if (*hi > n_in)
        *hi = n_in;
    if (*hi < *lo)
        *hi = *lo;
}

double gan__deconv_taps_kept(const gan__conv_geom *g)
{
    /* The transpose maps (oh, ow) to (ih, iw): see conv2d_transpose.c. */
    long rows = 0;
    int lo, hi;
    for (int k = 0; k < g->kh; k++) {
        gan__tap_range(g->oh, g->ih, g->sh, k - g->pad_top, &lo, &hi);
        rows += hi - lo;
    }
    return (double)rows / ((double)g->oh * g->kh);
}

int gan__deconv_taps_pays(const gan__conv_geom *g)
{
    return gan__deconv_taps_kept(g) <= 0.9;
}

size_t gan__deconv_taps_ws_per_image(const gan__conv_geom *g, int C)
{
    const size_t in = (size_t)g->oh * g->ow * C, out = (size_t)g->ih * g->iw * g->ic;
    const size_t col = (size_t)g->oh * g->ow * g->kw * g->ic;  /* all rows of one ky */
    return (2 * in + out + col) * sizeof(float);   /* x, dx, dy copies and col */
}

/* (n, P, c) <-> (P, n, c): copies, split over P between the threads. */
typedef struct pnc_job {
    const float *src;
    float *dst;
    int n;
    size_t P, c;
} pnc_job;

static void to_pnc_slice(void *ctx, size_t lo, size_t hi)
{
    const pnc_job *j = ctx;
    for (size_t p = lo; p < hi; p++)
        for (int b = 0; b < j->n; b++)
            memcpy(j->dst + (p * (size_t)j->n + (size_t)b) * j->c,
                   j->src + ((size_t)b * j->P + p) * j->c, j->c * sizeof(float));
}

static void from_pnc_slice(void *ctx, size_t lo, size_t hi)
{
    const pnc_job *j = ctx;
    for (size_t p = lo; p < hi; p++)
        for (int b = 0; b < j->n; b++)
            memcpy(j->dst + ((size_t)b * j->P + p) * j->c,
                   j->src + (p * (size_t)j->n + (size_t)b) * j->c, j->c * sizeof(float));
}

static void gan__to_pnc(const float *restrict x, int n, size_t P, size_t c, float *restrict t)
{
    pnc_job j = {x, t, n, P, c};
    gan__parallel_range(P, 1, gan__par_min_items((size_t)n * c), to_pnc_slice, &j);
}

static void gan__from_pnc(const float *restrict t, int n, size_t P, size_t c, float *restrict x)
{
    pnc_job j = {t, x, n, P, c};
    gan__parallel_range(P, 1, gan__par_min_items((size_t)n * c), from_pnc_slice, &j);
}

/*
 * Between col (rows (iy, ix, b) for iy in [y0, y1), columns (kx, f)) and
 * the (H, W, n, F) copy yt, for kernel row offset dy (target row iy sh + dy,
 * column ix sw + kx - pl): scatter adds col into yt (forward); gather copies
 * yt into col, zero where outside (backward).  Split over iy between the
 * threads: distinct iy have distinct target rows, so the slices never
 * write the same element.
 */
typedef struct rows_job {
    const gan__conv_geom *g;
    int n, y0, dy;
    const float *src;
    float *dst;
} rows_job;

static void rows_scatter_slice(void *ctx, size_t lo, size_t hi)
{
    const rows_job *j = ctx;
    const gan__conv_geom *g = j->g;
    const int F = g->ic, wd = g->ow, W = g->iw, kw = g->kw, n = j->n;
    const size_t rowlen = (size_t)kw * F;
    const float *restrict col = j->src;
    float *restrict yt = j->dst;
    for (int iy = j->y0 + (int)lo; iy < j->y0 + (int)hi; iy++)
        for (int ix = 0; ix < wd; ix++)
            for (int kx = 0; kx < kw; kx++) {
                const int ox = ix * g->sw + kx - g->pad_left;
                if (ox < 0 || ox >= W)
                    continue;
                const float *s = col + (((size_t)(iy - j->y0) * wd + ix) * n) * rowlen +
                                 (size_t)kx * F;
                float *d = yt + (((size_t)(iy * g->sh + j->dy) * W + ox) * n) * F;
                for (int b = 0; b < n; b++, s += rowlen, d += F)
                    for (int f = 0; f < F; f++)
                        d[f] += s[f];
            }
}

static void rows_gather_slice(void *ctx, size_t lo, size_t hi)
{
    const rows_job *j = ctx;
    const gan__conv_geom *g = j->g;
    const int F = g->ic, wd = g->ow, W = g->iw, kw = g->kw, n = j->n;
    const size_t rowlen = (size_t)kw * F;
    const float *restrict yt = j->src;
    float *restrict col = j->dst;
    for (int iy = j->y0 + (int)lo; iy < j->y0 + (int)hi; iy++)
        for (int ix = 0; ix < wd; ix++)
            for (int kx = 0; kx < kw; kx++) {
                const int ox = ix * g->sw + kx - g->pad_left;
                float *d = col + (((size_t)(iy - j->y0) * wd + ix) * n) * rowlen + (size_t)kx * F;
                if (ox < 0 || ox >= W) {
                    for (int b = 0; b < n; b++, d += rowlen)
                        memset(d, 0, (size_t)F * sizeof(float));
                    continue;
                }
                const float *s = yt + (((size_t)(iy * g->sh + j->dy) * W + ox) * n) * F;
                for (int b = 0; b < n; b++, s += F, d += rowlen)
                    memcpy(d, s, (size_t)F * sizeof(float));
            }
}

/* Input rows a scatter or gather needs before it is split: a quarter of
   the usual bound.  These passes are read-and-add with little arithmetic,
   and at batch 1 (the CIFAR generator's 4x4 -> 8x8 layer: 3-4 rows of
   4,096 floats per kernel row) the usual bound left all four on one
   thread: 7-9.5 us each of a 1.5 ms sample, 4.9-5.4 split in two. */
static size_t rows_min(const gan__conv_geom *g, int n)
{
    const size_t per = (size_t)g->ow * n * g->kw * g->ic; /* col floats per input row */
    return (GAN__PAR_MIN_FLOATS / 4 + per - 1) / per;
}

static void gan__rows_scatter(const gan__conv_geom *g, int n, int y0, int y1, int dy,
                              const float *restrict col, float *restrict yt)
{
    rows_job j = {g, n, y0, dy, col, yt};
    gan__parallel_range((size_t)(y1 - y0), 1, rows_min(g, n), rows_scatter_slice, &j);
}

static void gan__rows_gather(const gan__conv_geom *g, int n, int y0, int y1, int dy,
                             const float *restrict yt, float *restrict col)
{
    rows_job j = {g, n, y0, dy, yt, col};
    gan__parallel_range((size_t)(y1 - y0), 1, rows_min(g, n), rows_gather_slice, &j);
}

void gan__deconv_taps_forward(const gan__conv_geom *g, int C, int nb, const float *x,
                              const float *w, float *y, float *ws)
{
    const int F = g->ic, wd = g->ow, kwF = g->kw * g->ic;
    const size_t in = (size_t)nb * g->oh * wd * C, out = (size_t)nb * g->ih * g->iw * F;
    float *xt = ws, *yt = ws + in, *col = yt + out;
    gan__to_pnc(x, nb, (size_t)g->oh * wd, (size_t)C, xt);
    gan__parallel_zero(yt, out);
    for (int ky = 0; ky < g->kh; ky++) {
        const int dy = ky - g->pad_top;
        int y0, y1;
        gan__tap_range(g->oh, g->ih, g->sh, dy, &y0, &y1);
        if (y0 >= y1)
            continue;
        const int M = (y1 - y0) * wd * nb;
        gan__sgemm(0, 1, M, kwF, C, 1.0f, xt + (size_t)y0 * wd * nb * C, C,
                   w + (size_t)ky * kwF * C, C, 0.0f, col, kwF);
        gan__rows_scatter(g, nb, y0, y1, dy, col, yt);
    }
    gan__from_pnc(yt, nb, (size_t)g->ih * g->iw, (size_t)F, y);
}

void gan__deconv_taps_backward(const gan__conv_geom *g, int C, int nb, const float *x,
                               const float *w, const float *dy, float *dw, float *dx, float *ws)
{
    const int F = g->ic, wd = g->ow, kwF = g->kw * g->ic;
    const size_t in = (size_t)nb * g->oh * wd * C, out = (size_t)nb * g->ih * g->iw * F;
    float *xt = ws, *dxt = ws + in, *dyt = ws + 2 * in, *col = dyt + out;
    gan__to_pnc(dy, nb, (size_t)g->ih * g->iw, (size_t)F, dyt);
    if (dw)
        gan__to_pnc(x, nb, (size_t)g->oh * wd, (size_t)C, xt);
    if (dx)
        gan__parallel_zero(dxt, in);
    for (int ky = 0; ky < g->kh; ky++) {
        const int oy = ky - g->pad_top;
        int y0, y1;
        gan__tap_range(g->oh, g->ih, g->sh, oy, &y0, &y1);
        if (y0 >= y1)
            continue;
        const int M = (y1 - y0) * wd * nb;
        const size_t r0 = (size_t)y0 * wd * nb * C;
        gan__rows_gather(g, nb, y0, y1, oy, dyt, col);
        if (dx)
            gan__sgemm(0, 0, M, C, kwF, 1.0f, col, kwF, w + (size_t)ky * kwF * C, C, 1.0f,
                       dxt + r0, C);
        if (dw)
            gan__sgemm(1, 0, kwF, C, M, 1.0f, col, kwF, xt + r0, C, 1.0f,
                       dw + (size_t)ky * kwF * C, C);
    }
    if (dx)
        gan__from_pnc(dxt, nb, (size_t)g->oh * wd, (size_t)C, dx);
}
