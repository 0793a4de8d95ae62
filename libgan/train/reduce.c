/*
 * reduce.c -- data-parallel training through a reducer (gan_reducer_config
 * in gan.h): the hook, the step's agreement, the global batch's noise,
 * gradient buckets reduced while the backward pass runs, and the sums that
 * turn a worker's figures into the global batch's.
 *
 * Invariants, each what makes N workers with b_k samples each compute the
 * step of one process with the global batch of N = sum b_k samples:
 *
 *  - Every worker's trainer stays identical: the same weights, optimizer
 *    moments, counters and random streams.  The step's agreement checks the
 *    streams and counters (a fingerprint per worker) and every update is
 *    made from the same summed gradients.
 *
 *  - A worker's gradients are of its own mean loss (1/b_k).  Scaling them by
 *    w_k = b_k / N before the sum gives sum_k b_k/N * g_k: the gradient of
 *    the global mean loss.  Losses, scores and feature means are summed
 *    the same way.  With one worker w = 1 and nothing is scaled, so the
 *    step computes bit for bit what it computes without a reducer.
 *
 *  - The noise of the global batch is drawn from the trainer's one stream in
 *    the order of one process (all latent vectors, then all classes; the
 *    WGAN-GP weights of a critic update in sample order); a worker keeps
 *    samples offset..offset+b_k-1 and jumps over the others in O(log n)
 *    (gan__rng_skip_normal, gan__rng_advance; the classes, drawn by
 *    rejection, are drawn one by one).  Every worker's stream thus ends
 *    the step where one process's would: the noise is independent of the
 *    number of workers, and a checkpoint resumes on any number.
 *
 *  - Gradient buckets are contiguous ranges of a model's gradient arena,
 *    cut at layer boundaries from the top layer down (the order backward
 *    finishes them).  A model's arena holds its layers in order, so when
 *    layer i's backward is done every parameter at or above layer i's
 *    offset is final: the hook starts those buckets.  A model is "armed"
 *    only for the backward pass that completes its gradients: the fake
 *    batch's for the critic (or, with a gradient penalty, none: the
 *    penalty adds last and the buckets start after it), the generator's
 *    only backward for the generator.
 *
 * Collectives, in the order every worker makes them: the agreement
 * (sum_doubles), the buckets (sum_start), sum_wait and the loss sums
 * (sum_doubles) per update, the feature means (feature matching), the
 * batchnorm statistics (size > 1).  The control flow between them depends
 * only on the configuration and on summed values, so it is the same on
 * every worker.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "train/train.h"

#define GAN__DIST_MSG 240     /* characters of a failing worker's message */
#define GAN__DIST_MAX_SIZE (1 << 20)

typedef struct gan__buckets {
    gan_trainer *t;
    gan_model *m;
    size_t n, next;           /* buckets; the next one to start */
    size_t *lo, *hi;          /* parameter ranges, top layers first */
    int armed;
} gan__buckets;

struct gan__dist {
    gan_reducer_config cfg;
    gan__buckets bk[2];       /* generator, discriminator */
    double *v;                /* the agreement: 4 * size values */
    float *bn;                /* both models' batchnorm statistics, packed */
    size_t n_bn;
    int broken;               /* this worker failed alone: out of step */
    /* The step in progress. */
    int in_step;
    size_t global, offset;    /* the global batch; this worker's first sample */
    double w;                 /* this worker's share, batch / global */
    size_t pending;           /* buckets started since the last wait */
    gan_status err;           /* a bucket that could not start */
    double d_real, d_fake;    /* the step's global mean scores */
    int bad_worker;           /* whose own loss was not finite: -1 none, -2 several */
    gan__rng g_shared, d_shared; /* the models' shared streams (size > 1) */
};

static void gan__buckets_free(gan__buckets *b)
{
    gan__free(b->lo);
    b->lo = b->hi = NULL;
    b->n = 0;
}

void gan__dist_free(gan__dist *d)
{
    if (!d)
        return;
    gan__buckets_free(&d->bk[0]);
    gan__buckets_free(&d->bk[1]);
    gan__free(d->v);
    gan__free(d->bn);
    gan__free(d);
}

/* Ranges of m's gradient arena of at least `floats` each (whole layers),
   from the top layer down. */
