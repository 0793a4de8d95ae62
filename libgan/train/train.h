/*
 * train/train.h -- losses, optimizers, gradient penalties and the trainer's
 * state.  Builds on nn/ and data/ (the trainer's epoch loop reads datasets).
 */
#ifndef GAN_TRAIN_H
#define GAN_TRAIN_H

#include "nn/nn.h"
#include "data/data.h"

/* ---- losses (loss.c), used by the trainer ------------------------------------ */

const gan_loss_config *gan__loss_config(const gan_loss *l);
/* What gan_loss_create checks about a configuration. */
gan_status gan__loss_check_config(const gan_loss_config *c, const char *func);
void gan__batch_mean(const float *x, size_t n, size_t dim, double *mean);
/* One side (real or generated) of a discriminator loss: returns the batch
   mean, writes d loss / d output (with the 1/n) into g if not NULL. */
double gan__loss_d_side(const gan_loss_config *c, const float *x, size_t n, int is_real, float *g);
/* The generator's loss on D outputs (not feature matching). */
double gan__loss_g(const gan_loss_config *c, const float *x, size_t n, float *g);
/* The auxiliary class loss: weight times the mean cross-entropy of the
   class logits in columns 1..width-1 of n rows of out against classes y;
   its gradient (with the 1/n) into the same columns of g. */
double gan__class_loss(float weight, const float *out, size_t width, size_t n,
                       const int32_t *y, float *g);
/* ||mean_real - mean(fake)||^2; d_fake (may be NULL) gets the gradient;
   scratch holds dim doubles. */
float gan__feature_matching(const double *mean_real, const float *fake, size_t n_fake,
                            size_t dim, double *scratch, float *d_fake);

/* ---- optimizers (optim.c), used by the trainer ------------------------------- */

gan_model *gan__optimizer_model(const gan_optimizer *o);
/* GAN_ENUMERIC (with a message naming the layer) if a trainable gradient is
   not finite. */
gan_status gan__optimizer_check_grads(const gan_optimizer *o);
/* gan_optimizer_step without the gradient scan, for callers (the trainer)
   that have just checked the gradients themselves. */
gan_status gan__optimizer_apply(gan_optimizer *o);

/* ---- state that checkpoints save and restore ----------------------------------- */

const gan_optimizer_config *gan__optimizer_config(const gan_optimizer *o);
/* What gan_optimizer_create checks about a configuration (func names the
   caller in messages), and how many moment arrays (0..2) it keeps. */
gan_status gan__optimizer_check_config(const gan_optimizer_config *c, const char *func);
size_t gan__optimizer_slots(const gan_optimizer_config *c);

typedef struct gan__trainer_state {
    int n_critic;
    uint64_t seed, step, epoch;
    gan__rng rng;               /* latent noise */
    float ema_decay;            /* read only: fixed at creation */
    /* augmentation: the config (read only) and its live state */
    unsigned augment;
    float augment_p, ada_target, ada_speed;
    int ada_interval;
    float aug_p, ada_rt;
    double ada_sum;
    uint64_t ada_count, ada_steps;
    int r1_every;               /* lazy R1 (read only) */
} gan__trainer_state;

void gan__trainer_get_state(const gan_trainer *t, gan__trainer_state *st);
void gan__trainer_set_state(gan_trainer *t, const gan__trainer_state *st);
const gan_loss *gan__trainer_loss(const gan_trainer *t);
/* The generator's EMA weights (*n floats, the generator's parameter count)
   or NULL when the trainer keeps none. */
float *gan__trainer_ema(const gan_trainer *t, size_t *n);
/* From now on gan_trainer_free also frees the models, optimizers and loss. */
void gan__trainer_own_handles(gan_trainer *t);
/* ---- gradient penalties (penalty.c) ---------------------------------------------- */

typedef struct gan__penalty_buf gan__penalty_buf;
void gan__penalty_buf_free(gan__penalty_buf *b);
/* GAN_EUNSUPPORTED (naming the layer) unless every layer of d is one the
   double backpropagation handles. */
gan_status gan__penalty_supported(const gan_model *d);
/* What gan_trainer_create checks about the models and settings, without
   allocating; *feat_layer: the feature-matching layer, or -1. */
gan_status gan__trainer_check(const gan_model *g, const gan_model *d, const gan_loss_config *lc,
                              const gan_trainer_config *cfg, const char *func, int *feat_layer);
/*
 * Add the penalty's weight gradients to d's gradient arena and return its
 * value: WGAN-GP (r1 = 0) weight * mean_n (||g_n|| - 1)^2 or R1 (r1 = 1)
 * weight/2 * mean_n ||g_n||^2, g_n = d D(x_n) / d x_n.  Runs a training-mode
 * forward of d on x (n samples), so d's cache then holds x.  *pb is grown
 * as needed (free with gan__penalty_buf_free).  labels: the classes of x
 * for a conditional critic (NULL otherwise).
 */
gan_status gan__gradient_penalty(gan_model *d, gan__penalty_buf **pb, const float *x,
                                 const int32_t *labels, size_t n, int r1, float weight,
                                 double *value);
/* Grow *pb to hold the buffers of a penalty on n samples (GAN_ENOMEM). */
gan_status gan__penalty_reserve(gan__penalty_buf **pb, const gan_model *d, size_t n);

/* ---- differentiable augmentation (augment.c) ---- */

