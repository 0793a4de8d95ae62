/*
 * trainer.c -- adversarial training steps and the epoch loop.
 *
 * The exact sequence of forward and backward passes is documented in gan.h
 * (gan_trainer).  Two properties shape this file:
 *
 *  - One D forward serves two backward passes: the D loss's (accumulating
 *    D's gradients) and the G loss's (accum = 0: D's gradients untouched,
 *    only the gradient w.r.t. the fake images).  Backward never modifies the
 *    cached forward state, so both see the same activations, dropout masks
 *    and batch statistics, as the seed's GradientTape step does.
 *
 *  - A step is all-or-nothing.  Everything that can change (the state
 *    arenas, updated by training forwards: batchnorm running statistics and
 *    spectral normalisation's u; with n_critic > 1 also D's weights
 *    and optimizer state, which are updated before G's gradients exist) is
 *    snapshotted first and restored if a loss or gradient is not finite.
 */
#include <math.h>
#include <stddef.h>

#include "train/train.h"

struct gan_trainer {
    uint32_t magic;
    gan_model *g, *d;
    gan_optimizer *g_opt, *d_opt;
    const gan_loss *loss;
    gan_trainer_config cfg;
    gan__rng rng;              /* latent noise */
    uint64_t step, epoch;
    size_t latent, sample;     /* G input and D input elements per sample */
    int n_classes;             /* of both models when conditional, else 0 */
    int feat_layer;            /* feature matching: D layer, else -1 */
    size_t feat_dim;
    /* Buffers sized for cap samples. */
    size_t cap;
    float *z;                  /* (cap, latent) */
    float *logits_real, *logits_fake, *g_real, *g_fake, *g_gen; /* (cap) */
    float *g_feat;             /* (cap, feat_dim) */
    float *d_img;              /* (cap, sample): dLoss_G / d fake images */
    float *xhat;               /* (cap, sample): WGAN-GP interpolates */
    int32_t *fake_labels;      /* (cap): classes of the generated batch */
    gan__penalty_buf *penalty; /* buffers of the gradient penalties */
    double *feat_mean, *feat_scratch;
    /* Snapshots for the all-or-nothing rule. */
    float *snap_g_state, *snap_d_state, *snap_d_params, *snap_d_opt;
    size_t snap_d_opt_n;
    int owns_handles;          /* made by gan_trainer_load: free them too */
    uint64_t g_generation, d_generation; /* the models' layouts it was made for */
    float *ema;                /* EMA of the generator's parameters, or NULL */
};

gan_status gan_trainer_config_init(gan_trainer_config *cfg, size_t size)
{
    return gan__config_read(&gan__trainer_config_type, cfg, size, NULL, __func__);
}

static void gan__trainer_free_buffers(gan_trainer *t)
{
    gan__aligned_free(t->z);
    gan__aligned_free(t->logits_real);
    gan__aligned_free(t->d_img);
    gan__aligned_free(t->g_feat);
    gan__aligned_free(t->xhat);
    gan__free(t->fake_labels);
    t->fake_labels = NULL;
    t->z = t->logits_real = t->logits_fake = t->g_real = t->g_fake = t->g_gen = NULL;
    t->d_img = t->g_feat = t->xhat = NULL;
    t->cap = 0;
}

void gan_trainer_free(gan_trainer *t)
{
    if (t == NULL || t->magic != GAN__MAGIC_TRAINER)
        return;
    if (t->owns_handles) {
        gan_optimizer_free(t->g_opt);
        gan_optimizer_free(t->d_opt);
        gan_loss_free((gan_loss *)t->loss);
        gan_model_free(t->g);
        gan_model_free(t->d);
    }
    gan__trainer_free_buffers(t);
    gan__penalty_buf_free(t->penalty);
    gan__aligned_free(t->ema);
    gan__free(t->feat_mean);
    gan__aligned_free(t->snap_g_state);
    gan__aligned_free(t->snap_d_state);
    gan__aligned_free(t->snap_d_params);
    gan__aligned_free(t->snap_d_opt);
    t->magic = GAN__MAGIC_DEAD;
    gan__free(t);
    gan__handle_freed();
}

/* Index of the last layer that is not a reshape/flatten, or -1. */
static int gan__last_real_layer(const gan_model *m)
{
    for (size_t i = m->n_layers; i-- > 0;)
        if (!m->layers[i].ops->is_view)
            return (int)i;
    return -1;
}

