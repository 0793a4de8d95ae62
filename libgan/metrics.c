/*
 * metrics.c -- FID and Inception Score: streaming feature statistics, the
 * Frechet distance, the Inception Score, their file format, and the
 * feature network driver (gan_metrics).
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

#include "metrics_internal.h"
#include "dataset_internal.h"

struct gan_fid_stats {
    uint32_t magic;
    size_t dim;
    uint64_t n;
    uint32_t net_id;           /* 0: unknown */
    double *mean;              /* (dim) */
    double *m2;                /* (dim, dim), full */
    double *bmean;             /* (dim) scratch: batch mean */
    double *bm2;               /* (dim, dim) scratch: batch scatter */
    double *rows;              /* (GAN__FID_CHUNK, dim) scratch: centred rows */
};

/* Rows folded in per Chan update (bounds the scratch memory). */
#define GAN__FID_CHUNK 256
#define GAN__FID_MAX_DIM 65536
#define GAN__FID_MAGIC "GANFSTAT"
#define GAN__FID_VERSION 1u

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
static void gan__fid_add_rows(gan_fid_stats *s, const float *x, size_t n)
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

static void gan__put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void gan__put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t gan__get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t gan__get_u64(const unsigned char *p)
{
    return (uint64_t)gan__get_u32(p) | (uint64_t)gan__get_u32(p + 4) << 32;
}

static void gan__put_f64(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    gan__put_u64(p, u);
}