static gan_status gan__buckets_build(gan__buckets *b, gan_trainer *t, gan_model *m, size_t floats)
{
    size_t hi = m->n_params;
    b->t = t;
    b->m = m;
    b->n = b->next = 0;
    b->armed = 0;
    b->lo = gan__calloc(2 * (m->n_layers + 1), sizeof(size_t));
    if (!b->lo)
        return gan__err(GAN_ENOMEM, "gan_trainer_set_reducer: out of memory");
    b->hi = b->lo + m->n_layers + 1;
    for (size_t i = m->n_layers; i-- > 0;) {
        const gan__layer *l = &m->layers[i];
        if (l->n_params == 0)
            continue;
        if (hi - l->param_off >= floats) {
            b->lo[b->n] = l->param_off;
            b->hi[b->n++] = hi;
            hi = l->param_off;
        }
    }
    if (hi > 0) {
        b->lo[b->n] = 0;
        b->hi[b->n++] = hi;
    }
    return GAN_OK;
}

gan_status gan_reducer_config_init(gan_reducer_config *cfg, size_t size)
{
    return gan__config_read(&gan__reducer_config_type, cfg, size, NULL, __func__);
}

static void gan__dist_unhook(gan_trainer *t)
{
    t->g->backward_hook = NULL;
    t->g->backward_hook_user = NULL;
    t->d->backward_hook = NULL;
    t->d->backward_hook_user = NULL;
}