gan_status gan_trainer_create(gan_trainer **out, gan_model *g, gan_model *d, gan_optimizer *g_opt,
                              gan_optimizer *d_opt, const gan_loss *loss,
                              const gan_trainer_config *cfg)
{
    gan_trainer *t;
    gan_trainer_config c;
    const gan_loss_config *lc;
    const gan__shape *gout;
    char a[64], b[64];
    size_t n_opt = 0;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_HANDLE(g, GAN__MAGIC_MODEL, "generator gan_model");
    GAN__CHECK_HANDLE(d, GAN__MAGIC_MODEL, "discriminator gan_model");
    GAN__CHECK_HANDLE(g_opt, GAN__MAGIC_OPTIMIZER, "generator gan_optimizer");
    GAN__CHECK_HANDLE(d_opt, GAN__MAGIC_OPTIMIZER, "discriminator gan_optimizer");
    GAN__CHECK_HANDLE(loss, GAN__MAGIC_LOSS, "gan_loss");
    if (g == d)
        return gan__err(GAN_EINVAL, "gan_trainer_create: generator and discriminator are the same model");
    if (gan__optimizer_model(g_opt) != g || gan__optimizer_model(d_opt) != d)
        return gan__err(GAN_EINVAL, "gan_trainer_create: each optimizer must be created for its "
                        "own model (g_opt for the generator, d_opt for the discriminator)");
    if ((st = gan__config_read(&gan__trainer_config_type, &c, sizeof c, cfg, __func__)) != GAN_OK)
        return st;   /* cfg NULL: the defaults */
    if (!(c.ema_decay >= 0.0f && c.ema_decay < 1.0f))
        return gan__err(GAN_EINVAL, "gan_trainer_create: ema_decay %g must be in [0, 1)",
                        (double)c.ema_decay);
    if (c.n_critic < 1 || c.n_critic > 1000)
        return gan__err(GAN_EINVAL, "gan_trainer_create: n_critic %d must be in 1..1000", c.n_critic);
    if (g->n_layers == 0 || d->n_layers == 0)
        return gan__err(GAN_ESTATE, "gan_trainer_create: the %s has no layers",
                        g->n_layers == 0 ? "generator" : "discriminator");
    gout = &g->layers[g->n_layers - 1].out;
    if (gout->ndim != d->in.ndim || gan__shape_elems(gout) != gan__shape_elems(&d->in) ||
        memcmp(gout->d, d->in.d, sizeof(int) * (size_t)gout->ndim) != 0)
        return gan__err(GAN_ESHAPE, "gan_trainer_create: the generator's output %s does not match "
                        "the discriminator's input %s", gan__shape_str(gout, a, sizeof a),
                        gan__shape_str(&d->in, b, sizeof b));
    if (gan__shape_elems(&d->layers[d->n_layers - 1].out) != 1)
        return gan__err(GAN_ESHAPE, "gan_trainer_create: the discriminator must output one value "
                        "per sample, not %s",
                        gan__shape_str(&d->layers[d->n_layers - 1].out, a, sizeof a));
    if ((g->n_classes != 0) != (d->n_classes != 0))
        return gan__err(GAN_EINVAL, "gan_trainer_create: only the %s is conditional (%d classes); "
                        "a conditional GAN needs class layers in both the generator and the "
                        "discriminator", g->n_classes ? "generator" : "discriminator",
                        g->n_classes ? g->n_classes : d->n_classes);
    if (g->n_classes != d->n_classes)
        return gan__err(GAN_EINVAL, "gan_trainer_create: the generator has %d classes, the "
                        "discriminator %d", g->n_classes, d->n_classes);
    lc = gan__loss_config(loss);
    if ((lc->gradient_penalty > 0.0f || lc->r1_gamma > 0.0f) && gan__penalty_supported(d) != GAN_OK) {
        gan__err_prefix("gan_trainer_create");
        return GAN_EUNSUPPORTED;
    }

    t = gan__calloc(1, sizeof *t);
    if (!t)
        return gan__err(GAN_ENOMEM, "gan_trainer_create: out of memory");
    t->magic = GAN__MAGIC_TRAINER;
    t->g = g;
    t->d = d;
    t->g_opt = g_opt;
    t->d_opt = d_opt;
    t->loss = loss;
    t->cfg = c;
    t->latent = gan__shape_elems(&g->in);
    t->sample = gan__shape_elems(&d->in);
    t->n_classes = g->n_classes;
    t->feat_layer = -1;
    t->g_generation = g->generation;
    t->d_generation = d->generation;
    gan__rng_seed(&t->rng, c.seed);
    gan__handle_created();

    if (lc->kind == GAN_LOSS_FEATURE_MATCHING) {
        int k = lc->feature_layer;
        if (k == -1)
            k = gan__last_real_layer(d) - 1;
        if (k < 0 || (size_t)k >= d->n_layers - 1) {
            gan_trainer_free(t);
            return gan__err(GAN_EINVAL, "gan_trainer_create: feature layer %d must be in 0..%zu "
                            "(a discriminator layer below the output)", k, d->n_layers - 2);
        }
        t->feat_layer = k;
        gan__model_keep_output(d, (size_t)k);   /* read after each D forward */
        t->feat_dim = gan__shape_elems(&d->layers[k].out);
        t->feat_mean = gan__calloc(2 * t->feat_dim, sizeof(double));
        if (!t->feat_mean) {
            gan_trainer_free(t);
            return gan__err(GAN_ENOMEM, "gan_trainer_create: out of memory");
        }
        t->feat_scratch = t->feat_mean + t->feat_dim;
    }
    gan_optimizer_state_size(d_opt, &n_opt);
    t->snap_d_opt_n = n_opt;
    t->snap_g_state = gan__aligned_alloc((g->n_state + 1) * sizeof(float));
    t->snap_d_state = gan__aligned_alloc((d->n_state + 1) * sizeof(float));
    if (c.n_critic > 1) {
        t->snap_d_params = gan__aligned_alloc((d->n_params + 1) * sizeof(float));
        t->snap_d_opt = gan__aligned_alloc((n_opt + 1) * sizeof(float));
    }
    if (c.ema_decay > 0.0f && g->n_params) {
        t->ema = gan__aligned_alloc(g->n_params * sizeof(float));
        if (t->ema)
            memcpy(t->ema, g->params, g->n_params * sizeof(float));
    }
    if (!t->snap_g_state || !t->snap_d_state || (c.ema_decay > 0.0f && g->n_params && !t->ema) ||
        (c.n_critic > 1 && (!t->snap_d_params || !t->snap_d_opt))) {
        gan_trainer_free(t);
        return gan__err(GAN_ENOMEM, "gan_trainer_create: out of memory");
    }
    *out = t;
    return GAN_OK;
}