static double gan__get_f64(const unsigned char *p)
{
    uint64_t u = gan__get_u64(p);
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
    gan__put_u32(p + 8, GAN__FID_VERSION);
    gan__put_u32(p + 12, (uint32_t)s->dim);
    gan__put_u64(p + 16, s->n);
    gan__put_u32(p + 24, s->net_id);
    gan__put_u32(p + 28, 0);
    q = p + 32;
    for (size_t i = 0; i < s->dim; i++, q += 8)
        gan__put_f64(q, s->n ? s->mean[i] : 0.0);
    if (cov)
        gan__fid_cov(s, cov);
    for (size_t i = 0; i < s->dim * s->dim; i++, q += 8)
        gan__put_f64(q, cov ? cov[i] : 0.0);
    gan__put_u32(q, (uint32_t)crc32(0L, p, (uInt)(n - 4)));
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
    version = gan__get_u32(p + 8);
    if (version == 0)
        return gan__err(GAN_EFORMAT, "%s: offset 8: format version 0 is invalid", name);
    if (version > GAN__FID_VERSION)
        return gan__err(GAN_EVERSION, "%s: offset 8: format version %u needs a newer libgan "
                        "(this one reads up to %u)", name, (unsigned)version, GAN__FID_VERSION);
    dim = gan__get_u32(p + 12);
    if (dim == 0 || dim > GAN__FID_MAX_DIM)
        return gan__err(GAN_EFORMAT, "%s: offset 12: dimension %u, expected 1..%d", name,
                        (unsigned)dim, GAN__FID_MAX_DIM);
    if (len != gan__fid_file_len(dim))
        return gan__err(GAN_EFORMAT, "%s: %zu bytes, expected %zu for dimension %u "
                        "(truncated or trailing data)", name, len, gan__fid_file_len(dim),
                        (unsigned)dim);
    crc = (uint32_t)crc32(0L, p, (uInt)(len - 4));
    if (crc != gan__get_u32(p + len - 4))
        return gan__err(GAN_EFORMAT, "%s: offset %zu: CRC-32 mismatch (stored %08x, computed "
                        "%08x)", name, len - 4, (unsigned)gan__get_u32(p + len - 4),
                        (unsigned)crc);
    if (gan__get_u32(p + 28) != 0)
        return gan__err(GAN_EFORMAT, "%s: offset 28: reserved field is not 0", name);
    n = gan__get_u64(p + 16);
    if ((st = gan_fid_stats_create(&s, dim)) != GAN_OK)
        return st;
    s->n = n;
    s->net_id = gan__get_u32(p + 24);
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

/* ---- Inception Score ------------------------------------------------------------ */

gan_status gan_inception_score(const float *probs, size_t probs_count, size_t n, int splits,
                               double *mean, double *std)
{
    size_t k;
    double *py, sum = 0.0, sum2 = 0.0;
    GAN__CHECK_ARG(probs != NULL);
    if (splits == 0)
        splits = 10;
    if (splits < 1)
        return gan__err(GAN_EINVAL, "gan_inception_score: splits %d must be >= 1", splits);
    if (n < (size_t)splits)
        return gan__err(GAN_EINVAL, "gan_inception_score: %zu samples cannot make %d splits", n,
                        splits);
    if (probs_count % n != 0 || probs_count / n < 2)
        return gan__err(GAN_ESHAPE, "gan_inception_score: %zu probabilities are not n %zu x "
                        "(at least 2) classes", probs_count, n);
    k = probs_count / n;
    for (size_t i = 0; i < probs_count; i++)
        if (!(probs[i] >= 0.0f && probs[i] <= 1.0f))
            return gan__err(GAN_EINVAL, "gan_inception_score: probability %zu is %g, outside "
                            "[0, 1]", i, (double)probs[i]);
    py = gan__malloc(k * sizeof *py);
    if (!py)
        return gan__err(GAN_ENOMEM, "gan_inception_score: out of memory");
    for (int sp = 0; sp < splits; sp++) {
        /* Rows [sp n / splits, (sp + 1) n / splits), as the reference code. */
        const size_t lo = (size_t)sp * n / (size_t)splits, hi = (size_t)(sp + 1) * n / (size_t)splits;
        double kl = 0.0, score;
        memset(py, 0, k * sizeof *py);
        for (size_t i = lo; i < hi; i++)
            for (size_t j = 0; j < k; j++)
                py[j] += probs[i * k + j];
        for (size_t j = 0; j < k; j++)
            py[j] /= (double)(hi - lo);
        for (size_t i = lo; i < hi; i++)
            for (size_t j = 0; j < k; j++) {
                double p = probs[i * k + j];
                if (p > 0.0)   /* 0 log 0 = 0; p > 0 implies py > 0 */
                    kl += p * (log(p) - log(py[j]));
            }
        score = exp(kl / (double)(hi - lo));
        sum += score;
        sum2 += score * score;
    }
    gan__free(py);
    if (mean)
        *mean = sum / splits;
    if (std) {
        double m = sum / splits, v = sum2 / splits - m * m;
        *std = v > 0.0 ? sqrt(v) : 0.0;
    }
    return GAN_OK;
}

/* ---- the feature network -------------------------------------------------------- */

struct gan_metrics {
    uint32_t magic;
    gan_model *net;            /* borrowed */
    size_t n_layers;           /* at creation, to detect changes */
    size_t layer;              /* feature layer */
    size_t in_elems, dim, classes;
    size_t max_batch;
    uint32_t net_id;
    float *feat;               /* (max_batch, dim) */
    float *x;                  /* (max_batch, in_elems): dataset/generator staging */
};

void gan_metrics_free(gan_metrics *m)
{
    if (m == NULL || m->magic != GAN__MAGIC_METRICS)
        return;
    gan__aligned_free(m->feat);
    gan__aligned_free(m->x);
    m->magic = GAN__MAGIC_DEAD;
    gan__free(m);
    gan__handle_freed();
}

/* CRC-32 of the layer index, parameters and batchnorm statistics. */
static uint32_t gan__net_id(const gan_model *net, int layer)
{
    unsigned char li[4];
    uLong c = crc32(0L, Z_NULL, 0);
    gan__put_u32(li, (uint32_t)layer);
    c = crc32(c, li, 4);
    for (size_t off = 0; off < net->n_params; off += (size_t)1 << 28) {
        size_t len = net->n_params - off < ((size_t)1 << 28) ? net->n_params - off : (size_t)1 << 28;
        c = crc32(c, (const Bytef *)(net->params + off), (uInt)(len * sizeof(float)));
    }
    if (net->n_state)
        c = crc32(c, (const Bytef *)net->state, (uInt)(net->n_state * sizeof(float)));
    return c ? (uint32_t)c : 1u;
}

gan_status gan_metrics_create(gan_metrics **out, gan_model *net, size_t feature_layer,
                              size_t max_batch)
{
    gan_metrics *m;
    gan_status st;
    const gan__shape *o;
    size_t k = feature_layer;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_HANDLE(net, GAN__MAGIC_MODEL, "gan_model");
    if (max_batch == 0)
        max_batch = 128;
    if (max_batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "gan_metrics_create: max_batch %zu must be in 0..%zu",
                        max_batch, GAN__MAX_BATCH);
    if (net->n_layers < 2)
        return gan__err(GAN_ESTATE, "gan_metrics_create: the feature network needs at least 2 "
                        "layers (features, then the class logits)");
    if (net->n_classes)
        return gan__err(GAN_EINVAL, "gan_metrics_create: the feature network is conditional (it "
                        "takes class labels); a feature network sees images only");
    if (k == GAN_DEFAULT_FEATURE_LAYER) {
        /* The input of the last layer that is not a reshape/flatten. */
        size_t last = net->n_layers - 1;
        while (last > 0 && net->layers[last].ops->is_view)
            last--;
        if (last == 0)
            return gan__err(GAN_EINVAL, "gan_metrics_create: GAN_DEFAULT_FEATURE_LAYER: no layer "
                            "before the last one that is not a reshape or flatten");
        k = last - 1;
    }
    if (k >= net->n_layers)
        return gan__err(GAN_EINVAL, "gan_metrics_create: feature layer %zu must be in 0..%zu, or "
                        "GAN_DEFAULT_FEATURE_LAYER for the input of the last layer", k,
                        net->n_layers - 1);
    m = gan__calloc(1, sizeof *m);
    if (!m)
        return gan__err(GAN_ENOMEM, "gan_metrics_create: out of memory");
    m->magic = GAN__MAGIC_METRICS;
    m->net = net;
    m->n_layers = net->n_layers;
    m->layer = k;
    gan__model_keep_output(net, k);    /* features read after forward */
    m->in_elems = gan__shape_elems(&net->in);
    m->dim = gan__shape_elems(&net->layers[k].out);
    o = &net->layers[net->n_layers - 1].out;
    m->classes = o->ndim == 1 && o->d[0] >= 2 ? (size_t)o->d[0] : 0;
    m->max_batch = max_batch;
    m->net_id = gan__net_id(net, k);
    gan__handle_created();
    m->feat = gan__aligned_alloc(max_batch * m->dim * sizeof(float));
    m->x = gan__aligned_alloc(max_batch * m->in_elems * sizeof(float));
    if (!m->feat || !m->x) {
        gan_metrics_free(m);
        return gan__err(GAN_ENOMEM, "gan_metrics_create: out of memory for batch %zu", max_batch);
    }
    if ((st = gan_model_reserve(net, max_batch)) != GAN_OK) {
        gan_metrics_free(m);
        return st;
    }
    *out = m;
    return GAN_OK;
}

gan_status gan_metrics_dims(const gan_metrics *m, size_t *feature_dim, size_t *classes,
                            uint32_t *network_id)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_METRICS, "gan_metrics");
    if (feature_dim)
        *feature_dim = m->dim;
    if (classes)
        *classes = m->classes;
    if (network_id)
        *network_id = m->net_id;
    return GAN_OK;
}

