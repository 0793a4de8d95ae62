/*
 * trainer.c -- the gan_trainer handle: creation (checking that the pair,
 * the optimizers and the loss fit together), its batch buffers, and the
 * state that checkpoints save and restore.  The step is train_step.c, the
 * epoch loop fit.c.
 */
#include <math.h>
#include <stddef.h>

#include "train/train.h"

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
    gan__free(t->aug_real_par);
    gan__aligned_free(t->aug_real);
    t->aug_real_par = t->aug_fake_par = NULL;
    t->aug_real = t->aug_fake = t->aug_grad = t->aug_tmp = NULL;
    t->z = t->logits_real = t->logits_fake = t->g_real = t->g_fake = t->g_gen = t->d_seed = NULL;
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
    gan__dist_free(t->dist);
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

/* Everything gan_trainer_create checks about the models, the loss's and
   the trainer's settings, without allocating (the checkpoint reader calls
   it before any arena); *feat_layer: the feature-matching layer or -1. */
gan_status gan__trainer_check(const gan_model *g, const gan_model *d, const gan_loss_config *lc,
                              const gan_trainer_config *cfg, const char *func, int *feat_layer)
{
    const gan__shape *gout;
    char a[64], b[64];
    *feat_layer = -1;
    if (!(cfg->ema_decay >= 0.0f && cfg->ema_decay < 1.0f))
        return gan__err(GAN_EINVAL, "%s: ema_decay %g must be in [0, 1)", func, (double)cfg->ema_decay);
    if (cfg->n_critic < 1 || cfg->n_critic > 1000)
        return gan__err(GAN_EINVAL, "%s: n_critic %d must be in 1..1000", func, cfg->n_critic);
    if (g->n_layers == 0 || d->n_layers == 0)
        return gan__err(GAN_ESTATE, "%s: the %s has no layers", func,
                        g->n_layers == 0 ? "generator" : "discriminator");
    gout = &g->layers[g->n_layers - 1].out;
    if (gout->ndim != d->in.ndim || gan__shape_elems(gout) != gan__shape_elems(&d->in) ||
        memcmp(gout->d, d->in.d, sizeof(int) * (size_t)gout->ndim) != 0)
        return gan__err(GAN_ESHAPE, "%s: the generator's output %s does not match the "
                        "discriminator's input %s", func, gan__shape_str(gout, a, sizeof a),
                        gan__shape_str(&d->in, b, sizeof b));
    {
        /* One logit per sample, or with the auxiliary classifier's head
           (class_projection_aux) the logit and the K class logits. */
        const gan__layer *last = &d->layers[d->n_layers - 1];
        const int aux = last->ops->class_logits;
        if (!aux && gan__shape_elems(&last->out) != 1)
            return gan__err(GAN_ESHAPE, "%s: the discriminator must output one value per sample, "
                            "not %s", func, gan__shape_str(&last->out, a, sizeof a));
        if (lc->class_weight > 0.0f && !aux)
            return gan__err(GAN_EINVAL, "%s: class_weight %g (the auxiliary class loss) needs a "
                            "discriminator whose last layer is class_projection_aux; this one "
                            "ends with %s", func, (double)lc->class_weight, last->ops->name);
    }
    if ((g->n_classes != 0) != (d->n_classes != 0))
        return gan__err(GAN_EINVAL, "%s: only the %s is conditional (%d classes); "
                        "a conditional GAN needs class layers in both the generator and the "
                        "discriminator", func, g->n_classes ? "generator" : "discriminator",
                        g->n_classes ? g->n_classes : d->n_classes);
    if (g->n_classes != d->n_classes)
        return gan__err(GAN_EINVAL, "%s: the generator has %d classes, the discriminator %d", func,
                        g->n_classes, d->n_classes);
    if ((lc->gradient_penalty > 0.0f || lc->r1_gamma > 0.0f) && gan__penalty_supported(d) != GAN_OK) {
        gan__err_prefix("%s", func);
        return GAN_EUNSUPPORTED;
    }
    if (lc->kind == GAN_LOSS_FEATURE_MATCHING) {
        int k = lc->feature_layer;
        if (k == -1)
            k = gan__last_real_layer(d) - 1;
        if (k < 0 || (size_t)k >= d->n_layers - 1)
            return gan__err(GAN_EINVAL, "%s: feature layer %d must be in 0..%zu (a discriminator "
                            "layer below the output)", func, k, d->n_layers - 2);
        *feat_layer = k;
    }
    return GAN_OK;
}

