/*
 * dataset.c -- the gan_dataset handle: samples in memory, introspection,
 * conversion between image shapes, and the shuffled mini-batch iterator.
 *
 * Storage.  Samples are one float array (n_total, elems) in NHWC order,
 * with an optional int32 label per sample.  Loaders (dataset_idx.c,
 * dataset_cifar.c) build that array and hand it over with
 * gan__dataset_wrap().
 *
 * Batching.  The order of epoch e is a permutation of 0..n-1 drawn with a
 * Fisher-Yates shuffle from a gan__rng seeded by (seed, e) alone, so a run
 * is reproducible and the order of an epoch does not depend on how the
 * earlier ones were consumed.  The permutation buffer is allocated with
 * the dataset, so next_batch never allocates.
 */
#include <stdio.h>

#include "data/data.h"

static void gan__ds_default_batching(gan_batch_config *c)
{
    *c = *(const gan_batch_config *)gan__batch_config_type.defaults;
}

static void gan__ds_update_classes(gan_dataset *ds)
{
    int32_t mx = -1;
    if (ds->labels)
        for (size_t i = 0; i < ds->n; i++)
            if (ds->labels[i] > mx)
                mx = ds->labels[i];
    /* Labels are validated to lie in 0..2^31-1; clamp the count at INT_MAX. */
    ds->n_classes = mx < 0 ? 0 : (mx == INT32_MAX ? INT32_MAX : mx + 1);
}

/* A dataset struct with its permutation buffer; x and labels still unset. */
static gan_status gan__ds_alloc(gan_dataset **out, const gan__shape *shape, size_t n,
                                const char *func)
{
    gan_dataset *ds;
    size_t bytes;
    if (gan__mul_size(n, sizeof(size_t), &bytes) != 0)
        return gan__err(GAN_EINVAL, "%s: %zu samples is too many", func, n);
    ds = gan__calloc(1, sizeof *ds);
    if (!ds)
        return gan__err(GAN_ENOMEM, "%s: out of memory", func);
    ds->perm = gan__malloc(bytes);
    if (!ds->perm) {
        gan__free(ds);
        return gan__err(GAN_ENOMEM, "%s: out of memory for the order of %zu samples", func, n);
    }
    ds->magic = GAN__MAGIC_DATASET;
    ds->shape = *shape;
    ds->elems = gan__shape_elems(shape);
    ds->n_total = ds->n = n;
    ds->shard_count = 1;
    gan__ds_default_batching(&ds->cfg);
    *out = ds;
    return GAN_OK;
}

static void gan__ds_publish(gan_dataset **out, gan_dataset *ds)
{
    gan__ds_update_classes(ds);
    gan__handle_created();
    *out = ds;
}

gan_status gan__dataset_wrap(gan_dataset **out, const gan__shape *shape, size_t n, float *x,
                             int32_t *labels, const char *func)
{
    gan_dataset *ds;
    gan_status st = gan__ds_alloc(&ds, shape, n, func);
    if (st != GAN_OK) {
        gan__free(x);
        gan__free(labels);
        return st;
    }
    ds->x = ds->x_owned = x;
    ds->labels = ds->labels_owned = labels;
    gan__ds_publish(out, ds);
    return GAN_OK;
}

