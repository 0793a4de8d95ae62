/*
 * train_step.c -- one adversarial training step.
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
    if (t->dist) {
        /* This worker's share of the global batch's noise (reduce.c). */
        gan__dist_noise(t, t->z, t->n_classes ? t->fake_labels : NULL, batch);
        return gan__model_forward(t->g, t->z, t->fake_labels, batch, GAN_MODE_TRAIN);
    }
    gan__rng_fill_normal(&t->rng, t->z, batch * t->latent);
    for (size_t i = 0; t->n_classes && i < batch; i++)
        t->fake_labels[i] = (int32_t)gan__rng_below(&t->rng, (size_t)t->n_classes);
    return gan__model_forward(t->g, t->z, t->fake_labels, batch, GAN_MODE_TRAIN);
}

/* The critic's gradients are final after the fake batch's backward unless
   a gradient penalty adds to them later. */
static int gan__has_penalty(const gan_loss_config *lc)
{
    return lc->gradient_penalty > 0.0f || lc->r1_gamma > 0.0f;
}

static const float *gan__d_output(const gan_model *d)
{
    return d->act[d->n_layers];
}

static const float *gan__g_output(const gan_model *g)
{
    return g->act[g->n_layers];
}

/* D's adversarial logits of the batch (column 0 of its output) into dst. */
static void gan__d_logits(const gan_trainer *t, float *dst, size_t batch)
{
    const float *out = gan__d_output(t->d);
    if (t->d_width == 1) {
        memcpy(dst, out, batch * sizeof(float));
        return;
    }
    for (size_t i = 0; i < batch; i++)
        dst[i] = out[i * t->d_width];
}

/*
 * The gradient of D's output that a backward pass starts from: g_adv, the
 * adversarial loss's gradient of the logits, for a one-logit D.  With the
 * auxiliary class head, d_seed: g_adv in column 0 and, when classes is not
 * NULL, the class loss's gradient against them in the others (else 0);
 * *class_loss gets that loss (0 without one).
 */
static const float *gan__d_seed(gan_trainer *t, const float *g_adv, const int32_t *classes,
                                size_t batch, double *class_loss)
{
    const float w = gan__loss_config(t->loss)->class_weight;
    const size_t W = t->d_width;
    *class_loss = 0.0;
    if (W == 1)
        return g_adv;
    if (classes && w > 0.0f)
        *class_loss = gan__class_loss(w, gan__d_output(t->d), W, batch, classes, t->d_seed);
    else
        memset(t->d_seed, 0, batch * W * sizeof(float));
    for (size_t i = 0; i < batch; i++)
        t->d_seed[i * W] = g_adv[i];
    return t->d_seed;
}

/* What D sees of the real batch: the batch itself, or its augmentation
   with new draws. */
static const float *gan__d_real_input(gan_trainer *t, const float *real, size_t batch)
{
    if (!t->cfg.augment)
        return real;
    gan__aug_draw(&t->rng, (unsigned)t->cfg.augment, t->aug_p, batch, t->img_h, t->img_w,
                  t->aug_real_par);
    gan__aug_forward(t->aug_real_par, batch, t->img_h, t->img_w, t->img_c, real, t->aug_real,
                     t->aug_tmp);
    return t->aug_real;
}

/* The same for the generator's batch; the draws are kept for the
   generator's backward pass (gan__g_pass). */