/* Size the per-batch buffers for `batch` samples (grow only). */
static gan_status gan__trainer_reserve(gan_trainer *t, size_t batch)
{
    float *z, *logits, *d_img, *g_feat = NULL, *xhat;
    int32_t *fake_labels = NULL;
    gan_status st;
    if (batch <= t->cap)
        return GAN_OK;
    if ((st = gan_model_reserve(t->g, batch)) != GAN_OK || (st = gan_model_reserve(t->d, batch)) != GAN_OK)
        return st;
    z = gan__aligned_alloc(batch * t->latent * sizeof(float));
    logits = gan__aligned_alloc(5 * batch * sizeof(float));
    d_img = gan__aligned_alloc(batch * t->sample * sizeof(float));
    if (t->feat_layer >= 0)
        g_feat = gan__aligned_alloc(batch * t->feat_dim * sizeof(float));
    xhat = gan__aligned_alloc(batch * t->sample * sizeof(float));
    if (t->n_classes)
        fake_labels = gan__calloc(batch, sizeof *fake_labels);
    if (!z || !logits || !d_img || !xhat || (t->feat_layer >= 0 && !g_feat) ||
        (t->n_classes && !fake_labels)) {
        gan__free(fake_labels);
        gan__aligned_free(xhat);
        gan__aligned_free(z);
        gan__aligned_free(logits);
        gan__aligned_free(d_img);
        gan__aligned_free(g_feat);
        return gan__err(GAN_ENOMEM, "gan_trainer_step: out of memory for batch %zu", batch);
    }
    gan__trainer_free_buffers(t);
    t->z = z;
    t->logits_real = logits;
    t->logits_fake = logits + batch;
    t->g_real = logits + 2 * batch;
    t->g_fake = logits + 3 * batch;
    t->g_gen = logits + 4 * batch;
    t->d_img = d_img;
    t->g_feat = g_feat;
    t->xhat = xhat;
    t->fake_labels = fake_labels;
    t->cap = batch;
    return GAN_OK;
}

/* memcpy of n floats; n may be 0 with NULL pointers (models without
   batchnorm have no state arena). */
static void gan__copy(float *dst, const float *src, size_t n)
{
    if (n)
        memcpy(dst, src, n * sizeof(float));
}

static void gan__snapshot(gan_trainer *t, uint64_t *d_opt_step)
{
    gan__copy(t->snap_g_state, t->g->state, t->g->n_state);
    gan__copy(t->snap_d_state, t->d->state, t->d->n_state);
    *d_opt_step = 0;
    if (t->cfg.n_critic > 1) {
        gan__copy(t->snap_d_params, t->d->params, t->d->n_params);
        gan_optimizer_get_state(t->d_opt, t->snap_d_opt, t->snap_d_opt_n, d_opt_step);
    }
}