/* Common argument checks of the two caller-memory constructors. */
static gan_status gan__ds_check_src(const void *x, size_t n, size_t ndim, const int *dims,
                                    const int32_t *labels, gan__shape *shape, size_t *total,
                                    const char *func)
{
    gan_status st;
    if (x == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: x is NULL", func);
    if (n == 0)
        return gan__err(GAN_EINVAL, "%s: invalid argument: n is 0 (a dataset needs samples)",
                        func);
    if ((st = gan__shape_from_dims(ndim, dims, shape, func)) != GAN_OK)
        return st;
    if (gan__mul_size(n, gan__shape_elems(shape), total) != 0 ||
        gan__mul_size(*total, sizeof(float), &(size_t){0}) != 0)
        return gan__err(GAN_EINVAL, "%s: %zu samples of %zu elements overflow size_t", func, n,
                        gan__shape_elems(shape));
    if (labels)
        for (size_t i = 0; i < n; i++)
            if (labels[i] < 0)
                return gan__err(GAN_EINVAL, "%s: label %zu is %ld, must be in 0..2^31-1", func,
                                i, (long)labels[i]);
    return GAN_OK;
}

gan_status gan_dataset_create_float(gan_dataset **out, const float *x, size_t n, size_t ndim,
                                    const int *dims, const int32_t *labels, int copy)
{
    gan__shape shape;
    size_t total;
    gan_dataset *ds;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    if ((st = gan__ds_check_src(x, n, ndim, dims, labels, &shape, &total, __func__)) != GAN_OK)
        return st;
    if ((st = gan__ds_alloc(&ds, &shape, n, __func__)) != GAN_OK)
        return st;
    if (copy) {
        ds->x_owned = gan__malloc(total * sizeof(float));
        ds->labels_owned = labels ? gan__malloc(n * sizeof(int32_t)) : NULL;
        if (!ds->x_owned || (labels && !ds->labels_owned)) {
            gan__free(ds->x_owned);
            gan__free(ds->labels_owned);
            gan__free(ds->perm);
            gan__free(ds);
            return gan__err(GAN_ENOMEM, "%s: out of memory copying %zu samples", __func__, n);
        }
        memcpy(ds->x_owned, x, total * sizeof(float));
        if (labels)
            memcpy(ds->labels_owned, labels, n * sizeof(int32_t));
        ds->x = ds->x_owned;
        ds->labels = ds->labels_owned;
    } else {
        ds->x = x;
        ds->labels = labels;
    }
    gan__ds_publish(out, ds);
    return GAN_OK;
}

void gan__u8_table(float table[256])
{
    for (int i = 0; i < 256; i++)
        table[i] = (float)((double)i / 127.5 - 1.0);
}

gan_status gan_dataset_create_u8(gan_dataset **out, const uint8_t *x, size_t n, size_t ndim,
                                 const int *dims, const int32_t *labels)
{
    gan__shape shape;
    size_t total;
    float *fx;
    int32_t *lb = NULL;
    float t[256];
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    if ((st = gan__ds_check_src(x, n, ndim, dims, labels, &shape, &total, __func__)) != GAN_OK)
        return st;
    fx = gan__malloc(total * sizeof(float));
    if (labels)
        lb = gan__malloc(n * sizeof(int32_t));
    if (!fx || (labels && !lb)) {
        gan__free(fx);
        gan__free(lb);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu samples", __func__, n);
    }
    gan__u8_table(t);
    for (size_t i = 0; i < total; i++)
        fx[i] = t[x[i]];
    if (labels)
        memcpy(lb, labels, n * sizeof(int32_t));
    return gan__dataset_wrap(out, &shape, n, fx, lb, __func__);
}

void gan_dataset_free(gan_dataset *ds)
{
    if (ds == NULL || ds->magic != GAN__MAGIC_DATASET)
        return;
    gan__free(ds->x_owned);
    gan__free(ds->labels_owned);
    gan__free(ds->perm);
    gan__image_info_free(ds->img);
    ds->magic = GAN__MAGIC_DEAD;
    gan__free(ds);
    gan__handle_freed();
}

/* ---- conversion -------------------------------------------------------------------- */

/* Offset of the source row/column for a centred pad (dst > src) or crop. */
static long gan__centre_off(int dst, int src)
{
    return dst >= src ? (long)((dst - src) / 2) : -(long)((src - dst) / 2);
}

gan_status gan_dataset_convert(gan_dataset **out, const gan_dataset *src, int h, int w, int c)
{
    char s1[48];
    gan__shape shape;
    size_t n, total, per;
    float *x;
    int32_t *lb = NULL;
    int sh, sw, sc;
    long oy, ox;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_HANDLE(src, GAN__MAGIC_DATASET, "gan_dataset");
    if (src->shape.ndim != 3)
        return gan__err(GAN_ESHAPE, "%s: samples of shape %s are not images (h, w, c)", __func__,
                        gan__shape_str(&src->shape, s1, sizeof s1));
    {
        int dims[3] = { h, w, c };
        if ((st = gan__shape_from_dims(3, dims, &shape, __func__)) != GAN_OK)
            return st;
    }
    sh = src->shape.d[0];
    sw = src->shape.d[1];
    sc = src->shape.d[2];
    if (!(c == sc || sc == 1 || c == 1))
        return gan__err(GAN_ESHAPE, "%s: cannot convert %d channels to %d: only equal counts, "
                        "1 -> c (replicate) or c -> 1 (average)", __func__, sc, c);
    n = src->n;
    per = gan__shape_elems(&shape);
    if (gan__mul_size(n, per, &total) != 0 || gan__mul_size(total, sizeof(float), &(size_t){0}))
        return gan__err(GAN_EINVAL, "%s: %zu samples of shape (%d, %d, %d) overflow size_t",
                        __func__, n, h, w, c);
    x = gan__malloc(total * sizeof(float));
    if (src->labels)
        lb = gan__malloc(n * sizeof(int32_t));
    if (!x || (src->labels && !lb)) {
        gan__free(x);
        gan__free(lb);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu samples of shape (%d, %d, %d)",
                        __func__, n, h, w, c);
    }
    oy = gan__centre_off(h, sh);
    ox = gan__centre_off(w, sw);
    for (size_t i = 0; i < n; i++) {
        const float *sp = src->x + i * src->elems;
        float *dp = x + i * per;
        for (int y = 0; y < h; y++) {
            long sy = (long)y - oy;
            for (int xx = 0; xx < w; xx++) {
                long sx = (long)xx - ox;
                float *d = dp + ((size_t)y * (size_t)w + (size_t)xx) * (size_t)c;
                const float *p;
                if (sy < 0 || sy >= sh || sx < 0 || sx >= sw) {
                    for (int k = 0; k < c; k++)
                        d[k] = -1.0f;
                    continue;
                }
                p = sp + ((size_t)sy * (size_t)sw + (size_t)sx) * (size_t)sc;
                if (c == sc) {
                    for (int k = 0; k < c; k++)
                        d[k] = p[k];
                } else if (sc == 1) {
                    for (int k = 0; k < c; k++)
                        d[k] = p[0];
                } else {
                    float acc = 0.0f;
                    for (int k = 0; k < sc; k++)
                        acc += p[k];
                    d[0] = acc / (float)sc;
                }
            }
        }
    }
    if (lb)
        memcpy(lb, src->labels, n * sizeof(int32_t));
    st = gan__dataset_wrap(out, &shape, n, x, lb, __func__);
    if (st != GAN_OK)
        return st;
    (*out)->cfg = src->cfg;
    (*out)->flip_x = src->flip_x;
    if ((st = gan__image_info_copy(src->img, &(*out)->img, __func__)) != GAN_OK) {
        gan_dataset_free(*out);
        *out = NULL;
    }
    return st;
}