static const float *gan__d_fake_input(gan_trainer *t, size_t batch)
{
    if (!t->cfg.augment)
        return gan__g_output(t->g);
    gan__aug_draw(&t->rng, (unsigned)t->cfg.augment, t->aug_p, batch, t->img_h, t->img_w,
                  t->aug_fake_par);
    gan__aug_forward(t->aug_fake_par, batch, t->img_h, t->img_w, t->img_c, gan__g_output(t->g),
                     t->aug_fake, t->aug_tmp);
    return t->aug_fake;
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
    double lr, lf, lc_real, lc_fake;
    const float *seed;
    if ((st = gan__model_forward(t->d, gan__d_real_input(t, real, batch), labels, batch,
                                 GAN_MODE_TRAIN)) != GAN_OK)
        return st;
    gan__d_logits(t, t->logits_real, batch);
    if (t->feat_layer >= 0) {
        gan__batch_mean(t->d->act[t->feat_layer + 1], batch, t->feat_dim, t->feat_mean);
        if (t->dist && (st = gan__dist_mean(t, t->feat_mean, t->feat_dim)) != GAN_OK)
            return st;
    }
    lr = gan__loss_d_side(lc, t->logits_real, batch, 1, t->g_real);
    /* The auxiliary classifier learns the real samples' classes only: on
       the generated ones it would learn G's mistakes as classes. */
    seed = gan__d_seed(t, t->g_real, labels, batch, &lc_real);
    if ((st = gan__model_backward_from(t->d, t->d->n_layers, seed, NULL, 1)) != GAN_OK)
        return st;
    if ((st = gan__model_forward(t->d, gan__d_fake_input(t, batch), t->fake_labels, batch,
                                 GAN_MODE_TRAIN)) != GAN_OK)
        return st;
    gan__d_logits(t, t->logits_fake, batch);
    lf = gan__loss_d_side(lc, t->logits_fake, batch, 0, t->g_fake);
    seed = gan__d_seed(t, t->g_fake, NULL, batch, &lc_fake);
    if (t->dist && !gan__has_penalty(lc))
        gan__dist_arm(t, t->d);     /* D's last gradients: reduce as they come */
    if ((st = gan__model_backward_from(t->d, t->d->n_layers, seed, NULL, 1)) != GAN_OK)
        return st;
    if (t->dist && !gan__has_penalty(lc) && (st = gan__dist_flush(t, t->d)) != GAN_OK)
        return st;
    *d_loss = lr + lf + lc_real;
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
        if (t->dist)
            st = gan__dist_feature_matching(t, t->d->act[t->feat_layer + 1], batch, g_loss,
                                            t->g_feat);
        else
            *g_loss = gan__feature_matching(t->feat_mean, t->d->act[t->feat_layer + 1], batch,
                                            t->feat_dim, t->feat_scratch, t->g_feat), st = GAN_OK;
        if (st == GAN_OK)
            st = gan__model_backward_from(t->d, (size_t)t->feat_layer + 1, t->g_feat, t->d_img, 0);
    } else {
        double cls;
        const float *seed;
        *g_loss = gan__loss_g(lc, t->logits_fake, batch, t->g_gen);
        seed = gan__d_seed(t, t->g_gen, t->fake_labels, batch, &cls);
        *g_loss += cls;
        st = gan__model_backward_from(t->d, t->d->n_layers, seed, t->d_img, 0);
    }
    if (st != GAN_OK)
        return st;
    if (t->cfg.augment) {   /* through the augmentation's transpose */
        gan__aug_backward(t->aug_fake_par, batch, t->img_h, t->img_w, t->img_c, t->d_img,
                          t->aug_grad, t->aug_tmp);
        memcpy(t->d_img, t->aug_grad, batch * t->sample * sizeof(float));
    }
    if (!t->dist)
        return gan__model_backward(t->g, t->d_img, NULL);
    gan__dist_arm(t, t->g);         /* G's gradients: reduce as they come */
    if ((st = gan__model_backward(t->g, t->d_img, NULL)) != GAN_OK)
        return st;
    return gan__dist_flush(t, t->g);
}

/*
 * The critic's gradient penalties, added to D's gradients and to *d_loss.
 * They run their own D forwards, so call this when D's cache is no longer
 * needed: after the generator pass in the shared-forward step.  fake is the
 * generator's output of this critic update.  A conditional critic scores
 * every penalty point with the real batch's labels.
 */
/* Lazy R1: is the R1 penalty due on critic update `critic` (0-based) of
   this step?  Updates r1_every, 2 r1_every, ... of the run, counted from 1. */
static int gan__r1_due(const gan_trainer *t, int critic)
{
    const uint64_t k = (uint64_t)t->cfg.r1_every;
    return (t->step * (uint64_t)t->cfg.n_critic + (uint64_t)critic + 1) % k == 0;
}

