/*
 * im2col.c -- lowering convolutions to one GEMM over a whole batch (NHWC).
 *
 * Row r = (img, oy, ox) of the column matrix holds the kernel window of
 * output position (oy, ox) laid out as (ky, kx, c).  In NHWC the kw*c values
 * of one kernel row are contiguous in the image, so a window row is a single
 * memcpy unless it crosses the left or right border.  The column matrix
 * times the (kh*kw*c, filters) kernel gives the NHWC output directly.
 */
#include "kernels/kernels.h"

GAN__SIMD_BODY void im2col_body(const gan__conv_geom *g, int n, const float *x, float *col)
{
    const int C = g->ic, K = g->kh * g->kw * C;
    const size_t img = (size_t)g->ih * g->iw * C;
    for (int b = 0; b < n; b++) {
        const float *xb = x + (size_t)b * img;
        for (int oy = 0; oy < g->oh; oy++) {
            for (int ox = 0; ox < g->ow; ox++) {
                float *dst = col + (((size_t)b * g->oh + oy) * g->ow + ox) * K;
                const int ix0 = ox * g->sw - g->pad_left;
                const int inside = ix0 >= 0 && ix0 + g->kw <= g->iw;
                for (int ky = 0; ky < g->kh; ky++, dst += (size_t)g->kw * C) {
                    const int iy = oy * g->sh - g->pad_top + ky;
                    if (iy < 0 || iy >= g->ih) {
                        memset(dst, 0, sizeof(float) * g->kw * C);
                        continue;
                    }
                    const float *src = xb + ((size_t)iy * g->iw) * C;
                    if (inside) {
                        memcpy(dst, src + (size_t)ix0 * C, sizeof(float) * g->kw * C);
                        continue;
                    }
                    for (int kx = 0; kx < g->kw; kx++) {
                        const int ix = ix0 + kx;
                        if (ix < 0 || ix >= g->iw)
                            memset(dst + kx * C, 0, sizeof(float) * C);
                        else
                            memcpy(dst + kx * C, src + (size_t)ix * C, sizeof(float) * C);
                    }
                }
            }
        }
    }
}
GAN__SIMD_VARIANTS(im2col, (const gan__conv_geom *g, int n, const float *x, float *col),
                   (g, n, x, col))

/* Images [lo, hi) of a batch, one slice per thread: the images are
   independent in both directions (col2im adds only into its own image). */
typedef struct lowering_job {
    const gan__conv_geom *g;
    const float *src;
    float *dst;
} lowering_job;

static size_t col_floats(const gan__conv_geom *g)
{
    return (size_t)g->oh * g->ow * g->kh * g->kw * g->ic;
}

static size_t img_floats(const gan__conv_geom *g)
{
    return (size_t)g->ih * g->iw * g->ic;
}

static void im2col_slice(void *ctx, size_t lo, size_t hi)
{
    const lowering_job *j = ctx;
    GAN__SIMD_CALL(im2col, (j->g, (int)(hi - lo), j->src + lo * img_floats(j->g),
                            j->dst + lo * col_floats(j->g)));
}

void gan__im2col(const gan__conv_geom *g, int n, const float *x, float *col)
{
    lowering_job j = {g, x, col};
    /* Whole images per slice; threads when the columns are large. */
    gan__parallel_range((size_t)n, 1, gan__par_min_items(col_floats(g)),
                        im2col_slice, &j);
}

/* d[0..n) += s[0..n); the two never overlap (col and image are distinct). */
static inline void gan__add_row(float *restrict d, const float *restrict s, int n)
{
    for (int c = 0; c < n; c++)
        d[c] += s[c];
}

/*
 * col2im adds each column row (a kernel window) into one image.  It runs in
 * the columns' order -- window (oy, ox), then (ky, kx) -- so every image
 * element receives its terms in the twin's order, whatever part of the
 * image a call writes: rows [y0, y1) take the windows that reach them (and
 * only those windows' rows inside).  Bands of rows let threads share one
 * image (batch-1 sampling) with the same bits.
 */
GAN__SIMD_BODY void col2im_body(const gan__conv_geom *g, int y0, int y1, const float *col,
                                float *x)
{
    const int C = g->ic, K = g->kh * g->kw * C;
    /* Windows oy with oy sh - pad_top + ky in [y0, y1) for some ky < kh. */
    const int first = y0 + g->pad_top - (g->kh - 1), last = y1 - 1 + g->pad_top;
    const int oy0 = first <= 0 ? 0 : (first + g->sh - 1) / g->sh;
    const int oy1 = last < 0 ? 0 : (last / g->sh + 1 < g->oh ? last / g->sh + 1 : g->oh);
    for (int oy = oy0; oy < oy1; oy++) {
        for (int ox = 0; ox < g->ow; ox++) {
            const float *src = col + ((size_t)oy * g->ow + ox) * K;
            const int ix0 = ox * g->sw - g->pad_left;
            for (int ky = 0; ky < g->kh; ky++, src += (size_t)g->kw * C) {
                const int iy = oy * g->sh - g->pad_top + ky;
                if (iy < y0 || iy >= y1)
                    continue;
                float *row = x + ((size_t)iy * g->iw) * C;
                if (ix0 >= 0 && ix0 + g->kw <= g->iw) {
                    /* The kw*C window is contiguous in both. */
                    gan__add_row(row + (size_t)ix0 * C, src, g->kw * C);
                    continue;
                }
                for (int kx = 0; kx < g->kw; kx++) {
                    const int ix = ix0 + kx;
                    if (ix < 0 || ix >= g->iw)
                        continue;
                    gan__add_row(row + (size_t)ix * C, src + kx * C, C);
                }
            }
        }
    }
}
GAN__SIMD_VARIANTS(col2im, (const gan__conv_geom *g, int y0, int y1, const float *col, float *x),
                   (g, y0, y1, col, x))


