/*
 * precision_recall.c -- improved precision and recall (Kynkaanniemi et al.
 * 2019, "Improved Precision and Recall Metric for Assessing Generative
 * Models") on feature vectors, e.g. the FID classifier's.
 *
 * Each set's manifold is the union of balls around its points, the radius
 * of point i being the distance to its k-th nearest neighbour in the same
 * set (itself excluded):
 *   precision = the share of generated points inside the real manifold
 *   recall    = the share of real points inside the generated manifold
 * "inside": within the radius of at least one point of the other set
 * (distance <= radius, as the authors' code).  Squared distances come from
 * |a|^2 + |b|^2 - 2 <a, b> with the inner products by GEMM, blocks of rows
 * at a time (O(block * n) memory), accumulated in double for the norms and
 * clamped at 0; gan__pr_ref is the naive twin (differences summed in
 * double) that the tests hold it against.
 */
#include <math.h>

#include "metrics/metrics.h"

#define PR_BLOCK 256
#define PR_MAX_K 1024

/* |row|^2 of n rows of dim floats, in double. */
static void pr_norms(const float *x, size_t n, size_t dim, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < dim; j++)
            s += (double)x[i * dim + j] * x[i * dim + j];
        out[i] = s;
    }
}

/* Squared distances of rows a[0..na) to every row of b (nb rows): d (na, nb). */
static void pr_dist_block(const float *a, const double *na2, size_t na, const float *b,
                          const double *nb2, size_t nb, size_t dim, float *d)
{
    gan__sgemm(0, 1, (int)na, (int)nb, (int)dim, -2.0f, a, (int)dim, b, (int)dim, 0.0f, d,
               (int)nb);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            const double v = (double)d[i * nb + j] + na2[i] + nb2[j];
            d[i * nb + j] = v > 0.0 ? (float)v : 0.0f;
        }
}

/* The k-th smallest of row[0..n) without index `self` (k <= n - 1): a
   sorted window of the k smallest. */
static float pr_kth(const float *row, size_t n, size_t self, int k, float *win)
{
    int m = 0;
    for (size_t j = 0; j < n; j++) {
        float v = row[j];
        int p;
        if (j == self)
            continue;
        if (m == k && v >= win[k - 1])
            continue;
        p = m < k ? m++ : k - 1;
        while (p > 0 && win[p - 1] > v) {
            win[p] = win[p - 1];
            p--;
        }
        win[p] = v;
    }
    return win[k - 1];
}

/* r2[i] = squared distance of x_i to its k-th nearest neighbour in x. */
static void pr_radii(const float *x, const double *n2, size_t n, size_t dim, int k, float *d,
                     float *win, float *r2)
{
    for (size_t i0 = 0; i0 < n; i0 += PR_BLOCK) {
        const size_t nb = n - i0 < PR_BLOCK ? n - i0 : PR_BLOCK;
        pr_dist_block(x + i0 * dim, n2 + i0, nb, x, n2, n, dim, d);
        for (size_t i = 0; i < nb; i++)
            r2[i0 + i] = pr_kth(d + i * n, n, i0 + i, k, win);
    }
}

/* The share of rows of q inside the balls (centres x, squared radii r2). */
static double pr_coverage(const float *q, const double *q2, size_t nq, const float *x,
                          const double *x2, const float *r2, size_t nx, size_t dim, float *d)
{
    size_t inside = 0;
    for (size_t i0 = 0; i0 < nq; i0 += PR_BLOCK) {
        const size_t nb = nq - i0 < PR_BLOCK ? nq - i0 : PR_BLOCK;
        pr_dist_block(q + i0 * dim, q2 + i0, nb, x, x2, nx, dim, d);
        for (size_t i = 0; i < nb; i++) {
            const float *row = d + i * nx;
            size_t j = 0;
            while (j < nx && row[j] > r2[j])
                j++;
            inside += j < nx;
        }
    }
    return (double)inside / (double)nq;
}