/* Checks common to the run calls. */
static gan_status gan__metrics_check(const gan_metrics *m, gan_fid_stats *stats, float *probs,
                                     size_t probs_count, size_t n, const char *func)
{
    GAN__CHECK_HANDLE(m, GAN__MAGIC_METRICS, "gan_metrics");
    if (m->net->magic != GAN__MAGIC_MODEL || m->net->n_layers != m->n_layers)
        return gan__err(GAN_ESTATE, "%s: the feature network was freed or changed after "
                        "gan_metrics_create", func);
    if (stats) {
        GAN__CHECK_HANDLE(stats, GAN__MAGIC_FID_STATS, "gan_fid_stats");
        if (stats->dim != m->dim)
            return gan__err(GAN_ESHAPE, "%s: the statistics have dimension %zu, the features "
                            "%zu", func, stats->dim, m->dim);
        if (stats->n && stats->net_id && stats->net_id != m->net_id)
            return gan__err(GAN_ESTATE, "%s: the statistics hold features of another network "
                            "(id %08x, this one %08x)", func, (unsigned)stats->net_id,
                            (unsigned)m->net_id);
    }
    if (probs) {
        if (m->classes == 0)
            return gan__err(GAN_ESTATE, "%s: the feature network does not output class logits "
                            "(a vector of at least 2 per sample)", func);
        if (probs_count != n * m->classes)
            return gan__err(GAN_ESHAPE, "%s: probs has room for %zu floats, expected %zu (n %zu "
                            "x %zu classes)", func, probs_count, n * m->classes, n, m->classes);
    }
    return GAN_OK;
}

