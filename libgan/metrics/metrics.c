/*
 * metrics.c -- the Inception Score and the feature network driver
 * (gan_metrics): running a classifier over images, a dataset or a
 * generator's samples, into FID statistics (fid_stats.c) and class
 * probabilities.
 */
#include <math.h>
#include <zlib.h>

#include "metrics/metrics.h"

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
    gan__put_le32(li, (uint32_t)layer);
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