/*
 * The image rows of the batch, n * ih, split between the threads: whole
 * images per slice when there are at least as many images as threads,
 * bands of rows of one image otherwise (a batch of one).  zero: clear
 * the slice's rows first (col2im_set).
 */
typedef struct col2im_job {
    const gan__conv_geom *g;
    const float *col;
    float *x;
    int zero;
} col2im_job;

static void col2im_rows_slice(void *ctx, size_t lo, size_t hi)
{
    const col2im_job *j = ctx;
    const gan__conv_geom *g = j->g;
    const size_t ih = (size_t)g->ih, row = (size_t)g->iw * g->ic;
    while (lo < hi) {
        const size_t b = lo / ih, y0 = lo - b * ih;
        const size_t y1 = hi - b * ih < ih ? hi - b * ih : ih;
        float *xb = j->x + b * img_floats(g);
        if (j->zero)
            memset(xb + y0 * row, 0, (y1 - y0) * row * sizeof(float));
        GAN__SIMD_CALL(col2im, (g, (int)y0, (int)y1, j->col + b * col_floats(g), xb));
        lo = b * ih + y1;
    }
}

static void gan__col2im_rows(const gan__conv_geom *g, int n, const float *col, float *x, int zero)
{
    col2im_job j = {g, col, x, zero};
    const size_t rows = (size_t)n * g->ih;
    const size_t grain = n >= gan__pool_threads() ? (size_t)g->ih : 1;
    gan__parallel_range(rows, grain, gan__par_min_items(col_floats(g) / (size_t)g->ih + 1),
                        col2im_rows_slice, &j);
}

void gan__col2im(const gan__conv_geom *g, int n, const float *col, float *x)
{
    gan__col2im_rows(g, n, col, x, 0);
}

void gan__col2im_set(const gan__conv_geom *g, int n, const float *col, float *x)
{
    gan__col2im_rows(g, n, col, x, 1);
}

/* The naive twin of gan__col2im: the test oracle. */
void gan__col2im_ref(const gan__conv_geom *g, int n, const float *col, float *x)
{
    const int C = g->ic, K = g->kh * g->kw * C;
    const size_t img = (size_t)g->ih * g->iw * C;
    for (int b = 0; b < n; b++) {
        float *xb = x + (size_t)b * img;
        for (int oy = 0; oy < g->oh; oy++) {
            for (int ox = 0; ox < g->ow; ox++) {
                const float *src = col + (((size_t)b * g->oh + oy) * g->ow + ox) * K;
                const int ix0 = ox * g->sw - g->pad_left;
                for (int ky = 0; ky < g->kh; ky++, src += (size_t)g->kw * C) {
                    const int iy = oy * g->sh - g->pad_top + ky;
                    if (iy < 0 || iy >= g->ih)
                        continue;
                    float *row = xb + ((size_t)iy * g->iw) * C;
                    for (int kx = 0; kx < g->kw; kx++) {
                        const int ix = ix0 + kx;
                        if (ix < 0 || ix >= g->iw)
                            continue;
                        float *d = row + (size_t)ix * C;
                        const float *s = src + kx * C;
                        for (int c = 0; c < C; c++)
                            d[c] += s[c];
                    }
                }
            }
        }
    }
}

GAN__SIMD_BODY void add_bias_rows_body(float *restrict y, const float *restrict b, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            y[i * cols + j] += b[j];
}
GAN__SIMD_VARIANTS(add_bias_rows, (float *restrict y, const float *restrict b, size_t rows,
                   size_t cols),
                   (y, b, rows, cols))

typedef struct bias_job {
    float *y;
    const float *b;
    size_t cols;
} bias_job;

static void add_bias_slice(void *ctx, size_t lo, size_t hi)
{
    const bias_job *j = ctx;
    GAN__SIMD_CALL(add_bias_rows, (j->y + lo * j->cols, j->b, hi - lo, j->cols));
}

void gan__add_bias_rows(float *restrict y, const float *restrict b, size_t rows, size_t cols)
{
    bias_job j = {y, b, cols};
    gan__parallel_range(rows, 1, gan__par_min_items(cols), add_bias_slice, &j);
}

GAN__SIMD_BODY void bias_grad_rows_body(float *restrict db, const float *restrict dy, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            db[j] += dy[i * cols + j];
}
GAN__SIMD_VARIANTS(bias_grad_rows, (float *restrict db, const float *restrict dy, size_t rows,
                   size_t cols),
                   (db, dy, rows, cols))

void gan__bias_grad_rows(float *restrict db, const float *restrict dy, size_t rows, size_t cols)
{
    GAN__SIMD_CALL(bias_grad_rows, (db, dy, rows, cols));
}