/* Softmax of each row of logits (n x k) into p, in double. */
static void gan__softmax_rows(const float *z, size_t n, size_t k, float *p)
{
    for (size_t i = 0; i < n; i++) {
        const float *zi = z + i * k;
        double mx = zi[0], s = 0.0;
        for (size_t j = 1; j < k; j++)
            if (zi[j] > mx)
                mx = zi[j];
        for (size_t j = 0; j < k; j++)
            s += exp((double)zi[j] - mx);
        for (size_t j = 0; j < k; j++)
            p[i * k + j] = (float)(exp((double)zi[j] - mx) / s);
    }
}

/* Run nb <= max_batch images (nb * in_elems floats at x) through the
   network; fold features into stats, write probabilities and features. */
static gan_status gan__metrics_batch(gan_metrics *m, const float *x, size_t nb,
                                     gan_fid_stats *stats, float *probs, float *features,
                                     const char *func)
{
    gan_model *net = m->net;
    const float *f;
    gan_status st;
    if ((st = gan__model_forward(net, x, NULL, nb, GAN_MODE_INFER)) != GAN_OK)
        return st;
    f = net->act[m->layer + 1];
    if (gan__has_nonfinite(f, nb * m->dim) ||
        (m->classes && gan__has_nonfinite(net->act[net->n_layers], nb * m->classes)))
        return gan__err(GAN_ENUMERIC, "%s: the feature network produced NaN or infinity", func);
    if (stats) {
        if (stats->n == 0)
            stats->net_id = m->net_id;
        gan__fid_add_rows(stats, f, nb);
    }
    if (features)
        memcpy(features, f, nb * m->dim * sizeof(float));
    if (probs)
        gan__softmax_rows(net->act[net->n_layers], nb, m->classes, probs);
    return GAN_OK;
}

gan_status gan_metrics_run(gan_metrics *m, const float *images, size_t count, size_t n,
                           gan_fid_stats *stats, float *probs, size_t probs_count)
{
    gan_status st;
    if ((st = gan__metrics_check(m, stats, probs, probs_count, n, __func__)) != GAN_OK)
        return st;
    GAN__CHECK_ARG(images != NULL);
    if (n == 0 || count != n * m->in_elems)
        return gan__err(GAN_ESHAPE, "gan_metrics_run: images has %zu floats, expected n %zu x "
                        "%zu per image (n >= 1)", count, n, m->in_elems);
    for (size_t i0 = 0; i0 < n; i0 += m->max_batch) {
        size_t nb = n - i0 < m->max_batch ? n - i0 : m->max_batch;
        if ((st = gan__metrics_batch(m, images + i0 * m->in_elems, nb, stats,
                                     probs ? probs + i0 * m->classes : NULL, NULL, __func__)) != GAN_OK)
            return st;
    }
    return GAN_OK;
}

gan_status gan_metrics_features(gan_metrics *m, const float *images, size_t count, size_t n,
                                float *features, size_t features_count)
{
    gan_status st;
    if ((st = gan__metrics_check(m, NULL, NULL, 0, n, __func__)) != GAN_OK)
        return st;
    GAN__CHECK_ARG(images != NULL);
    GAN__CHECK_ARG(features != NULL);
    if (n == 0 || count != n * m->in_elems)
        return gan__err(GAN_ESHAPE, "gan_metrics_features: images has %zu floats, expected n "
                        "%zu x %zu per image (n >= 1)", count, n, m->in_elems);
    if (features_count != n * m->dim)
        return gan__err(GAN_ESHAPE, "gan_metrics_features: features has room for %zu floats, "
                        "expected %zu (n %zu x dimension %zu)", features_count, n * m->dim, n,
                        m->dim);
    for (size_t i0 = 0; i0 < n; i0 += m->max_batch) {
        size_t nb = n - i0 < m->max_batch ? n - i0 : m->max_batch;
        if ((st = gan__metrics_batch(m, images + i0 * m->in_elems, nb, NULL, NULL,
                                     features + i0 * m->dim, __func__)) != GAN_OK)
            return st;
    }
    return GAN_OK;
}

