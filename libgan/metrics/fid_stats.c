/*
 * fid_stats.c -- FID's side of the metrics: streaming feature statistics,
 * the Frechet distance and their file format.
 *
 * Streaming statistics.  A gan_fid_stats keeps, in double precision, the
 * count n, the mean and the centred scatter matrix M2 = sum (x - mean)
 * (x - mean)^T.  Each batch is folded in with Chan et al.'s update:
 * the batch's own mean mb and scatter M2b (computed from rows centred on
 * mb, so no large-number cancellation) are merged as
 *   delta = mb - mean;  n' = n + nb;  mean += delta nb / n'
 *   M2 += M2b + delta delta^T n nb / n'
 * so the result does not depend on how the samples were split into
 * batches (up to rounding).  The covariance is M2 / (n - 1), numpy's
 * np.cov(rowvar=False).
 *
 * File format of saved statistics (all integers and doubles little-endian,
 * doubles IEEE-754 binary64):
 *   offset 0   8 bytes  magic "GANFSTAT"
 *          8   u32      format version (1)
 *         12   u32      dim (feature dimension, 1..65536)
 *         16   u64      count (samples accumulated)
 *         24   u32      feature network id (CRC-32 of the feature layer
 *                       index, the network's parameters and batchnorm
 *                       statistics; 0 = unknown, e.g. gan_fid_stats_add)
 *         28   u32      reserved, 0
 *         32   dim      f64 mean
 *         ..   dim*dim  f64 covariance, row-major, full (M2 / (count - 1);
 *                       all zero when count < 2)
 *         ..   u32      CRC-32 (zlib) of every preceding byte
 * The length must be exactly 36 + 8 dim + 8 dim^2 bytes.
 */
#include <math.h>
#include <zlib.h>

#include "metrics/metrics.h"
static void gan__fid_free_arrays(gan_fid_stats *s)
{
    gan__free(s->mean);
    s->mean = s->m2 = s->bmean = s->bm2 = s->rows = NULL;
}

gan_status gan_fid_stats_create(gan_fid_stats **out, size_t dim)
{
    gan_fid_stats *s;
    size_t total;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    if (dim == 0 || dim > GAN__FID_MAX_DIM)
        return gan__err(GAN_EINVAL, "gan_fid_stats_create: dimension %zu must be in 1..%d", dim,
                        GAN__FID_MAX_DIM);
    s = gan__calloc(1, sizeof *s);
    total = 2 * dim + 2 * dim * dim + GAN__FID_CHUNK * dim;
    if (s)
        s->mean = gan__calloc(total, sizeof(double));
    if (!s || !s->mean) {
        gan__free(s);
        return gan__err(GAN_ENOMEM, "gan_fid_stats_create: out of memory for dimension %zu", dim);
    }
    s->magic = GAN__MAGIC_FID_STATS;
    s->dim = dim;
    s->m2 = s->mean + dim;
    s->bmean = s->m2 + dim * dim;
    s->bm2 = s->bmean + dim;
    s->rows = s->bm2 + dim * dim;
    gan__handle_created();
    *out = s;
    return GAN_OK;
}

void gan_fid_stats_free(gan_fid_stats *s)
{
    if (s == NULL || s->magic != GAN__MAGIC_FID_STATS)
        return;
    gan__fid_free_arrays(s);
    s->magic = GAN__MAGIC_DEAD;
    gan__free(s);
    gan__handle_freed();
}