/* ---- introspection ------------------------------------------------------------------ */

gan_status gan_dataset_size(const gan_dataset *ds, size_t *n)
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(n != NULL);
    *n = ds->n;
    return GAN_OK;
}

gan_status gan_dataset_shape(const gan_dataset *ds, size_t *ndim, int dims[3])
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(ndim != NULL);
    GAN__CHECK_ARG(dims != NULL);
    *ndim = (size_t)ds->shape.ndim;
    for (int i = 0; i < 3; i++)
        dims[i] = i < ds->shape.ndim ? ds->shape.d[i] : 0;
    return GAN_OK;
}

gan_status gan_dataset_labels_info(const gan_dataset *ds, int *has_labels, int *n_classes)
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    if (has_labels)
        *has_labels = ds->labels != NULL;
    if (n_classes)
        *n_classes = ds->n_classes;
    return GAN_OK;
}

static void gan__ds_restart(gan_dataset *ds)
{
    ds->epoch = 0;
    ds->pos = 0;
    ds->perm_ready = 0;
}

gan_status gan_dataset_limit(gan_dataset *ds, size_t n)
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    ds->n = (n == 0 || n >= ds->n_total) ? ds->n_total : n;
    gan__ds_update_classes(ds);
    gan__ds_restart(ds);
    return GAN_OK;
}