static gan_status gan__restore(gan_trainer *t, uint64_t d_opt_step)
{
    gan__copy(t->g->state, t->snap_g_state, t->g->n_state);
    gan__copy(t->d->state, t->snap_d_state, t->d->n_state);
    if (t->cfg.n_critic > 1) {
        gan__copy(t->d->params, t->snap_d_params, t->d->n_params);
        gan_optimizer_set_state(t->d_opt, t->snap_d_opt, t->snap_d_opt_n, d_opt_step);
    }
    return GAN_ENUMERIC;
}

/* Clip every trainable critic weight to [-c, c] (the original WGAN). */
static void gan__clip(gan_model *d, float c)
{
    for (size_t i = 0; i < d->n_layers; i++) {
        const gan__layer *l = &d->layers[i];
        float *w = d->params + l->param_off;
        if (!l->trainable)
            continue;
        for (size_t j = 0; j < l->n_params; j++)
            w[j] = w[j] > c ? c : w[j] < -c ? -c : w[j];
    }
}

static double gan__mean_output(const gan_loss_config *lc, const float *x, size_t n)
{
    double s = 0.0;
    int prob = lc->kind == GAN_LOSS_BCE || lc->kind == GAN_LOSS_FEATURE_MATCHING;
    for (size_t i = 0; i < n; i++)
        s += prob ? 1.0 / (1.0 + exp(-(double)x[i])) : (double)x[i];
    return s / (double)n;
}

/* Latent noise (then, for a conditional pair, the classes of the batch,
   uniform) and a training-mode generator forward. */
static gan_status gan__generate(gan_trainer *t, size_t batch)
{
    gan__rng_fill_normal(&t->rng, t->z, batch * t->latent);
    for (size_t i = 0; t->n_classes && i < batch; i++)
        t->fake_labels[i] = (int32_t)gan__rng_below(&t->rng, (size_t)t->n_classes);
    return gan__model_forward(t->g, t->z, t->fake_labels, batch, GAN_MODE_TRAIN);
}

static const float *gan__d_output(const gan_model *d)
{
    return d->act[d->n_layers];
}

static const float *gan__g_output(const gan_model *g)
{
    return g->act[g->n_layers];
}

/*
 * Discriminator part of a step: D(real) and D(fake) forwards, D-loss
 * backwards (accumulating D's gradients).  Leaves D's cache on the fake
 * batch.  *d_loss gets the loss.  labels: the real batch's classes (NULL
 * for an unconditional pair).
 */
static gan_status gan__d_pass(gan_trainer *t, const float *real, const int32_t *labels, size_t batch,
                              double *d_loss)
{
    const gan_loss_config *lc = gan__loss_config(t->loss);
    gan_status st;
    double lr, lf;
    if ((st = gan__model_forward(t->d, real, labels, batch, GAN_MODE_TRAIN)) != GAN_OK)
        return st;
    memcpy(t->logits_real, gan__d_output(t->d), batch * sizeof(float));
    if (t->feat_layer >= 0)
        gan__batch_mean(t->d->act[t->feat_layer + 1], batch, t->feat_dim, t->feat_mean);
    lr = gan__loss_d_side(lc, t->logits_real, batch, 1, t->g_real);
    if ((st = gan__model_backward_from(t->d, t->d->n_layers, t->g_real, NULL, 1)) != GAN_OK)
        return st;
    if ((st = gan__model_forward(t->d, gan__g_output(t->g), t->fake_labels, batch,
                                 GAN_MODE_TRAIN)) != GAN_OK)
        return st;
    memcpy(t->logits_fake, gan__d_output(t->d), batch * sizeof(float));
    lf = gan__loss_d_side(lc, t->logits_fake, batch, 0, t->g_fake);
    if ((st = gan__model_backward_from(t->d, t->d->n_layers, t->g_fake, NULL, 1)) != GAN_OK)
        return st;
    *d_loss = lr + lf;
    return GAN_OK;
}

/*
 * Generator part: with D's cache on the fake batch, backpropagate the G
 * loss through D (D's gradients untouched) and then through G.
 */
static gan_status gan__g_pass(gan_trainer *t, size_t batch, double *g_loss)
{
    const gan_loss_config *lc = gan__loss_config(t->loss);
    gan_status st;
    if (t->feat_layer >= 0) {
        *g_loss = gan__feature_matching(t->feat_mean, t->d->act[t->feat_layer + 1], batch,
                                        t->feat_dim, t->feat_scratch, t->g_feat);
        st = gan__model_backward_from(t->d, (size_t)t->feat_layer + 1, t->g_feat, t->d_img, 0);
    } else {
        *g_loss = gan__loss_g(lc, t->logits_fake, batch, t->g_gen);
        st = gan__model_backward_from(t->d, t->d->n_layers, t->g_gen, t->d_img, 0);
    }
    if (st != GAN_OK)
        return st;
    return gan__model_backward(t->g, t->d_img, NULL);
}