gan_status gan_fid_stats_reset(gan_fid_stats *s)
{
    GAN__CHECK_HANDLE(s, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    s->n = 0;
    s->net_id = 0;
    memset(s->mean, 0, s->dim * sizeof(double));
    memset(s->m2, 0, s->dim * s->dim * sizeof(double));
    return GAN_OK;
}

/* Fold (nb, bmean, bm2) into s (Chan et al.). */
static void gan__fid_merge(gan_fid_stats *s, uint64_t nb, const double *bmean, const double *bm2)
{
    const size_t d = s->dim;
    const double na = (double)s->n, nbd = (double)nb, n = na + nbd;
    const double f = na * nbd / n;
    double *delta = s->rows; /* scratch: the rows are consumed by now */
    if (nb == 0)
        return;
    for (size_t i = 0; i < d; i++)
        delta[i] = bmean[i] - s->mean[i];
    for (size_t i = 0; i < d; i++) {
        double *mi = s->m2 + i * d;
        const double *bi = bm2 + i * d;
        const double di = delta[i] * f;
        for (size_t j = 0; j < d; j++)
            mi[j] += bi[j] + di * delta[j];
    }
    for (size_t i = 0; i < d; i++)
        s->mean[i] += delta[i] * (nbd / n);
    s->n += nb;
}

/* Add n rows of dim floats (finite, checked by the caller). */
void gan__fid_add_rows(gan_fid_stats *s, const float *x, size_t n)
{
    const size_t d = s->dim;
    for (size_t r0 = 0; r0 < n; r0 += GAN__FID_CHUNK) {
        const size_t nb = n - r0 < GAN__FID_CHUNK ? n - r0 : GAN__FID_CHUNK;
        const float *xb = x + r0 * d;
        memset(s->bmean, 0, d * sizeof(double));
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < d; j++)
                s->bmean[j] += xb[i * d + j];
        for (size_t j = 0; j < d; j++)
            s->bmean[j] /= (double)nb;
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < d; j++)
                s->rows[i * d + j] = (double)xb[i * d + j] - s->bmean[j];
        memset(s->bm2, 0, d * d * sizeof(double));
        gan__dsyrk_tn(nb, d, s->rows, s->bm2);
        gan__fid_merge(s, nb, s->bmean, s->bm2);
    }
}