gan_status gan_dataset_get(const gan_dataset *ds, size_t index, float *x, size_t count,
                           int32_t *label)
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(x != NULL);
    if (index >= ds->n)
        return gan__err(GAN_EINVAL, "%s: index %zu out of range: the dataset has %zu samples",
                        __func__, index, ds->n);
    if (count != ds->elems)
        return gan__err(GAN_ESHAPE, "%s: count is %zu, expected %zu (elements per sample)",
                        __func__, count, ds->elems);
    memcpy(x, ds->x + index * ds->elems, ds->elems * sizeof(float));
    if (label)
        *label = ds->labels ? ds->labels[index] : -1;
    return GAN_OK;
}

/* ---- batching ------------------------------------------------------------------------ */

gan_status gan_batch_config_init(gan_batch_config *cfg, size_t size)
{
    return gan__config_read(&gan__batch_config_type, cfg, size, NULL, __func__);
}

gan_status gan_dataset_set_batching(gan_dataset *ds, const gan_batch_config *cfg)
{
    gan_batch_config c;
    gan_status st;
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    if ((st = gan__config_read(&gan__batch_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;   /* cfg NULL: the defaults */
    if (c.batch_size < 1 || c.batch_size > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "%s: batch_size is %zu, must be in 1..%zu", __func__,
                        c.batch_size, GAN__MAX_BATCH);
    c.shuffle = c.shuffle != 0;
    c.drop_remainder = c.drop_remainder != 0;
    ds->cfg = c;
    gan__ds_restart(ds);
    return GAN_OK;
}

/* A short last batch is served unless drop_remainder is on or it has
   fewer samples than shards (one for each worker is the minimum). */
static size_t gan__ds_batches(const gan_dataset *ds)
{
    size_t bs = ds->cfg.batch_size, tail = ds->n % bs;
    return ds->n / bs + (!ds->cfg.drop_remainder && tail != 0 && tail >= ds->shard_count);
}

gan_status gan_dataset_get_batching(const gan_dataset *ds, gan_batch_config *cfg)
{
    size_t n;
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(cfg != NULL);
    if (cfg->struct_size < sizeof(uint32_t) || cfg->struct_size > sizeof *cfg)
        return gan__err(GAN_EINVAL, "%s: cfg->struct_size %u; initialise it with "
                        "GAN_BATCH_CONFIG_INIT", __func__, (unsigned)cfg->struct_size);
    n = cfg->struct_size;
    {
        gan_batch_config c = ds->cfg;
        c.struct_size = cfg->struct_size;
        memcpy(cfg, &c, n);
    }
    return GAN_OK;
}

gan_status gan_dataset_batches_per_epoch(const gan_dataset *ds, size_t *n)
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(n != NULL);
    *n = gan__ds_batches(ds);
    return GAN_OK;
}

gan_status gan_dataset_set_shard(gan_dataset *ds, size_t index, size_t count)
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    if (count == 0 || index >= count)
        return gan__err(GAN_EINVAL, "%s: shard %zu of %zu: the index must be below the count "
                        "(0..count-1)", __func__, index, count);
    if (count > ds->cfg.batch_size)
        return gan__err(GAN_EINVAL, "%s: %zu shards of a batch of %zu: every worker needs at "
                        "least one sample of each batch", __func__, count, ds->cfg.batch_size);
    ds->shard_index = index;
    ds->shard_count = count;
    return GAN_OK;
}

gan_status gan_dataset_set_flip_x(gan_dataset *ds, int on)
{
    char s1[48];
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    if (on && ds->shape.ndim != 3)
        return gan__err(GAN_ESHAPE, "%s: samples of shape %s are not images (h, w, c): "
                        "nothing to mirror", __func__, gan__shape_str(&ds->shape, s1, sizeof s1));
    ds->flip_x = on != 0;
    return GAN_OK;
}

/* Whether sample s is mirrored in epoch `epoch`: a hash of (seed, epoch, s),
   so it needs no state and survives a resume. */
static int gan__ds_flips(const gan_dataset *ds, size_t s)
{
    uint64_t h = ds->cfg.seed ^ 0x6a09e667f3bcc909ull;
    h = gan__splitmix64(&h) ^ (0x9e3779b97f4a7c15ull * ((uint64_t)ds->epoch + 1));
    h = gan__splitmix64(&h) ^ (0xbf58476d1ce4e5b9ull * ((uint64_t)s + 1));
    return (int)(gan__splitmix64(&h) >> 63);
}

/* One sample, mirrored left-right: (h, w, c) rows reversed pixel by pixel. */
static void gan__ds_copy_flipped(const gan_dataset *ds, float *dst, const float *src)
{
    size_t h = (size_t)ds->shape.d[0], w = (size_t)ds->shape.d[1], c = (size_t)ds->shape.d[2];
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            memcpy(dst + (y * w + x) * c, src + (y * w + (w - 1 - x)) * c, c * sizeof(float));
}

/* The order of epoch `epoch`: a function of (seed, epoch, n) only. */
static void gan__ds_make_perm(gan_dataset *ds)
{
    size_t n = ds->n;
    for (size_t i = 0; i < n; i++)
        ds->perm[i] = i;
    if (ds->cfg.shuffle && n > 1) {
        gan__rng r;
        uint64_t sm = ds->cfg.seed;
        uint64_t a = gan__splitmix64(&sm);
        gan__rng_seed(&r, a ^ (0xd1b54a32d192ed03ull * ((uint64_t)ds->epoch + 1)));
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = gan__rng_below(&r, i + 1);
            size_t t = ds->perm[i];
            ds->perm[i] = ds->perm[j];
            ds->perm[j] = t;
        }
    }
    ds->perm_ready = 1;
}

