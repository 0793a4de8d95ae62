/*
 * runfile.h -- OUT/run.txt: the settings of a training run, written when it
 * starts and read by `gan train --resume`, so a resumed run rebuilds the
 * same data pipeline and sample noise.  Plain "key = value" lines.
 */
#ifndef GAN_CLI_RUNFILE_H
#define GAN_CLI_RUNFILE_H

#include <stdint.h>

#include "gan.h"

#define RUN_PATH_MAX 4096

typedef struct run_settings {
    char preset[64];
    char data[RUN_PATH_MAX];   /* "" : Fashion-MNIST from GAN_FASHION_MNIST_DIR */
    char format[16];           /* auto, mnist, idx, cifar10 */
    uint64_t epochs;           /* 0: no epoch limit (then steps > 0) */
    uint64_t steps;            /* 0: no step limit */
    uint64_t batch, limit, seed, sample_seed;
    gan_optimizer_kind optimizer;
    float g_lr, d_lr, beta1, beta2;
    gan_loss_kind loss;
    float clip, real_label, gradient_penalty, r1_gamma, ema_decay;
    int spectral_norm;         /* of the discriminator's dense and conv layers */
    uint64_t n_critic;
    int drop_remainder;
    uint64_t sample_every, checkpoint_every, keep;
    /* A family preset's networks and its image folder (format "images"). */
    uint64_t image_size, image_channels, width;  /* 0: not an image-folder run */
    uint64_t max_width;        /* the cap on the networks' widths; 0 (run.txt
                                  files from before it): 256 */
    int conditional;           /* classes from the folder's sub-folders */
    int flip_x;                /* random left-right mirroring of the data */
    uint64_t augment;          /* GAN_AUGMENT_* bits (DiffAugment), 0: none */
    float augment_p, ada_target; /* p (ADA's start), ADA's target (0: fixed p) */
    uint64_t r1_every;         /* lazy R1: every N critic updates (0 in run.txt
                                  files from before it: 1) */
    float class_weight;        /* the auxiliary class loss's weight, 0: off
                                  (and in run.txt files from before it) */
} run_settings;

/* Write atomically (path.tmp, rename).  Returns 0 or -1 (errno). */
int run_write(const run_settings *r, const char *path);
/* Read; on error returns -1 and a message in err. */
int run_read(run_settings *r, const char *path, char *err, size_t err_cap);

const char *run_optimizer_name(gan_optimizer_kind k);
int run_optimizer_from_name(const char *s, gan_optimizer_kind *k);
int run_loss_from_name(const char *s, gan_loss_kind *k);

#endif