gan_status gan_fid_stats_add(gan_fid_stats *s, const float *features, size_t count, size_t n)
{
    size_t want;
    GAN__CHECK_HANDLE(s, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    GAN__CHECK_ARG(features != NULL);
    if (gan__mul_size(n, s->dim, &want) || count != want)
        return gan__err(GAN_ESHAPE, "gan_fid_stats_add: features has %zu floats, expected %zu "
                        "(n %zu x dimension %zu)", count, n * s->dim, n, s->dim);
    if (gan__has_nonfinite(features, count))
        return gan__err(GAN_ENUMERIC, "gan_fid_stats_add: features contain NaN or infinity; "
                        "nothing was added");
    gan__fid_add_rows(s, features, n);
    return GAN_OK;
}

gan_status gan_fid_stats_merge(gan_fid_stats *dst, const gan_fid_stats *src)
{
    GAN__CHECK_HANDLE(dst, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    GAN__CHECK_HANDLE(src, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    if (dst == src)
        return gan__err(GAN_EINVAL, "gan_fid_stats_merge: dst and src are the same object");
    if (dst->dim != src->dim)
        return gan__err(GAN_ESHAPE, "gan_fid_stats_merge: dimensions differ (%zu and %zu)",
                        dst->dim, src->dim);
    if (dst->n && src->n && dst->net_id && src->net_id && dst->net_id != src->net_id)
        return gan__err(GAN_ESTATE, "gan_fid_stats_merge: the statistics come from different "
                        "feature networks (ids %08x and %08x)", (unsigned)dst->net_id,
                        (unsigned)src->net_id);
    if (src->n == 0)
        return GAN_OK;
    if (dst->n == 0)
        dst->net_id = src->net_id;
    gan__fid_merge(dst, src->n, src->mean, src->m2);
    return GAN_OK;
}

gan_status gan_fid_stats_info(const gan_fid_stats *s, size_t *dim, uint64_t *count,
                              uint32_t *network_id)
{
    GAN__CHECK_HANDLE(s, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    if (dim)
        *dim = s->dim;
    if (count)
        *count = s->n;
    if (network_id)
        *network_id = s->net_id;
    return GAN_OK;
}

/* cov = M2 / (n - 1) into out (dim*dim). */
static void gan__fid_cov(const gan_fid_stats *s, double *out)
{
    const double inv = 1.0 / ((double)s->n - 1.0);
    for (size_t i = 0; i < s->dim * s->dim; i++)
        out[i] = s->m2[i] * inv;
}

gan_status gan_fid_stats_moments(const gan_fid_stats *s, double *mean, size_t mean_count,
                                 double *cov, size_t cov_count)
{
    GAN__CHECK_HANDLE(s, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    if (mean && mean_count != s->dim)
        return gan__err(GAN_ESHAPE, "gan_fid_stats_moments: mean has room for %zu doubles, "
                        "expected %zu", mean_count, s->dim);
    if (cov && cov_count != s->dim * s->dim)
        return gan__err(GAN_ESHAPE, "gan_fid_stats_moments: cov has room for %zu doubles, "
                        "expected %zu", cov_count, s->dim * s->dim);
    if (s->n < (cov ? 2u : 1u))
        return gan__err(GAN_ESTATE, "gan_fid_stats_moments: %llu samples; the mean needs 1 and "
                        "the covariance 2", (unsigned long long)s->n);
    if (mean)
        memcpy(mean, s->mean, s->dim * sizeof *mean);
    if (cov)
        gan__fid_cov(s, cov);
    return GAN_OK;
}

gan_status gan_frechet_distance(const gan_fid_stats *a, const gan_fid_stats *b, double *fid)
{
    gan_status st;
    double *c;
    const size_t d = a ? a->dim : 0;
    GAN__CHECK_HANDLE(a, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    GAN__CHECK_HANDLE(b, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    GAN__CHECK_ARG(fid != NULL);
    if (a->dim != b->dim)
        return gan__err(GAN_ESHAPE, "gan_frechet_distance: dimensions differ (%zu and %zu)",
                        a->dim, b->dim);
    if (a->n < 2 || b->n < 2)
        return gan__err(GAN_ESTATE, "gan_frechet_distance: each side needs at least 2 samples "
                        "(have %llu and %llu)", (unsigned long long)a->n,
                        (unsigned long long)b->n);
    if (a->net_id && b->net_id && a->net_id != b->net_id)
        return gan__err(GAN_ESTATE, "gan_frechet_distance: the statistics come from different "
                        "feature networks (ids %08x and %08x); FIDs are only comparable with "
                        "one network", (unsigned)a->net_id, (unsigned)b->net_id);
    c = gan__malloc(2 * d * d * sizeof *c);
    if (!c)
        return gan__err(GAN_ENOMEM, "gan_frechet_distance: out of memory");
    gan__fid_cov(a, c);
    gan__fid_cov(b, c + d * d);
    st = gan__frechet(a->mean, c, b->mean, c + d * d, d, 0, fid);
    gan__free(c);
    if (st != GAN_OK)
        gan__err_prefix("gan_frechet_distance");
    else if (*fid < 0.0)
        *fid = 0.0; /* rounding of two (nearly) identical distributions */
    return st;
}

/* ---- saving and loading statistics ---------------------------------------------- */

static void gan__put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void gan__put_f64(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    gan__put_u64(p, u);
}

static double gan__get_f64(const unsigned char *p)
{
    uint64_t u = gan__get_le64(p);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static size_t gan__fid_file_len(size_t dim)
{
    return 36 + 8 * dim + 8 * dim * dim;
}

gan_status gan_fid_stats_save_mem(const gan_fid_stats *s, void **buf, size_t *len)
{
    unsigned char *p, *q;
    size_t n;
    double *cov;
    GAN__CHECK_ARG(buf != NULL);
    *buf = NULL;
    GAN__CHECK_HANDLE(s, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    GAN__CHECK_ARG(len != NULL);
    n = gan__fid_file_len(s->dim);
    p = gan__malloc(n);
    cov = s->n >= 2 ? gan__malloc(s->dim * s->dim * sizeof *cov) : NULL;
    if (!p || (s->n >= 2 && !cov)) {
        gan__free(p);
        gan__free(cov);
        return gan__err(GAN_ENOMEM, "gan_fid_stats_save: out of memory");
    }
    memcpy(p, GAN__FID_MAGIC, 8);
    gan__put_le32(p + 8, GAN__FID_VERSION);
    gan__put_le32(p + 12, (uint32_t)s->dim);
    gan__put_u64(p + 16, s->n);
    gan__put_le32(p + 24, s->net_id);
    gan__put_le32(p + 28, 0);
    q = p + 32;
    for (size_t i = 0; i < s->dim; i++, q += 8)
        gan__put_f64(q, s->n ? s->mean[i] : 0.0);
    if (cov)
        gan__fid_cov(s, cov);
    for (size_t i = 0; i < s->dim * s->dim; i++, q += 8)
        gan__put_f64(q, cov ? cov[i] : 0.0);
    gan__put_le32(q, (uint32_t)crc32(0L, p, (uInt)(n - 4)));
    gan__free(cov);
    *buf = p;
    *len = n;
    return GAN_OK;
}

gan_status gan_fid_stats_save(const gan_fid_stats *s, const char *path)
{
    void *buf = NULL;
    size_t len = 0;
    gan_status st;
    GAN__CHECK_HANDLE(s, GAN__MAGIC_FID_STATS, "gan_fid_stats");
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan_fid_stats_save_mem(s, &buf, &len)) != GAN_OK)
        return st;
    st = gan__write_file_atomic(path, buf, len);
    gan__free(buf);
    return st;
}

/*
 * A covariance matrix is symmetric and positive semi-definite; a file whose
 * matrix is not would give a meaningless FID (or a NaN), so it is refused.
 * Symmetry is compared within rounding (the writer's matrix is symmetric up
 * to a few ulps), relative to the two variances; definiteness by the
 * smallest eigenvalue against the largest (LAPACK's dsyevd, no vectors).
 */
static gan_status gan__fid_check_covariance(const gan_fid_stats *s, const char *name)
{
    const size_t d = s->dim;
    double *a, *w, top;
    gan_status st;
    for (size_t i = 0; i < d; i++)
        for (size_t j = i + 1; j < d; j++) {
            const double x = s->m2[i * d + j], y = s->m2[j * d + i];
            const double scale = sqrt(s->m2[i * d + i] * s->m2[j * d + j]);
            if (fabs(x - y) > 1e-9 * (scale + fabs(x) + fabs(y)) + 1e-300)
                return gan__err(GAN_EFORMAT, "%s: covariance is not symmetric (entry %zu,%zu is %g, "
                                "entry %zu,%zu is %g)", name, i, j, x, j, i, y);
        }
    a = gan__malloc((d * d + d) * sizeof *a);
    if (!a)
        return gan__err(GAN_ENOMEM, "%s: out of memory checking a %zu x %zu covariance", name, d, d);
    w = a + d * d;
    memcpy(a, s->m2, d * d * sizeof *a);
    st = gan__sym_eig(a, d, w, 0);
    if (st == GAN_OK) {
        top = fabs(w[d - 1]) > fabs(w[0]) ? fabs(w[d - 1]) : fabs(w[0]);
        if (w[0] < -1e-9 * top)
            st = gan__err(GAN_EFORMAT, "%s: covariance is not positive semi-definite (smallest "
                          "eigenvalue %g, largest %g)", name, w[0] / (s->n >= 2 ? (double)s->n - 1.0 : 1.0),
                          w[d - 1] / (s->n >= 2 ? (double)s->n - 1.0 : 1.0));
    } else {
        gan__err_prefix("%s: checking the covariance", name);
    }
    gan__free(a);
    return st;
}

static gan_status gan__fid_parse(gan_fid_stats **out, const unsigned char *p, size_t len,
                                 const char *name)
{
    gan_status st;
    gan_fid_stats *s = NULL;
    uint32_t version, dim, crc;
    uint64_t n;
    const unsigned char *q;
    if (len < 36)
        return gan__err(GAN_EFORMAT, "%s: %zu bytes is too short for FID statistics (at least "
                        "36)", name, len);
    if (memcmp(p, GAN__FID_MAGIC, 8) != 0)
        return gan__err(GAN_EFORMAT, "%s: offset 0: not FID statistics (magic '%s' expected)",
                        name, GAN__FID_MAGIC);
    version = gan__get_le32(p + 8);
    if (version == 0)
        return gan__err(GAN_EFORMAT, "%s: offset 8: format version 0 is invalid", name);
    if (version > GAN__FID_VERSION)
        return gan__err(GAN_EVERSION, "%s: offset 8: format version %u needs a newer libgan "
                        "(this one reads up to %u)", name, (unsigned)version, GAN__FID_VERSION);
    dim = gan__get_le32(p + 12);
    if (dim == 0 || dim > GAN__FID_MAX_DIM)
        return gan__err(GAN_EFORMAT, "%s: offset 12: dimension %u, expected 1..%d", name,
                        (unsigned)dim, GAN__FID_MAX_DIM);
    if (len != gan__fid_file_len(dim))
        return gan__err(GAN_EFORMAT, "%s: %zu bytes, expected %zu for dimension %u "
                        "(truncated or trailing data)", name, len, gan__fid_file_len(dim),
                        (unsigned)dim);
    crc = (uint32_t)crc32(0L, p, (uInt)(len - 4));
    if (crc != gan__get_le32(p + len - 4))
        return gan__err(GAN_EFORMAT, "%s: offset %zu: CRC-32 mismatch (stored %08x, computed "
                        "%08x)", name, len - 4, (unsigned)gan__get_le32(p + len - 4),
                        (unsigned)crc);
    if (gan__get_le32(p + 28) != 0)
        return gan__err(GAN_EFORMAT, "%s: offset 28: reserved field is not 0", name);
    n = gan__get_le64(p + 16);
    if ((st = gan_fid_stats_create(&s, dim)) != GAN_OK)
        return st;
    s->n = n;
    s->net_id = gan__get_le32(p + 24);
    q = p + 32;
    for (size_t i = 0; i < dim; i++, q += 8)
        s->mean[i] = gan__get_f64(q);
    for (size_t i = 0; i < (size_t)dim * dim; i++, q += 8)
        s->m2[i] = gan__get_f64(q) * (n >= 2 ? (double)n - 1.0 : 0.0);
    for (size_t i = 0; i < dim + (size_t)dim * dim; i++) {
        double v = i < dim ? s->mean[i] : s->m2[i - dim];
        if (!isfinite(v)) {
            gan_fid_stats_free(s);
            return gan__err(GAN_EFORMAT, "%s: offset %zu: value is not finite", name, 32 + 8 * i);
        }
    }
    for (size_t i = 0; i < dim; i++)
        if (s->m2[i * dim + i] < 0.0) {
            gan_fid_stats_free(s);
            return gan__err(GAN_EFORMAT, "%s: variance %zu is negative", name, i);
        }
    if ((st = gan__fid_check_covariance(s, name)) != GAN_OK) {
        gan_fid_stats_free(s);
        return st;
    }
    *out = s;
    return GAN_OK;
}

gan_status gan_fid_stats_load_mem(gan_fid_stats **out, const void *buf, size_t len)
{
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(buf != NULL);
    return gan__fid_parse(out, buf, len, GAN__MEM_NAME);
}

gan_status gan_fid_stats_load(gan_fid_stats **out, const char *path)
{
    gan__blob b;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(path != NULL);
    if ((st = gan__read_file(path, &b)) != GAN_OK)
        return st;
    st = gan__fid_parse(out, b.data, b.len, path);
    gan__blob_free(&b);
    return st;
}