gan_status gan_trainer_create(gan_trainer **out, gan_model *g, gan_model *d, gan_optimizer *g_opt,
                              gan_optimizer *d_opt, const gan_loss *loss,
                              const gan_trainer_config *cfg)
{
    gan_trainer *t;
    gan_trainer_config c;
    const gan_loss_config *lc;
    size_t n_opt = 0;
    int feat_layer;
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
    if (c.augment & ~(GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT))
        return gan__err(GAN_EINVAL, "gan_trainer_create: augment %#llx has unknown bits (known: "
                        "GAN_AUGMENT_COLOR 1, TRANSLATION 2, CUTOUT 4)",
                        (unsigned long long)c.augment);
    if (!(c.augment_p >= 0.0f && c.augment_p <= 1.0f))
        return gan__err(GAN_EINVAL, "gan_trainer_create: augment_p %g must be in [0, 1]",
                        (double)c.augment_p);
    if (!(c.ada_target >= 0.0f && c.ada_target < 1.0f))
        return gan__err(GAN_EINVAL, "gan_trainer_create: ada_target %g must be in [0, 1) "
                        "(0: off)", (double)c.ada_target);
    if (c.ada_interval < 1 || c.ada_interval > 1000000)
        return gan__err(GAN_EINVAL, "gan_trainer_create: ada_interval %d must be in 1..1000000",
                        c.ada_interval);
    if (!(c.ada_speed >= 1.0f && c.ada_speed <= 1e12f))
        return gan__err(GAN_EINVAL, "gan_trainer_create: ada_speed %g must be in 1..1e12 images",
                        (double)c.ada_speed);
    if (c.r1_every < 1 || c.r1_every > 1000000)
        return gan__err(GAN_EINVAL, "gan_trainer_create: r1_every %d must be in 1..1000000 "
                        "(1: R1 on every critic update)", c.r1_every);
    if (c.ada_target > 0.0f && !c.augment)
        return gan__err(GAN_EINVAL, "gan_trainer_create: ada_target %g without augment: ADA "
                        "adapts the probability of the augment operations; choose some",
                        (double)c.ada_target);
    if (c.augment && d->in.ndim != 3)
        return gan__err(GAN_ESHAPE, "gan_trainer_create: augment needs image samples; the "
                        "discriminator takes vectors");
    lc = gan__loss_config(loss);
    if ((st = gan__trainer_check(g, d, lc, &c, __func__, &feat_layer)) != GAN_OK)
        return st;

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
    t->d_width = gan__shape_elems(&d->layers[d->n_layers - 1].out);
    t->feat_layer = -1;
    t->g_generation = g->generation;
    t->d_generation = d->generation;
    gan__rng_seed(&t->rng, c.seed);
    t->aug_p = c.augment_p;
    if (d->in.ndim == 3) {
        t->img_h = d->in.d[0];
        t->img_w = d->in.d[1];
        t->img_c = d->in.d[2];
    }
    gan__handle_created();

    if (feat_layer >= 0) {
        const int k = feat_layer;
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
gan_status gan__trainer_reserve(gan_trainer *t, size_t batch)
{
    float *z, *logits, *d_img, *g_feat = NULL, *xhat;
    int32_t *fake_labels = NULL;
    gan__aug_params *aug_par = NULL;
    float *aug = NULL;
    gan_status st;
    if (batch <= t->cap)
        return GAN_OK;
    if ((st = gan_model_reserve(t->g, batch)) != GAN_OK || (st = gan_model_reserve(t->d, batch)) != GAN_OK)
        return st;
    z = gan__aligned_alloc(batch * t->latent * sizeof(float));
    /* 5 (cap) vectors, then D's whole output gradient when it is wider
       than the logit (the auxiliary class head). */
    logits = gan__aligned_alloc((5 + (t->d_width > 1 ? t->d_width : 0)) * batch * sizeof(float));
    d_img = gan__aligned_alloc(batch * t->sample * sizeof(float));
    if (t->feat_layer >= 0)
        g_feat = gan__aligned_alloc(batch * t->feat_dim * sizeof(float));
    xhat = gan__aligned_alloc(batch * t->sample * sizeof(float));
    if (t->n_classes)
        fake_labels = gan__calloc(batch, sizeof *fake_labels);
    if (t->cfg.augment) {
        aug_par = gan__calloc(2 * batch, sizeof *aug_par);
        aug = gan__aligned_alloc((3 * batch + 1) * t->sample * sizeof(float));
    }
    if (!z || !logits || !d_img || !xhat || (t->feat_layer >= 0 && !g_feat) ||
        (t->n_classes && !fake_labels) || (t->cfg.augment && (!aug_par || !aug))) {
        gan__free(aug_par);
        gan__aligned_free(aug);
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
    t->d_seed = t->d_width > 1 ? logits + 5 * batch : NULL;
    t->d_img = d_img;
    t->g_feat = g_feat;
    t->xhat = xhat;
    t->fake_labels = fake_labels;
    if (aug) {
        t->aug_real_par = aug_par;
        t->aug_fake_par = aug_par + batch;
        t->aug_real = aug;
        t->aug_fake = aug + batch * t->sample;
        t->aug_grad = aug + 2 * batch * t->sample;
        t->aug_tmp = aug + 3 * batch * t->sample;
    }
    t->cap = batch;
    return GAN_OK;
}

/* memcpy of n floats; n may be 0 with NULL pointers (models without
   batchnorm have no state arena). */
void gan__trainer_get_state(const gan_trainer *t, gan__trainer_state *st)
{
    st->n_critic = t->cfg.n_critic;
    st->seed = t->cfg.seed;
    st->step = t->step;
    st->epoch = t->epoch;
    st->rng = t->rng;
    st->ema_decay = t->cfg.ema_decay;
    st->augment = (unsigned)t->cfg.augment;
    st->augment_p = t->cfg.augment_p;
    st->ada_target = t->cfg.ada_target;
    st->ada_interval = t->cfg.ada_interval;
    st->ada_speed = t->cfg.ada_speed;
    st->r1_every = t->cfg.r1_every;
    st->aug_p = t->aug_p;
    st->ada_rt = t->ada_rt;
    st->ada_sum = t->ada_sum;
    st->ada_count = t->ada_count;
    st->ada_steps = t->ada_steps;
}

void gan__trainer_set_state(gan_trainer *t, const gan__trainer_state *st)
{
    t->cfg.seed = st->seed;
    t->step = st->step;
    t->epoch = st->epoch;
    t->rng = st->rng;
    t->aug_p = st->aug_p;
    t->ada_rt = st->ada_rt;
    t->ada_sum = st->ada_sum;
    t->ada_count = st->ada_count;
    t->ada_steps = st->ada_steps;
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