/*
 * The critic's gradient penalties, added to D's gradients and to *d_loss.
 * They run their own D forwards, so call this when D's cache is no longer
 * needed: after the generator pass in the shared-forward step.  fake is the
 * generator's output of this critic update.  A conditional critic scores
 * every penalty point with the real batch's labels.
 */
static gan_status gan__d_penalties(gan_trainer *t, const float *real, const int32_t *labels,
                                   const float *fake, size_t batch, double *d_loss)
{
    const gan_loss_config *lc = gan__loss_config(t->loss);
    gan_status st;
    double v;
    if (lc->gradient_penalty > 0.0f) {
        /* x_hat = e real + (1 - e) fake, one e ~ U[0, 1) per sample. */
        for (size_t n = 0; n < batch; n++) {
            const float e = gan__rng_uniform(&t->rng);
            const float *r = real + n * t->sample, *f = fake + n * t->sample;
            float *x = t->xhat + n * t->sample;
            for (size_t j = 0; j < t->sample; j++)
                x[j] = e * r[j] + (1.0f - e) * f[j];
        }
        if ((st = gan__gradient_penalty(t->d, &t->penalty, t->xhat, labels, batch, 0,
                                        lc->gradient_penalty, &v)) != GAN_OK)
            return st;
        *d_loss += v;
    }
    if (lc->r1_gamma > 0.0f) {
        if ((st = gan__gradient_penalty(t->d, &t->penalty, real, labels, batch, 1, lc->r1_gamma,
                                        &v)) != GAN_OK)
            return st;
        *d_loss += v;
    }
    return GAN_OK;
}

static gan_status gan__check_finite(const gan_trainer *t, double d_loss, double g_loss, int check_g)
{
    gan_status st;
    if (!isfinite(d_loss))
        return gan__err(GAN_ENUMERIC, "discriminator loss is %g", d_loss);
    if (check_g && !isfinite(g_loss))
        return gan__err(GAN_ENUMERIC, "generator loss is %g", g_loss);
    if ((st = gan__optimizer_check_grads(t->d_opt)) != GAN_OK) {
        gan__err_prefix("discriminator");
        return st;
    }
    if (check_g && (st = gan__optimizer_check_grads(t->g_opt)) != GAN_OK) {
        gan__err_prefix("generator");
        return st;
    }
    return GAN_OK;
}

/* ema = d ema + (1 - d) w over every generator parameter (frozen ones too:
   their w does not move, so their average converges to it). */
static void gan__ema_update(gan_trainer *t)
{
    const float d = t->cfg.ema_decay, e = 1.0f - d;
    const float *w = t->g->params;
    if (!t->ema)
        return;
    for (size_t i = 0; i < t->g->n_params; i++)
        t->ema[i] = d * t->ema[i] + e * w[i];
}

float *gan__trainer_ema(const gan_trainer *t, size_t *n)
{
    if (n)
        *n = t->ema ? t->g->n_params : 0;
    return t->ema;
}

gan_status gan_trainer_ema_generator(const gan_trainer *t, gan_model **out)
{
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (!t->ema)
        return gan__err(GAN_ESTATE, "gan_trainer_ema_generator: the trainer keeps no moving average "
                        "(ema_decay is 0)");
    /* A copy of the generator, then the averaged weights. */
    if ((st = gan__model_clone(t->g, out)) != GAN_OK)
        return st;
    memcpy((*out)->params, t->ema, t->g->n_params * sizeof(float));
    return GAN_OK;
}

/*
 * One step; labels (n_critic * batch validated classes) for a conditional
 * pair, else NULL.  The public calls check their arguments first.
 */