static gan_status gan__d_penalties(gan_trainer *t, const float *real, const int32_t *labels,
                                   const float *fake, size_t batch, int critic, double *d_loss)
{
    const gan_loss_config *lc = gan__loss_config(t->loss);
    gan_status st;
    double v;
    if (lc->gradient_penalty > 0.0f) {
        /* x_hat = e real + (1 - e) fake, one e ~ U[0, 1) per sample (with a
           reducer: this worker's share of the global batch's draws). */
        float *es = t->dist ? t->z : NULL;
        if (es)
            gan__dist_uniforms(t, es, batch);
        for (size_t n = 0; n < batch; n++) {
            const float e = es ? es[n] : gan__rng_uniform(&t->rng);
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
    if (lc->r1_gamma > 0.0f && gan__r1_due(t, critic)) {
        const float gamma = lc->r1_gamma * (float)t->cfg.r1_every;
        if ((st = gan__gradient_penalty(t->d, &t->penalty, real, labels, batch, 1, gamma,
                                        &v)) != GAN_OK)
            return st;
        *d_loss += v;
    }
    if (t->dist && gan__has_penalty(lc))
        return gan__dist_flush(t, t->d);   /* the penalty added D's last gradients */
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

/* The step's arguments and the trainer's state, before anything changes. */
static gan_status gan__step_check(gan_trainer *t, const float *real, size_t real_count,
                                  const int32_t *labels, size_t labels_count, size_t batch,
                                  const char *func)
{
    gan_status st;
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
    if (t->dist && (st = gan__dist_reserve(t, batch)) != GAN_OK)
        return st;
    return GAN_OK;
}

/* The step after its checks (and, with a reducer, the agreement). */
static gan_status gan__step_body(gan_trainer *t, const float *real, const int32_t *labels,
                                 size_t batch, gan_step_stats *stats)
{
    const gan_loss_config *lc = gan__loss_config(t->loss);
    gan_status st;
    double d_loss = 0.0, g_loss = 0.0;
    uint64_t d_opt_step = 0;
    const int nc = t->cfg.n_critic;
    gan__snapshot(t, &d_opt_step);

    if (nc == 1) {
        /* The seed's step: one generator forward feeds both losses. */
        gan_model_zero_grad(t->d);
        gan_model_zero_grad(t->g);
        if ((st = gan__generate(t, batch)) != GAN_OK ||
            (st = gan__d_pass(t, real, labels, batch, &d_loss)) != GAN_OK ||
            (st = gan__g_pass(t, batch, &g_loss)) != GAN_OK ||
            (st = gan__d_penalties(t, real, labels, gan__g_output(t->g), batch, 0, &d_loss)) != GAN_OK)
            return st;
        if (t->dist && (st = gan__dist_finish(t, &d_loss, &g_loss, 1, batch)) != GAN_OK)
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
                (st = gan__d_penalties(t, slice, lslice, gan__g_output(t->g), batch, i, &d_loss)) != GAN_OK)
                return st;
            if (t->dist && (st = gan__dist_finish(t, &d_loss, NULL, 0, batch)) != GAN_OK)
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
            if ((st = gan__model_forward(t->d, gan__d_real_input(t, last, batch), llast, batch,
                                         GAN_MODE_TRAIN)) != GAN_OK)
                return st;
            gan__batch_mean(t->d->act[t->feat_layer + 1], batch, t->feat_dim, t->feat_mean);
            if (t->dist && (st = gan__dist_mean(t, t->feat_mean, t->feat_dim)) != GAN_OK)
                return st;
        }
        if ((st = gan__generate(t, batch)) != GAN_OK ||
            (st = gan__model_forward(t->d, gan__d_fake_input(t, batch), t->fake_labels, batch,
                                     GAN_MODE_TRAIN)) != GAN_OK)
            return st;
        gan__d_logits(t, t->logits_fake, batch);
        if ((st = gan__g_pass(t, batch, &g_loss)) != GAN_OK)
            return st;
        if (t->dist && (st = gan__dist_finish(t, NULL, &g_loss, 1, batch)) != GAN_OK)
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
    if (t->dist && (st = gan__dist_sync_state(t)) != GAN_OK)
        return st;
    t->step++;
    gan__aug_ada_update(t, t->logits_real, batch);
    if (stats) {
        gan_step_stats s;
        size_t n = stats->struct_size < sizeof s ? stats->struct_size : sizeof s;
        s.struct_size = stats->struct_size;
        s.d_loss = (float)d_loss;
        s.g_loss = (float)g_loss;
        if (t->dist) {
            double dr, df;
            gan__dist_scores(t, &dr, &df);
            s.d_real = (float)dr;
            s.d_fake = (float)df;
        } else {
            s.d_real = (float)gan__mean_output(lc, t->logits_real, batch);
            s.d_fake = (float)gan__mean_output(lc, t->logits_fake, batch);
        }
        if (n >= sizeof(uint32_t))
            memcpy(stats, &s, n);
    }
    return GAN_OK;
}

/*
 * One step; labels (n_critic * batch validated classes) for a conditional
 * pair, else NULL.  The public calls check their arguments first.  With a
 * reducer every outcome goes through the workers' agreement: a worker
 * whose checks fail still takes part in it, so the others return its
 * error instead of waiting for it.
 */
static gan_status gan__trainer_step_run(gan_trainer *t, const float *real, size_t real_count,
                                        const int32_t *labels, size_t labels_count,
                                        size_t batch, gan_step_stats *stats, const char *func)
{
    gan_status st = gan__step_check(t, real, real_count, labels, labels_count, batch, func);
    if (!t->dist)
        return st != GAN_OK ? st : gan__step_body(t, real, labels, batch, stats);
    if ((st = gan__dist_begin(t, st == GAN_OK ? batch : 0, st)) != GAN_OK)
        return st;
    st = gan__step_body(t, real, labels, batch, stats);
    /* Divergence is seen alike by every worker (it is checked on the sums);
       any other failure after the agreement is this worker's alone. */
    if (st == GAN_ENUMERIC)
        gan__dist_explain(t);
    else if (st != GAN_OK)
        st = gan__dist_broken(t, st);
    gan__dist_end(t);
    return st;
}

/* A step holds the trainer's in-use flag and those of its two models (a
   concurrent gan_model_forward on one of them would overwrite the step's
   activations): another thread gets GAN_ESTATE (issue 18, item 10).  That
   misuse is refused before any agreement with other workers: the thread
   that owns the trainer is the one in its collective calls. */
gan_status gan__trainer_step(gan_trainer *t, const float *real, size_t real_count,
                             const int32_t *labels, size_t labels_count, size_t batch,
                             gan_step_stats *stats, const char *func)
{
    gan_status st;
    if (t->g->magic != GAN__MAGIC_MODEL || t->d->magic != GAN__MAGIC_MODEL)
        return gan__err(GAN_ESTATE, "%s: a model of this trainer was freed", func);
    if (!gan__busy_enter(&t->busy))
        return gan__busy_err(func, "trainer", "one trainer is driven by one thread at a time");
    if (!gan__busy_enter(&t->g->busy)) {
        gan__busy_leave(&t->busy);
        return gan__busy_err(func, "trainer's generator", "do not run it while the trainer steps");
    }
    if (!gan__busy_enter(&t->d->busy)) {
        gan__busy_leave(&t->g->busy);
        gan__busy_leave(&t->busy);
        return gan__busy_err(func, "trainer's discriminator", "do not run it while the trainer "
                             "steps");
    }
    st = gan__trainer_step_run(t, real, real_count, labels, labels_count, batch, stats, func);
    gan__busy_leave(&t->d->busy);
    gan__busy_leave(&t->g->busy);
    gan__busy_leave(&t->busy);
    return st;
}

gan_status gan_trainer_step(gan_trainer *t, const float *real, size_t real_count, size_t batch,
                            gan_step_stats *stats)
{
    gan_status st;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (t->n_classes) {
        st = gan__err(GAN_EINVAL, "gan_trainer_step: the models are conditional (%d classes): "
                      "pass the real samples' labels with gan_trainer_step_labeled",
                      t->n_classes);
        return t->dist ? gan_trainer_fail_step(t, st) : st;
    }
    return gan__trainer_step(t, real, real_count, NULL, 0, batch, stats, __func__);
}

gan_status gan_trainer_step_labeled(gan_trainer *t, const float *real, size_t real_count,
                                    const int32_t *labels, size_t labels_count, size_t batch,
                                    gan_step_stats *stats)
{
    gan_status st = GAN_OK;
    GAN__CHECK_HANDLE(t, GAN__MAGIC_TRAINER, "gan_trainer");
    if (labels == NULL)
        st = gan__err(GAN_EINVAL, "gan_trainer_step_labeled: invalid argument: 'labels != NULL'");
    else if (!t->n_classes)
        st = gan__err(GAN_EINVAL, "gan_trainer_step_labeled: the models have no class layers "
                      "and take no labels; use gan_trainer_step");
    if (st != GAN_OK)
        return t->dist ? gan_trainer_fail_step(t, st) : st;
    return gan__trainer_step(t, real, real_count, labels, labels_count, batch, stats, __func__);
}