/* One image's draw: which operations apply and their parameters. */
typedef struct gan__aug_params {
    int colour, cut;
    float bright, sat, contrast;
    int tx, ty;                 /* translation, pixels */
    int cy0, cx0, ch, cw;       /* cutout square */
} gan__aug_params;

void gan__aug_draw(gan__rng *rng, unsigned ops, float p, size_t n, int h, int w,
                   gan__aug_params *ap);
/* y = aug(x), n images of h x w x c; tmp holds one image. */
void gan__aug_forward(const gan__aug_params *ap, size_t n, int h, int w, int c, const float *x,
                      float *y, float *tmp);
/* dx = aug^T dy with the same draws. */
void gan__aug_backward(const gan__aug_params *ap, size_t n, int h, int w, int c, const float *dy,
                       float *dx, float *tmp);

/* ---- the trainer handle (trainer.c; the step in train_step.c) ---- */

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
    /* D's outputs per sample: 1, or 1 + K with the auxiliary class head
       (class_projection_aux: the logit, then K class logits); then d_seed
       (cap, d_width) is D's output gradient, the logit's in column 0. */
    size_t d_width;
    float *d_seed;
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
    /* Augmentation (cfg.augment != 0): draws for the real and the fake
       batch (cap each), the augmented batches and D's gradient through
       them (cap, sample), one image of scratch; p and ADA's sums. */
    gan__aug_params *aug_real_par, *aug_fake_par;
    float *aug_real, *aug_fake, *aug_grad, *aug_tmp;
    int img_h, img_w, img_c;   /* D's input, when an image */
    float aug_p, ada_rt;
    double ada_sum;
    uint64_t ada_count, ada_steps;
    struct gan__dist *dist;    /* data-parallel state (reduce.c), or NULL */
    gan__busy busy;            /* set during a step (core.h) */
};

/* One step; labels (n_critic * batch validated classes) for a conditional
   pair, else NULL.  No argument checks: the public calls (train_step.c)
   and the epoch loop (fit.c) make them. */
gan_status gan__trainer_step(gan_trainer *t, const float *real, size_t real_count,
                             const int32_t *labels, size_t labels_count, size_t batch,
                             gan_step_stats *stats, const char *func);
/* ADA's bookkeeping after a successful step (augment.c). */
void gan__aug_ada_update(gan_trainer *t, const float *logits_real, size_t batch);
/* Grow the trainer's buffers to `batch` samples (GAN_ENOMEM). */
gan_status gan__trainer_reserve(gan_trainer *t, size_t batch);

/* ---- data-parallel training (reduce.c) ----------------------------------------- */

/*
 * With a reducer (t->dist != NULL) the step calls these at fixed points;
 * without one the step never reaches them and computes what it always did.
 * Every function that talks to the other workers is collective: all
 * workers call it in the same order.
 */
typedef struct gan__dist gan__dist;
void gan__dist_free(gan__dist *d);
/* Before the step's first collective: grow the buffers the step will need
   (so no allocation fails after the agreement). */
gan_status gan__dist_reserve(gan_trainer *t, size_t batch);
/* The step's agreement: local (this worker's batch and status) in, the
   global batch, this worker's offset and the noise key out.  Returns the
   first failing worker's status and message, or GAN_OK.  Also switches
   the models' random streams to this step's per-worker streams. */
gan_status gan__dist_begin(gan_trainer *t, size_t batch, gan_status local);
/* After the step, successful or not: the shared random streams back. */
void gan__dist_end(gan_trainer *t);
/* This worker failed after the agreement: tell the reducer (out_of_step)
   and pass st on. */
gan_status gan__dist_broken(gan_trainer *t, gan_status st);
/* Latent noise (and classes) of this worker's `batch` samples of the
   global batch, advancing the trainer's stream past the whole batch. */
void gan__dist_noise(gan_trainer *t, float *z, int32_t *labels, size_t batch);
/* WGAN-GP interpolation weights of this worker's samples, likewise. */
void gan__dist_uniforms(gan_trainer *t, float *e, size_t batch);
/* Start reducing m's gradients bucket by bucket as its backward pass
   finishes them (arm), then launch what is left (flush). */
void gan__dist_arm(gan_trainer *t, gan_model *m);
gan_status gan__dist_flush(gan_trainer *t, gan_model *m);
/* Wait for the gradient sums, then sum the losses and the scores' sums
   over the global batch: *d_loss, *g_loss (either may be NULL) become
   global means, and so do the mean scores kept for the step's stats. */
gan_status gan__dist_finish(gan_trainer *t, double *d_loss, double *g_loss, int scores,
                            size_t batch);
/* The real batch's mean features (feature matching), summed to the global
   mean in place. */
gan_status gan__dist_mean(gan_trainer *t, double *mean, size_t dim);
/* Feature matching on the global means: the loss and this worker's
   gradient with respect to its fake features (with its own 1/batch, the
   reduction's weights making the global 1/N). */
gan_status gan__dist_feature_matching(gan_trainer *t, const float *fake, size_t batch,
                                      double *value, float *d_fake);
/* Average the batchnorm running statistics over the workers. */
gan_status gan__dist_sync_state(gan_trainer *t);
/* After GAN_ENUMERIC: add to the message which worker's own loss was not
   finite, if one was. */
void gan__dist_explain(const gan_trainer *t);
/* The step's global mean scores (D(real), D(fake)) for gan_step_stats. */
void gan__dist_scores(const gan_trainer *t, double *d_real, double *d_fake);

#endif /* GAN_TRAIN_H */