static gan_status gan__trainer_step(gan_trainer *t, const float *real, size_t real_count,
                                    const int32_t *labels, size_t labels_count, size_t batch,
                                    gan_step_stats *stats, const char *func)
{
    const gan_loss_config *lc;
    gan_status st;
    double d_loss = 0.0, g_loss = 0.0;
    uint64_t d_opt_step = 0;
    const int nc = t->cfg.n_critic;
    if (real == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: 'real != NULL'", func);
    if (batch == 0 || batch > GAN__MAX_BATCH)
        return gan__err(GAN_EINVAL, "%s: batch %zu must be in 1..%zu", func, batch, GAN__MAX_BATCH);
    if (real_count != (size_t)nc * batch * t->sample)
        return gan__err(GAN_ESHAPE, "%s: real has %zu floats, expected %zu "
                        "(n_critic %d x batch %zu x %zu per sample)", func, real_count,
                        (size_t)nc * batch * t->sample, nc, batch, t->sample);
    if (t->g->magic != GAN__MAGIC_MODEL || t->d->magic != GAN__MAGIC_MODEL)
        return gan__err(GAN_ESTATE, "%s: a model of this trainer was freed", func);
    if (t->n_classes) {
        if (labels_count != (size_t)nc * batch)
            return gan__err(GAN_ESHAPE, "%s: labels has %zu values, expected %zu (n_critic %d x "
                            "batch %zu)", func, labels_count, (size_t)nc * batch, nc, batch);
        if ((st = gan__check_labels(labels, labels_count, t->n_classes, func)) != GAN_OK)
            return st;
    }
    /* Its snapshots are sized for the layouts the models had then. */
    if (t->g->generation != t->g_generation || t->d->generation != t->d_generation)
        return gan__err(GAN_ESTATE, "%s: the %s was changed (layers added or "
                        "spectral normalisation switched) after the trainer was created", func,
                        t->g->generation != t->g_generation ? "generator" : "discriminator");
    if ((st = gan__trainer_reserve(t, batch)) != GAN_OK)
        return st;
    lc = gan__loss_config(t->loss);
    gan__snapshot(t, &d_opt_step);

    if (nc == 1) {
        /* The seed's step: one generator forward feeds both losses. */
        gan_model_zero_grad(t->d);
        gan_model_zero_grad(t->g);
        if ((st = gan__generate(t, batch)) != GAN_OK ||
            (st = gan__d_pass(t, real, labels, batch, &d_loss)) != GAN_OK ||
            (st = gan__g_pass(t, batch, &g_loss)) != GAN_OK ||
            (st = gan__d_penalties(t, real, labels, gan__g_output(t->g), batch, &d_loss)) != GAN_OK)
            return st;
        if ((st = gan__check_finite(t, d_loss, g_loss, 1)) != GAN_OK) {
            gan__err_prefix("gan_trainer_step %llu: training diverged; the step was undone",
                            (unsigned long long)t->step + 1);
            return gan__restore(t, d_opt_step);
        }
        /* The gradients were scanned by gan__check_finite just above. */
        if ((st = gan__optimizer_apply(t->d_opt)) != GAN_OK || (st = gan__optimizer_apply(t->g_opt)) != GAN_OK)
            return st;
        gan__ema_update(t);
        if (lc->clip > 0.0f)
            gan__clip(t->d, lc->clip);
    } else {
        for (int i = 0; i < nc; i++) {
            gan_model_zero_grad(t->d);
            const float *slice = real + (size_t)i * batch * t->sample;
            const int32_t *lslice = labels ? labels + (size_t)i * batch : NULL;
            if ((st = gan__generate(t, batch)) != GAN_OK ||
                (st = gan__d_pass(t, slice, lslice, batch, &d_loss)) != GAN_OK ||
                (st = gan__d_penalties(t, slice, lslice, gan__g_output(t->g), batch, &d_loss)) != GAN_OK)
                return st;
            if ((st = gan__check_finite(t, d_loss, 0.0, 0)) != GAN_OK) {
                gan__err_prefix("gan_trainer_step %llu: critic update %d diverged; the step was undone",
                                (unsigned long long)t->step + 1, i + 1);
                return gan__restore(t, d_opt_step);
            }
            if ((st = gan__optimizer_apply(t->d_opt)) != GAN_OK)
                return st;
            if (lc->clip > 0.0f)
                gan__clip(t->d, lc->clip);
        }
        /* Generator update from fresh noise through the updated critic. */
        gan_model_zero_grad(t->g);
        if (t->feat_layer >= 0) {
            /* Feature matching needs real features of the current D. */
            const float *last = real + (size_t)(nc - 1) * batch * t->sample;
            const int32_t *llast = labels ? labels + (size_t)(nc - 1) * batch : NULL;
            if ((st = gan__model_forward(t->d, last, llast, batch, GAN_MODE_TRAIN)) != GAN_OK)
                return st;
            gan__batch_mean(t->d->act[t->feat_layer + 1], batch, t->feat_dim, t->feat_mean);
        }
        if ((st = gan__generate(t, batch)) != GAN_OK ||
            (st = gan__model_forward(t->d, gan__g_output(t->g), t->fake_labels, batch,
                                     GAN_MODE_TRAIN)) != GAN_OK)
            return st;
        memcpy(t->logits_fake, gan__d_output(t->d), batch * sizeof(float));
        if ((st = gan__g_pass(t, batch, &g_loss)) != GAN_OK)
            return st;
        if (!isfinite(g_loss) || gan__optimizer_check_grads(t->g_opt) != GAN_OK) {
            if (isfinite(g_loss))
                gan__err_prefix("generator");
            else
                gan__err(GAN_ENUMERIC, "generator loss is %g", g_loss);
            gan__err_prefix("gan_trainer_step %llu: training diverged; the step was undone",
                            (unsigned long long)t->step + 1);
            return gan__restore(t, d_opt_step);
        }
        if ((st = gan__optimizer_apply(t->g_opt)) != GAN_OK)
            return st;
        gan__ema_update(t);
    }
    t->step++;
    if (stats) {
        gan_step_stats s;
        size_t n = stats->struct_size < sizeof s ? stats->struct_size : sizeof s;
        s.struct_size = stats->struct_size;
        s.d_loss = (float)d_loss;
        s.g_loss = (float)g_loss;
        s.d_real = (float)gan__mean_output(lc, t->logits_real, batch);
        s.d_fake = (float)gan__mean_output(lc, t->logits_fake, batch);
        if (n >= sizeof(uint32_t))
            memcpy(stats, &s, n);
    }
    return GAN_OK;
}

gan_status gan_trainer_step(gan_trainer *t, const float *real, size_t real_count, size_t batch,
                            gan_step_stats *stats)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (t->n_classes)
        return gan__err(GAN_EINVAL, "gan_trainer_step: the models are conditional (%d classes): "
                        "pass the real samples' labels with gan_trainer_step_labeled",
                        t->n_classes);
    return gan__trainer_step(t, real, real_count, NULL, 0, batch, stats, __func__);
}

