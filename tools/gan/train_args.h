/*
 * train_args.h -- `gan train`'s command line: the options, the run's
 * settings they make (new or resumed) and the output directory's
 * preparation.  train_args.c parses; cmd_train.c runs.
 */
#ifndef GAN_CLI_TRAIN_ARGS_H
#define GAN_CLI_TRAIN_ARGS_H

#include "cli.h"
#include "runfile.h"

#define DEFAULT_OUT "out"

enum {
    OPT_FORMAT = 256, OPT_LIMIT, OPT_STEPS, OPT_LR, OPT_G_LR, OPT_D_LR, OPT_BETA1, OPT_OPTIMIZER,
    OPT_LOSS, OPT_CLIP, OPT_SMOOTH, OPT_N_CRITIC, OPT_SAMPLE_EVERY, OPT_CKPT_EVERY, OPT_KEEP,
    OPT_LOG_EVERY, OPT_FID_EVERY, OPT_FID_SAMPLES, OPT_BETA2, OPT_GP, OPT_R1, OPT_EMA, OPT_SN,
    OPT_CKPT_SECONDS, OPT_IMAGES, OPT_SIZE, OPT_CHANNELS, OPT_ARCH, OPT_CLASSES, OPT_WIDTH,
    OPT_MAX_WIDTH, OPT_FLIP, OPT_AUGMENT, OPT_AUGMENT_P, OPT_ADA, OPT_R1_EVERY, OPT_CLASS_WEIGHT,
    OPT_LAST
};

/* What the command line said, before the preset or run.txt fill the rest. */
typedef struct train_args {
    run_settings r;             /* only fields whose flag is set */
    unsigned char set[OPT_LAST];
    const char *out, *resume;
    uint64_t threads, log_every;
    int quiet;
    uint64_t fid_every, fid_samples;
    uint64_t checkpoint_seconds; /* --checkpoint-seconds (set[] says if given) */
} train_args;

/* Parse argv into *a: 0, or the exit status (usage errors, --help). */
int train_parse_args(int argc, char **argv, train_args *a);
/* The settings of a new run: the preset's (or the quick start's), then the
   flags. */
int train_settings_new(const train_args *a, run_settings *r);
/* A resumed run's settings from its run.txt, with the flags that may
   change (epochs, steps, outputs). */
int train_settings_resume(const train_args *a, run_settings *r);
/* --resume PATH: a run directory (its checkpoint.gan) or a checkpoint
   file; the checkpoint's path into ckpt and its run directory into dir. */
int train_find_resume(const char *path, char *ckpt, char *dir, size_t cap);
/* A new run: remove an old run's outputs from OUT. */
void train_clear_old_run(const char *out);
/* N of checkpoints/ckpt_epoch_N.gan, 0 for another name. */
uint64_t ckpt_number(const char *name);
/* Make OUT and its sub-directories (a new run also clears an old one's
   outputs). */
int train_prepare_out(const char *out);

#endif /* GAN_CLI_TRAIN_ARGS_H */