/* Samples of shard k (of P) of a global batch of m: m / P, one more for
   the first m % P shards; the shard starts at *first within the batch. */
static size_t gan__ds_shard_slice(size_t m, size_t k, size_t p, size_t *first)
{
    const size_t q = m / p, rem = m % p;
    *first = k * q + (k < rem ? k : rem);
    return q + (k < rem);
}

gan_status gan_dataset_next_batch(gan_dataset *ds, float *x, size_t x_count, int32_t *labels,
                                  size_t *n, size_t *epoch)
{
    size_t bs, need, left, take, first = 0, mine;
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(x != NULL);
    GAN__CHECK_ARG(n != NULL);
    *n = 0;
    bs = ds->cfg.batch_size;
    if (ds->shard_count > bs)
        return gan__err(GAN_ESTATE, "%s: %zu shards of a batch of %zu: every worker needs at "
                        "least one sample of each batch", __func__, ds->shard_count, bs);
    mine = gan__ds_shard_slice(bs, ds->shard_index, ds->shard_count, &first);
    if (gan__mul_size(mine, ds->elems, &need) != 0 || x_count < need)
        return gan__err(GAN_ESHAPE, "%s: x_count is %zu, expected at least %zu (batch_size %zu "
                        "* %zu elements per sample)", __func__, x_count, need, mine, ds->elems);
    if (gan__ds_batches(ds) == 0)
        return gan__err(GAN_ESTATE, "%s: no batch fits: %zu samples, batch_size %zu with "
                        "drop_remainder", __func__, ds->n, bs);
    if (!ds->perm_ready)
        gan__ds_make_perm(ds);
    left = ds->n - ds->pos;
    take = left < bs ? left : bs;
    ds->last_global = 0;
    if (take == 0 || (take < bs && ds->cfg.drop_remainder) || take < ds->shard_count) {
        if (epoch)
            *epoch = ds->epoch;
        ds->epoch++;
        ds->pos = 0;
        ds->perm_ready = 0;
        return GAN_DONE;
    }
    /* This worker's slice of the global batch (all of it without shards). */
    ds->last_global = take;
    mine = gan__ds_shard_slice(take, ds->shard_index, ds->shard_count, &first);
    for (size_t i = 0; i < mine; i++) {
        size_t s = ds->perm[ds->pos + first + i];
        if (ds->flip_x && gan__ds_flips(ds, s))
            gan__ds_copy_flipped(ds, x + i * ds->elems, ds->x + s * ds->elems);
        else
            memcpy(x + i * ds->elems, ds->x + s * ds->elems, ds->elems * sizeof(float));
        if (labels)
            labels[i] = ds->labels ? ds->labels[s] : -1;
    }
    ds->pos += take;
    *n = mine;
    if (epoch)
        *epoch = ds->epoch;
    return GAN_OK;
}