gan_status gan_trainer_step_labeled(gan_trainer *t, const float *real, size_t real_count,
                                    const int32_t *labels, size_t labels_count, size_t batch,
                                    gan_step_stats *stats)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    GAN__CHECK_ARG(labels != NULL);
    if (!t->n_classes)
        return gan__err(GAN_EINVAL, "gan_trainer_step_labeled: the models have no class layers "
                        "and take no labels; use gan_trainer_step");
    return gan__trainer_step(t, real, real_count, labels, labels_count, batch, stats, __func__);
}

void gan__trainer_get_state(const gan_trainer *t, gan__trainer_state *st)
{
    st->n_critic = t->cfg.n_critic;
    st->seed = t->cfg.seed;
    st->step = t->step;
    st->epoch = t->epoch;
    st->rng = t->rng;
    st->ema_decay = t->cfg.ema_decay;
}

void gan__trainer_set_state(gan_trainer *t, const gan__trainer_state *st)
{
    t->cfg.seed = st->seed;
    t->step = st->step;
    t->epoch = st->epoch;
    t->rng = st->rng;
}

const gan_loss *gan__trainer_loss(const gan_trainer *t)
{
    return t->loss;
}

void gan__trainer_own_handles(gan_trainer *t)
{
    t->owns_handles = 1;
}

gan_status gan_trainer_models(const gan_trainer *t, gan_model **g, gan_model **d,
                              gan_optimizer **g_opt, gan_optimizer **d_opt)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (g)
        *g = t->g;
    if (d)
        *d = t->d;
    if (g_opt)
        *g_opt = t->g_opt;
    if (d_opt)
        *d_opt = t->d_opt;
    return GAN_OK;
}

gan_status gan_trainer_progress(const gan_trainer *t, uint64_t *step, uint64_t *epoch)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (step)
        *step = t->step;
    if (epoch)
        *epoch = t->epoch;
    return GAN_OK;
}

gan_status gan_trainer_get_config(const gan_trainer *t, gan_trainer_config *cfg)
{
    gan_trainer_config c;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    GAN__CHECK_ARG(cfg != NULL);
    if (cfg->struct_size < sizeof(uint32_t) || cfg->struct_size > sizeof c)
        return gan__err(GAN_EINVAL, "gan_trainer_get_config: cfg->struct_size %u; initialise it with "
                        "GAN_TRAINER_CONFIG_INIT", (unsigned)cfg->struct_size);
    c = t->cfg;
    c.struct_size = cfg->struct_size;
    memcpy(cfg, &c, cfg->struct_size);
    return GAN_OK;
}

gan_status gan_trainer_set_seed(gan_trainer *t, uint64_t seed)
{
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    gan__rng_seed(&t->rng, seed);
    return GAN_OK;
}