gan_status gan_metrics_run_dataset(gan_metrics *m, const gan_dataset *ds, size_t limit,
                                   gan_fid_stats *stats, float *probs, size_t probs_count)
{
    gan_status st;
    size_t n;
    char a[64], b[64];
    GAN__CHECK_HANDLE(m, GAN__MAGIC_METRICS, "gan_metrics");
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    n = ds->n;
    if (limit && limit < n)
        n = limit;
    if (n == 0)
        return gan__err(GAN_EINVAL, "gan_metrics_run_dataset: the dataset is empty");
    if ((st = gan__metrics_check(m, stats, probs, probs_count, n, __func__)) != GAN_OK)
        return st;
    if (ds->shape.ndim != m->net->in.ndim ||
        memcmp(ds->shape.d, m->net->in.d, sizeof(int) * (size_t)ds->shape.ndim) != 0)
        return gan__err(GAN_ESHAPE, "gan_metrics_run_dataset: samples %s do not fit the feature "
                        "network's input %s", gan__shape_str(&ds->shape, a, sizeof a),
                        gan__shape_str(&m->net->in, b, sizeof b));
    for (size_t i0 = 0; i0 < n; i0 += m->max_batch) {
        size_t nb = n - i0 < m->max_batch ? n - i0 : m->max_batch;
        /* Samples are contiguous (n_total, elems): no staging copy. */
        if ((st = gan__metrics_batch(m, ds->x + i0 * m->in_elems, nb, stats,
                                     probs ? probs + i0 * m->classes : NULL, NULL, __func__)) != GAN_OK)
            return st;
    }
    return GAN_OK;
}

gan_status gan_metrics_run_generator(gan_metrics *m, gan_model *generator, uint64_t seed,
                                     size_t n, gan_fid_stats *stats, float *probs,
                                     size_t probs_count)
{
    gan_status st;
    gan__rng rng;
    size_t latent, out_e;
    float *z;
    int32_t *lab = NULL;
    const gan__shape *go;
    char a[64], b[64];
    GAN__CHECK_HANDLE(m, GAN__MAGIC_METRICS, "gan_metrics");
    GAN__CHECK_HANDLE(generator, GAN__MAGIC_MODEL, "generator gan_model");
    if (n == 0)
        return gan__err(GAN_EINVAL, "gan_metrics_run_generator: n must be >= 1");
    if ((st = gan__metrics_check(m, stats, probs, probs_count, n, __func__)) != GAN_OK)
        return st;
    if (generator == m->net)
        return gan__err(GAN_EINVAL, "gan_metrics_run_generator: the generator is the feature "
                        "network");
    if (generator->n_layers == 0)
        return gan__err(GAN_ESTATE, "gan_metrics_run_generator: the generator has no layers");
    go = &generator->layers[generator->n_layers - 1].out;
    if (go->ndim != m->net->in.ndim ||
        memcmp(go->d, m->net->in.d, sizeof(int) * (size_t)go->ndim) != 0)
        return gan__err(GAN_ESHAPE, "gan_metrics_run_generator: the generator's output %s does "
                        "not fit the feature network's input %s", gan__shape_str(go, a, sizeof a),
                        gan__shape_str(&m->net->in, b, sizeof b));
    latent = gan__shape_elems(&generator->in);
    out_e = gan__shape_elems(go);
    z = gan__aligned_alloc(m->max_batch * latent * sizeof *z);
    if (generator->n_classes)
        lab = gan__calloc(m->max_batch, sizeof *lab);
    if (!z || (generator->n_classes && !lab)) {
        gan__aligned_free(z);
        return gan__err(GAN_ENOMEM, "gan_metrics_run_generator: out of memory");
    }
    gan__rng_seed(&rng, seed);
    for (size_t i0 = 0; i0 < n; i0 += m->max_batch) {
        size_t nb = n - i0 < m->max_batch ? n - i0 : m->max_batch;
        gan__rng_fill_normal(&rng, z, nb * latent);
        /* A conditional generator: balanced classes, image i of class i mod K. */
        for (size_t i = 0; lab && i < nb; i++)
            lab[i] = (int32_t)((i0 + i) % (size_t)generator->n_classes);
        if ((st = gan__model_forward(generator, z, lab, nb, GAN_MODE_INFER)) != GAN_OK)
            break;
        memcpy(m->x, generator->act[generator->n_layers], nb * out_e * sizeof(float));
        if (gan__has_nonfinite(m->x, nb * out_e)) {
            st = gan__err(GAN_ENUMERIC, "gan_metrics_run_generator: the generator produced NaN "
                          "or infinity");
            break;
        }
        if ((st = gan__metrics_batch(m, m->x, nb, stats, probs ? probs + i0 * m->classes : NULL,
                                     NULL, __func__)) != GAN_OK)
            break;
    }
    gan__aligned_free(z);
    gan__free(lab);
    return st;
}