static gan_status pr_check(const float *real, size_t real_count, size_t n_real, const float *fake,
                           size_t fake_count, size_t n_fake, size_t dim, int k, const char *func)
{
    if (real == NULL || fake == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: real and fake must not be NULL", func);
    if (dim == 0 || dim > GAN__FID_MAX_DIM)
        return gan__err(GAN_EINVAL, "%s: dim %zu must be in 1..%d", func, dim, GAN__FID_MAX_DIM);
    if (k < 1 || k > PR_MAX_K)
        return gan__err(GAN_EINVAL, "%s: k %d must be in 1..%d", func, k, PR_MAX_K);
    if (n_real <= (size_t)k || n_fake <= (size_t)k)
        return gan__err(GAN_EINVAL, "%s: %zu real and %zu generated points: each set needs more "
                        "than k = %d", func, n_real, n_fake, k);
    if (n_real > ((size_t)1 << 31) / dim || n_fake > ((size_t)1 << 31) / dim)
        return gan__err(GAN_EINVAL, "%s: sets of %zu and %zu points of %zu features are too large",
                        func, n_real, n_fake, dim);
    if (real_count != n_real * dim)
        return gan__err(GAN_ESHAPE, "%s: real has %zu values, expected %zu (%zu x %zu)", func,
                        real_count, n_real * dim, n_real, dim);
    if (fake_count != n_fake * dim)
        return gan__err(GAN_ESHAPE, "%s: fake has %zu values, expected %zu (%zu x %zu)", func,
                        fake_count, n_fake * dim, n_fake, dim);
    for (size_t i = 0; i < real_count; i++)
        if (!isfinite(real[i]))
            return gan__err(GAN_ENUMERIC, "%s: real value %zu is not finite", func, i);
    for (size_t i = 0; i < fake_count; i++)
        if (!isfinite(fake[i]))
            return gan__err(GAN_ENUMERIC, "%s: fake value %zu is not finite", func, i);
    return GAN_OK;
}

gan_status gan_precision_recall(const float *real, size_t real_count, size_t n_real,
                                const float *fake, size_t fake_count, size_t n_fake, size_t dim,
                                int k, double *precision, double *recall)
{
    gan_status st;
    const size_t n_max = n_real > n_fake ? n_real : n_fake;
    double *r2n = NULL, *f2n = NULL;
    float *rr = NULL, *fr = NULL, *d = NULL, *win = NULL;
    if ((st = pr_check(real, real_count, n_real, fake, fake_count, n_fake, dim, k, __func__)) !=
        GAN_OK)
        return st;
    r2n = gan__malloc(n_real * sizeof *r2n);
    f2n = gan__malloc(n_fake * sizeof *f2n);
    rr = gan__malloc(n_real * sizeof *rr);
    fr = gan__malloc(n_fake * sizeof *fr);
    d = gan__aligned_alloc(PR_BLOCK * n_max * sizeof *d);
    win = gan__malloc((size_t)k * sizeof *win);
    if (!r2n || !f2n || !rr || !fr || !d || !win) {
        st = gan__err(GAN_ENOMEM, "%s: out of memory for %zu and %zu points", __func__, n_real,
                      n_fake);
        goto done;
    }
    pr_norms(real, n_real, dim, r2n);
    pr_norms(fake, n_fake, dim, f2n);
    pr_radii(real, r2n, n_real, dim, k, d, win, rr);
    pr_radii(fake, f2n, n_fake, dim, k, d, win, fr);
    if (precision)
        *precision = pr_coverage(fake, f2n, n_fake, real, r2n, rr, n_real, dim, d);
    if (recall)
        *recall = pr_coverage(real, r2n, n_real, fake, f2n, fr, n_fake, dim, d);
done:
    gan__free(r2n);
    gan__free(f2n);
    gan__free(rr);
    gan__free(fr);
    gan__aligned_free(d);
    gan__free(win);
    return st;
}

/* ---- the naive twin ----------------------------------------------------------- */

static double pr_ref_d2(const float *a, const float *b, size_t dim)
{
    double s = 0.0;
    for (size_t j = 0; j < dim; j++) {
        const double t = (double)a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* k-th nearest neighbour distances by full sorting-free selection. */
static void pr_ref_radii(const float *x, size_t n, size_t dim, int k, double *r2)
{
    for (size_t i = 0; i < n; i++) {
        /* k passes of "smallest larger than the previous", counting ties. */
        double last = -1.0;
        int have = 0;
        while (have < k) {
            double best = INFINITY;
            int mult = 0;
            for (size_t j = 0; j < n; j++) {
                double v;
                if (j == i)
                    continue;
                v = pr_ref_d2(x + i * dim, x + j * dim, dim);
                if (v > last && v < best) {
                    best = v;
                    mult = 1;
                } else if (v == best) {
                    mult++;
                }
            }
            have += mult;
            last = best;
        }
        r2[i] = last;
    }
}

static double pr_ref_cov(const float *q, size_t nq, const float *x, const double *r2, size_t nx,
                         size_t dim)
{
    size_t inside = 0;
    for (size_t i = 0; i < nq; i++) {
        int in = 0;
        for (size_t j = 0; j < nx && !in; j++)
            in = pr_ref_d2(q + i * dim, x + j * dim, dim) <= r2[j];
        inside += (size_t)in;
    }
    return (double)inside / (double)nq;
}

gan_status gan__pr_ref(const float *real, size_t n_real, const float *fake, size_t n_fake,
                       size_t dim, int k, double *precision, double *recall)
{
    double *rr = gan__malloc(n_real * sizeof *rr), *fr = gan__malloc(n_fake * sizeof *fr);
    if (!rr || !fr) {
        gan__free(rr);
        gan__free(fr);
        return gan__err(GAN_ENOMEM, "out of memory");
    }
    pr_ref_radii(real, n_real, dim, k, rr);
    pr_ref_radii(fake, n_fake, dim, k, fr);
    *precision = pr_ref_cov(fake, n_fake, real, rr, n_real, dim);
    *recall = pr_ref_cov(real, n_real, fake, fr, n_fake, dim);
    gan__free(rr);
    gan__free(fr);
    return GAN_OK;
}