gan_status gan_trainer_fit(gan_trainer *t, gan_dataset *ds, uint64_t epochs,
                           gan_step_callback on_step, gan_epoch_callback on_epoch, void *user)
{
    gan_batch_config bc;
    gan_status st = GAN_OK;
    size_t ndim, batch, group;
    int dims[3];
    float *x;
    int32_t *lab = NULL;
    char a[64], b[64];
    gan__shape s;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if ((st = gan_dataset_shape(ds, &ndim, dims)) != GAN_OK)
        return st;
    s.ndim = (int)ndim;
    memcpy(s.d, dims, sizeof s.d);
    if (s.ndim != t->d->in.ndim || memcmp(s.d, t->d->in.d, sizeof(int) * ndim) != 0)
        return gan__err(GAN_ESHAPE, "gan_trainer_fit: dataset samples %s do not fit the "
                        "discriminator's input %s", gan__shape_str(&s, a, sizeof a),
                        gan__shape_str(&t->d->in, b, sizeof b));
    if (t->n_classes) {
        int has_labels = 0, ds_classes = 0;
        if ((st = gan_dataset_labels_info(ds, &has_labels, &ds_classes)) != GAN_OK)
            return st;
        if (!has_labels)
            return gan__err(GAN_EINVAL, "gan_trainer_fit: the models are conditional (%d "
                            "classes) but the dataset has no labels", t->n_classes);
        if (ds_classes > t->n_classes)
            return gan__err(GAN_EINVAL, "gan_trainer_fit: the dataset's labels go up to %d, the "
                            "models know %d classes (0..%d)", ds_classes - 1, t->n_classes,
                            t->n_classes - 1);
    }
    GAN_BATCH_CONFIG_INIT(&bc);
    if ((st = gan_dataset_get_batching(ds, &bc)) != GAN_OK)
        return st;
    batch = bc.batch_size;
    group = (size_t)t->cfg.n_critic * batch;
    x = gan__aligned_alloc(group * t->sample * sizeof(float));
    if (t->n_classes)
        lab = gan__calloc(group, sizeof *lab);
    if (!x || (t->n_classes && !lab)) {
        gan__aligned_free(x);
        gan__free(lab);
        return gan__err(GAN_ENOMEM, "gan_trainer_fit: out of memory for a batch of %zu", group);
    }

    for (uint64_t e = 0; e < epochs && st == GAN_OK; e++) {
        double sum[4] = {0, 0, 0, 0};
        uint64_t steps = 0;
        for (;;) {
            size_t got = 0, n = 0;
            gan_step_stats ss;
            gan_status bs = GAN_OK;
            /* Gather n_critic batches; a short final batch is used alone
               only when n_critic is 1 (drop_remainder off). */
            for (int i = 0; i < t->cfg.n_critic; i++) {
                bs = gan_dataset_next_batch(ds, x + got * t->sample, (group - got) * t->sample,
                                            lab ? lab + got : NULL, &n, NULL);
                if (bs != GAN_OK)
                    break;
                got += n;
                if (n < batch)
                    break;
            }
            if (bs < 0) {
                st = bs;
                break;
            }
            if (bs == GAN_DONE && got == 0)
                break;
            if (t->cfg.n_critic > 1 && got < group) {
                /* Incomplete group at the end of the epoch: skip it and
                   drain to the epoch boundary. */
                while (bs == GAN_OK)
                    bs = gan_dataset_next_batch(ds, x, group * t->sample, NULL, &n, NULL);
                if (bs < 0)
                    st = bs;
                break;
            }
            GAN_STEP_STATS_INIT(&ss);
            st = gan__trainer_step(t, x, got * t->sample, lab, lab ? got : 0,
                                   got / (size_t)t->cfg.n_critic, &ss, "gan_trainer_fit");
            if (st != GAN_OK)
                break;
            sum[0] += ss.d_loss;
            sum[1] += ss.g_loss;
            sum[2] += ss.d_real;
            sum[3] += ss.d_fake;
            steps++;
            if (on_step && on_step(&ss, t->step, user)) {
                st = GAN_DONE;
                break;
            }
            if (bs == GAN_DONE)
                break;
        }
        if (st < 0)
            break;
        if (st == GAN_DONE)
            break;
        t->epoch++;
        if (on_epoch) {
            gan_step_stats mean;
            GAN_STEP_STATS_INIT(&mean);
            if (steps) {
                mean.d_loss = (float)(sum[0] / (double)steps);
                mean.g_loss = (float)(sum[1] / (double)steps);
                mean.d_real = (float)(sum[2] / (double)steps);
                mean.d_fake = (float)(sum[3] / (double)steps);
            }
            if (on_epoch(t->epoch, &mean, user))
                st = GAN_DONE;
        }
    }
    gan__aligned_free(x);
    gan__free(lab);
    return st;
}