gan_status gan_trainer_set_reducer(gan_trainer *t, const gan_reducer_config *cfg)
{
    gan_reducer_config c;
    gan__dist *d;
    gan_status st;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (cfg == NULL) {
        gan__dist_free(t->dist);
        t->dist = NULL;
        return GAN_OK;
    }
    if ((st = gan__config_read(&gan__reducer_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;
    if (!c.sum_start || !c.sum_wait || !c.sum_doubles)
        return gan__err(GAN_EINVAL, "%s: sum_start, sum_wait and sum_doubles are required "
                        "(%s is NULL)", __func__, !c.sum_start ? "sum_start" :
                        !c.sum_wait ? "sum_wait" : "sum_doubles");
    if (c.size < 1 || c.size > GAN__DIST_MAX_SIZE || c.rank < 0 || c.rank >= c.size)
        return gan__err(GAN_EINVAL, "%s: rank %d of size %d: size must be in 1..%d and rank in "
                        "0..size-1", __func__, c.rank, c.size, GAN__DIST_MAX_SIZE);
    if (c.bucket_bytes < sizeof(float) || c.bucket_bytes > ((size_t)1 << 30))
        return gan__err(GAN_EINVAL, "%s: bucket_bytes %zu must be in 4..2^30", __func__,
                        c.bucket_bytes);
    if (t->g->magic != GAN__MAGIC_MODEL || t->d->magic != GAN__MAGIC_MODEL)
        return gan__err(GAN_ESTATE, "%s: a model of this trainer was freed", __func__);
    if (c.size > 1 && t->cfg.ada_target > 0.0f)
        return gan__err(GAN_EUNSUPPORTED, "%s: adaptive augmentation (ada_target %g) measures "
                        "r_t on one process's batches, so the workers' p would drift apart; "
                        "use a fixed augment_p for data-parallel training", __func__,
                        (double)t->cfg.ada_target);
    d = gan__calloc(1, sizeof *d);
    if (!d)
        return gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
    d->cfg = c;
    d->v = gan__calloc(4 * (size_t)c.size > GAN__DIST_MSG ? 4 * (size_t)c.size : GAN__DIST_MSG,
                       sizeof(double));
    for (int k = 0; k < 2; k++) {
        const gan_model *m = k ? t->d : t->g;
        for (size_t i = 0; i < m->n_layers; i++)
            if (m->layers[i].kind == GAN_LAYER_BATCHNORM)
                d->n_bn += m->layers[i].n_state;
    }
    if (d->n_bn)
        d->bn = gan__malloc(d->n_bn * sizeof(float));
    if (!d->v || (d->n_bn && !d->bn) ||
        gan__buckets_build(&d->bk[0], t, t->g, c.bucket_bytes / sizeof(float)) != GAN_OK ||
        gan__buckets_build(&d->bk[1], t, t->d, c.bucket_bytes / sizeof(float)) != GAN_OK ||
        (st = gan__model_ensure_grads(t->g)) != GAN_OK || (st = gan__model_ensure_grads(t->d)) != GAN_OK) {
        gan__dist_free(d);
        return gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
    }
    gan__dist_free(t->dist);
    t->dist = d;
    return GAN_OK;
}

/* ---- the step's agreement ------------------------------------------------------- */

static uint64_t gan__mix(uint64_t h, uint64_t v)
{
    uint64_t s = h ^ (v * 0x9e3779b97f4a7c15ull);
    return gan__splitmix64(&s);
}

static uint64_t gan__rng_hash(uint64_t h, const gan__rng *r)
{
    uint32_t spare;
    memcpy(&spare, &r->spare, sizeof spare);
    for (int i = 0; i < 4; i++)
        h = gan__mix(h, r->s[i]);
    return gan__mix(gan__mix(h, (uint64_t)r->has_spare), spare);
}

/* What must be equal on every worker at the start of a step. */
static uint64_t gan__dist_fingerprint(const gan_trainer *t)
{
    uint64_t h = 0x6c696267616eull;   /* "libgan" */
    h = gan__rng_hash(h, &t->rng);
    h = gan__rng_hash(h, &t->g->rng);
    h = gan__rng_hash(h, &t->d->rng);
    h = gan__mix(h, t->step);
    h = gan__mix(h, t->epoch);
    h = gan__mix(h, (uint64_t)t->cfg.n_critic);
    h = gan__mix(h, t->g->n_params);
    return gan__mix(h, t->d->n_params);
}

gan_status gan__dist_broken(gan_trainer *t, gan_status st)
{
    gan__dist *d = t->dist;
    if (!d->broken && d->cfg.out_of_step)
        d->cfg.out_of_step(st, d->cfg.user);
    d->broken = 1;
    return st;
}

static gan_status gan__dist_callback_err(gan_trainer *t, const char *what, gan_status st)
{
    gan__err(st < 0 ? st : GAN_EINTERNAL, "the reducer's %s failed (status %d) on worker %d of "
             "%d", what, (int)st, t->dist->cfg.rank, t->dist->cfg.size);
    return st < 0 ? st : GAN_EINTERNAL;
}

/* Worker q failed before the step: everyone learns its message. */
static gan_status gan__dist_failed(gan_trainer *t, int q, gan_status status, gan_status local)
{
    gan__dist *d = t->dist;
    double *m = d->v;
    char text[GAN__DIST_MSG];
    gan_status st;
    memset(m, 0, GAN__DIST_MSG * sizeof *m);
    if (d->cfg.rank == q) {
        const char *e = gan_last_error();
        for (size_t i = 0; i + 1 < GAN__DIST_MSG && e[i]; i++)
            m[i] = (double)(unsigned char)e[i];
    }
    if ((st = d->cfg.sum_doubles(m, GAN__DIST_MSG, d->cfg.user)) != GAN_OK) {
        if (d->cfg.rank == q)
            return local;
        return gan__err(status, "worker %d of %d failed (its message was lost: the reducer's "
                        "sum_doubles returned %d)", q, d->cfg.size, (int)st);
    }
    if (d->cfg.rank == q)
        return local;
    for (size_t i = 0; i < GAN__DIST_MSG; i++)
        text[i] = (char)(m[i] >= 1.0 && m[i] <= 255.0 ? (int)m[i] : 0);
    text[GAN__DIST_MSG - 1] = '\0';
    return gan__err(status, "worker %d of %d failed: %s", q, d->cfg.size, text);
}

static void gan__dist_hook(void *user, size_t layer, int accum);

gan_status gan__dist_begin(gan_trainer *t, size_t batch, gan_status local)
{
    gan__dist *d = t->dist;
    const int p = d->cfg.size, r = d->cfg.rank;
    double *v = d->v;
    uint64_t fp, fp0 = 0;
    size_t global = 0, offset = 0;
    gan_status st;
    if (d->broken)
        return gan__err(GAN_ESTATE, "gan_trainer_step: an earlier step failed on this worker "
                        "alone (worker %d of %d), so the workers are out of step: end the job",
                        r, p);
    memset(v, 0, 4 * (size_t)p * sizeof *v);
    v[r] = (double)batch;
    v[p + r] = local < 0 ? (double)-(int)local : 0.0;
    fp = gan__dist_fingerprint(t);
    v[2 * p + 2 * r] = (double)(uint32_t)(fp >> 32);
    v[2 * p + 2 * r + 1] = (double)(uint32_t)fp;
    if ((st = d->cfg.sum_doubles(v, 4 * (size_t)p, d->cfg.user)) != GAN_OK)
        return gan__dist_broken(t, gan__dist_callback_err(t, "sum_doubles", st));
    for (int q = 0; q < p; q++)
        if (v[p + q] != 0.0) {
            const double code = v[p + q];
            const gan_status s = code >= 1.0 && code <= 100.0 ? (gan_status)-(int)code : GAN_EINTERNAL;
            return gan__dist_failed(t, q, s, local);
        }
    for (int q = 0; q < p; q++) {
        const uint64_t f = (uint64_t)v[2 * p + 2 * q] << 32 | (uint64_t)v[2 * p + 2 * q + 1];
        if (q == 0)
            fp0 = f;
        else if (f != fp0)
            return gan__err(GAN_ESTATE, "gan_trainer_step: worker %d's trainer is not worker 0's "
                            "(step, epoch, n_critic, model sizes or random streams differ): give "
                            "every worker the same seeds and calls or the same checkpoint "
                            "(libgan_mpi copies worker 0's)", q);
    }
    for (int q = 0; q < p; q++) {
        global += (size_t)v[q];
        if (q < r)
            offset += (size_t)v[q];
    }
    d->global = global;
    d->offset = offset;
    d->w = (double)batch / (double)global;
    d->pending = 0;
    d->err = GAN_OK;
    d->d_real = d->d_fake = 0.0;
    d->bad_worker = -1;
    if (p > 1) {
        /* Dropout masks and injected noise: a stream of this step and
           worker, derived from the shared one, which moves by one draw. */
        d->g_shared = t->g->rng;
        d->d_shared = t->d->rng;
        gan__rng_seed(&t->g->rng, gan__mix(gan__rng_next(&d->g_shared), (uint64_t)r + 1));
        gan__rng_seed(&t->d->rng, gan__mix(gan__rng_next(&d->d_shared), (uint64_t)r + 1));
    }
    for (int k = 0; k < 2; k++) {
        gan_model *m = k ? t->d : t->g;
        d->bk[k].armed = 0;
        d->bk[k].next = d->bk[k].n;
        m->backward_hook = gan__dist_hook;
        m->backward_hook_user = &d->bk[k];
    }
    d->in_step = 1;
    return GAN_OK;
}

void gan__dist_end(gan_trainer *t)
{
    gan__dist *d = t->dist;
    if (!d->in_step)
        return;
    gan__dist_unhook(t);
    if (d->cfg.size > 1) {
        t->g->rng = d->g_shared;
        t->d->rng = d->d_shared;
    }
    d->in_step = 0;
}

gan_status gan_trainer_fail_step(gan_trainer *t, gan_status status)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (status >= 0)
        return gan__err(GAN_EINVAL, "%s: status %d is not an error", __func__, (int)status);
    if (!t->dist)
        return gan__err(GAN_ESTATE, "%s: the trainer has no reducer (gan_trainer_set_reducer)",
                        __func__);
    if (t->dist->broken)
        return status;
    return gan__dist_begin(t, 0, status);
}

gan_status gan__dist_reserve(gan_trainer *t, size_t batch)
{
    const gan_loss_config *lc = gan__loss_config(t->loss);
    if (lc->gradient_penalty > 0.0f || lc->r1_gamma > 0.0f)
        return gan__penalty_reserve(&t->penalty, t->d, batch);
    return GAN_OK;
}

/* ---- the global batch's noise --------------------------------------------------- */

void gan__dist_noise(gan_trainer *t, float *z, int32_t *labels, size_t batch)
{
    const gan__dist *d = t->dist;
    const size_t before = d->offset, after = d->global - d->offset - batch, L = t->latent;
    gan__rng_skip_normal(&t->rng, before * L);
    gan__rng_fill_normal(&t->rng, z, batch * L);
    gan__rng_skip_normal(&t->rng, after * L);
    if (!labels)
        return;
    /* Rejection sampling draws a variable number of values: run them all. */
    for (size_t i = 0; i < before; i++)
        gan__rng_below(&t->rng, (size_t)t->n_classes);
    for (size_t i = 0; i < batch; i++)
        labels[i] = (int32_t)gan__rng_below(&t->rng, (size_t)t->n_classes);
    for (size_t i = 0; i < after; i++)
        gan__rng_below(&t->rng, (size_t)t->n_classes);
}

void gan__dist_uniforms(gan_trainer *t, float *e, size_t batch)
{
    const gan__dist *d = t->dist;
    const size_t after = d->global - d->offset - batch;
    gan__rng_advance(&t->rng, d->offset);          /* one draw per uniform */
    for (size_t i = 0; i < batch; i++)
        e[i] = gan__rng_uniform(&t->rng);
    gan__rng_advance(&t->rng, after);
}

/* ---- gradient buckets ----------------------------------------------------------- */

static void gan__bucket_start(gan__dist *d, gan__buckets *b, size_t k)
{
    float *g = b->m->grads + b->lo[k];
    const size_t n = b->hi[k] - b->lo[k];
    gan_status st;
    if (d->err != GAN_OK)
        return;
    if (d->w != 1.0) {
        const float w = (float)d->w;
        for (size_t i = 0; i < n; i++)
            g[i] *= w;
    }
    if ((st = d->cfg.sum_start(g, n, d->cfg.user)) != GAN_OK)
        d->err = gan__dist_callback_err(b->t, "sum_start", st);
    else
        d->pending++;
}

/* After layer `layer` of an armed model: its parameters and those of every
   layer above are final, so their buckets can start. */
static void gan__dist_hook(void *user, size_t layer, int accum)
{
    gan__buckets *b = user;
    gan__dist *d = b->t->dist;
    (void)accum;
    if (b->armed) {
        const size_t off = b->m->layers[layer].param_off;
        while (b->next < b->n && b->lo[b->next] >= off)
            gan__bucket_start(d, b, b->next++);
    }
    if (d->pending && d->cfg.progress)
        d->cfg.progress(d->cfg.user);
}

void gan__dist_arm(gan_trainer *t, gan_model *m)
{
    gan__buckets *b = &t->dist->bk[m == t->d];
    b->next = 0;
    b->armed = 1;
}

gan_status gan__dist_flush(gan_trainer *t, gan_model *m)
{
    gan__dist *d = t->dist;
    gan__buckets *b = &d->bk[m == t->d];
    gan_status st;
    if (!b->armed)
        b->next = 0;
    while (b->next < b->n)
        gan__bucket_start(d, b, b->next++);
    b->armed = 0;
    st = d->err;
    d->err = GAN_OK;
    return st;
}

/* ---- sums of losses, scores, features and statistics ----------------------------- */

/* Sum of a side's scores as gan_step_stats reports them (the mean's
   numerator, in the order train_step.c's mean adds them). */
static double gan__score_sum(const gan_loss_config *lc, const float *x, size_t n)
{
    double s = 0.0;
    int prob = lc->kind == GAN_LOSS_BCE || lc->kind == GAN_LOSS_FEATURE_MATCHING;
    for (size_t i = 0; i < n; i++)
        s += prob ? 1.0 / (1.0 + exp(-(double)x[i])) : (double)x[i];
    return s;
}

gan_status gan__dist_finish(gan_trainer *t, double *d_loss, double *g_loss, int scores,
                            size_t batch)
{
    gan__dist *d = t->dist;
    const gan_loss_config *lc = gan__loss_config(t->loss);
    double v[6];
    int bad;
    gan_status st;
    if ((st = d->cfg.sum_wait(d->cfg.user)) != GAN_OK)
        return gan__dist_callback_err(t, "sum_wait", st);
    d->pending = 0;
    bad = (d_loss && !isfinite(*d_loss)) || (g_loss && !isfinite(*g_loss));
    v[0] = d_loss ? d->w * *d_loss : 0.0;
    v[1] = g_loss ? d->w * *g_loss : 0.0;
    v[2] = scores ? gan__score_sum(lc, t->logits_real, batch) : 0.0;
    v[3] = scores ? gan__score_sum(lc, t->logits_fake, batch) : 0.0;
    v[4] = bad;                               /* workers whose loss is not finite */
    v[5] = bad ? (double)d->cfg.rank + 1 : 0.0;
    if ((st = d->cfg.sum_doubles(v, 6, d->cfg.user)) != GAN_OK)
        return gan__dist_callback_err(t, "sum_doubles", st);
    if (v[4] == 1.0)
        d->bad_worker = (int)v[5] - 1;
    else if (v[4] > 1.0)
        d->bad_worker = -2;
    if (d_loss)
        *d_loss = v[0];
    if (g_loss)
        *g_loss = v[1];
    if (scores) {
        d->d_real = v[2] / (double)d->global;
        d->d_fake = v[3] / (double)d->global;
    }
    return GAN_OK;
}

void gan__dist_explain(const gan_trainer *t)
{
    char msg[512];
    const gan__dist *d = t->dist;
    if (d->bad_worker == -1)
        return;
    if (d->bad_worker >= 0)
        snprintf(msg, sizeof msg, "%s (summed over %d workers; the loss of worker %d was not "
                 "finite)", gan_last_error(), d->cfg.size, d->bad_worker);
    else
        snprintf(msg, sizeof msg, "%s (summed over %d workers; the losses of several were not "
                 "finite)", gan_last_error(), d->cfg.size);
    gan_set_error(GAN_ENUMERIC, msg);
}

void gan__dist_scores(const gan_trainer *t, double *d_real, double *d_fake)
{
    *d_real = t->dist->d_real;
    *d_fake = t->dist->d_fake;
}

gan_status gan__dist_mean(gan_trainer *t, double *mean, size_t dim)
{
    gan__dist *d = t->dist;
    gan_status st;
    for (size_t j = 0; j < dim; j++)
        mean[j] *= d->w;
    if ((st = d->cfg.sum_doubles(mean, dim, d->cfg.user)) != GAN_OK)
        return gan__dist_callback_err(t, "sum_doubles", st);
    return GAN_OK;
}

gan_status gan__dist_feature_matching(gan_trainer *t, const float *fake, size_t batch,
                                      double *value, float *d_fake)
{
    double *mf = t->feat_scratch, v = 0.0;
    const size_t dim = t->feat_dim;
    gan_status st;
    gan__batch_mean(fake, batch, dim, mf);
    if ((st = gan__dist_mean(t, mf, dim)) != GAN_OK)
        return st;
    /* As gan__feature_matching, on the global means. */
    for (size_t j = 0; j < dim; j++) {
        double diff = t->feat_mean[j] - mf[j];
        v += diff * diff;
        mf[j] = -2.0 * diff / (double)batch;
    }
    for (size_t i = 0; i < batch; i++)
        for (size_t j = 0; j < dim; j++)
            d_fake[i * dim + j] = (float)mf[j];
    *value = (double)(float)v;
    return GAN_OK;
}

/* Batchnorm running statistics: this worker's share of each, summed. */
gan_status gan__dist_sync_state(gan_trainer *t)
{
    gan__dist *d = t->dist;
    const float w = (float)d->w;
    size_t at = 0;
    gan_status st;
    if (d->cfg.size == 1 || d->n_bn == 0)
        return GAN_OK;
    for (int k = 0; k < 2; k++) {
        const gan_model *m = k ? t->d : t->g;
        for (size_t i = 0; i < m->n_layers; i++) {
            const gan__layer *l = &m->layers[i];
            if (l->kind != GAN_LAYER_BATCHNORM)
                continue;
            for (size_t j = 0; j < l->n_state; j++)
                d->bn[at + j] = w * m->state[l->state_off + j];
            at += l->n_state;
        }
    }
    if ((st = d->cfg.sum_start(d->bn, d->n_bn, d->cfg.user)) != GAN_OK)
        return gan__dist_callback_err(t, "sum_start", st);
    if ((st = d->cfg.sum_wait(d->cfg.user)) != GAN_OK)
        return gan__dist_callback_err(t, "sum_wait", st);
    at = 0;
    for (int k = 0; k < 2; k++) {
        gan_model *m = k ? t->d : t->g;
        for (size_t i = 0; i < m->n_layers; i++) {
            const gan__layer *l = &m->layers[i];
            if (l->kind != GAN_LAYER_BATCHNORM)
                continue;
            memcpy(m->state + l->state_off, d->bn + at, l->n_state * sizeof(float));
            at += l->n_state;
        }
    }
    return GAN_OK;
}
