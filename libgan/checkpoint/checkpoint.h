/*
 * checkpoint/checkpoint.h -- model files and training checkpoints on top of
 * io/'s container: the model file (model_file.c), the trainer checkpoint
 * (trainer_file.c) and inspection (file_info.c).  Builds on train/ (the
 * optimizers' and trainer's state), data/ (the shuffle position) and io/.
 * The format is docs/checkpoint-format.md.
 */
#ifndef GAN_CHECKPOINT_H
#define GAN_CHECKPOINT_H

#include "train/train.h"
#include "io/io.h"

/* An optimizer section, decoded but not applied. */
typedef struct gan__opt_rec {
    gan_optimizer_config cfg;
    uint64_t step, n;
    float *state;              /* n floats, gan__malloc'ed */
} gan__opt_rec;

typedef struct gan__trainer_rec {
    gan__trainer_state ts;
    gan__rng g_rng, d_rng;
    gan_loss_config loss;
} gan__trainer_rec;

typedef struct gan__dataset_rec {
    int present;
    gan_batch_config cfg;
    uint64_t n, epoch, pos;
} gan__dataset_rec;

/* Everything a checkpoint holds, decoded and validated, nothing applied. */
typedef struct gan__ckpt {
    gan_model *g, *d;
    gan__opt_rec og, od;
    gan__trainer_rec tr;
    gan__dataset_rec ds;
    float *ema;                /* the generator's EMA weights, or NULL */
} gan__ckpt;

/* The header flags a file holding model m needs. */
uint32_t gan__model_flags(const gan_model *m);

gan_status gan__load_model_slot(const gan__container *c, uint32_t slot, gan_model **out);
/* The three steps of gan__load_model_slot: the layers with counts only (no
   arenas); the parameter and state sections checked without allocating
   (declared sizes against the counts, then streamed: size, CRC32, finite
   values, the layers' state checks such as batchnorm variances >= 0);
   then the arenas allocated and filled (on error *m is freed and NULL).
   A checkpoint reader checks everything in the file before the third
   step of either model, so a file it refuses allocates nothing large. */
gan_status gan__load_model_arch(const gan__container *c, uint32_t slot, gan_model **out);
gan_status gan__check_model_weights(const gan__container *c, uint32_t slot, const gan_model *m);
gan_status gan__load_model_weights(const gan__container *c, uint32_t slot, gan_model **m);

gan_status gan__encode_model(gan__wbuf *file, const gan_model *m, uint32_t slot);
/* The sections gan__encode_model writes for m: 3, or 4 with class names. */
uint32_t gan__model_sections(const gan_model *m);

void gan__ckpt_free(gan__ckpt *k);

gan_status gan__ckpt_decode(const unsigned char *buf, size_t len, const char *name, gan__ckpt *k);

#endif /* GAN_CHECKPOINT_H */
