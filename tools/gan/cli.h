/*
 * cli.h -- what the files of the `gan` command-line tool share.
 *
 * The tool uses only the public API of gan.h, as any user program would.
 * Exit codes: 0 success, 1 a runtime error (a file, the library), 2 a usage
 * error (a bad flag or value), 130 training interrupted by Ctrl-C after
 * saving a checkpoint.
 */
#ifndef GAN_CLI_H
#define GAN_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gan.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_INTERRUPTED 130

/* ---- subcommands (cmd_*.c): argv[0] is the subcommand's name ---- */
int cmd_train(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* ---- util.c ---- */

/* "gan train: ..." on stderr; returns the exit code given. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failed libgan call: "gan CMD: WHAT: <gan_last_error()>", returns 1. */
int cli_lib_error(const char *cmd, const char *what);

/* Strict number parsing of flag values: the whole string must be a number
   in range.  Return 0, or print "gan CMD: --FLAG: ..." and return 2. */
int cli_parse_u64(const char *cmd, const char *flag, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out);
int cli_parse_float(const char *cmd, const char *flag, const char *s, float min, float max,
                    float *out);

/* A flag whose value is a number: a table row of a subcommand's flags.
   The value is parsed as cli_parse_u64 or cli_parse_float do, into the
   uint64_t or float field at `offset` of the subcommand's options struct. */
typedef struct cli_num_flag {
    int opt;                   /* what getopt_long returns for it */
    const char *name;          /* "--batch", for messages */
    int is_float;
    uint64_t min, max;         /* a uint64_t field */
    float fmin, fmax;          /* a float field */
    size_t offset;
} cli_num_flag;

/* If opt is one of the n flags, parse value into opts: 0, or 2 after the
   message.  -1: opt is not in the table. */
int cli_parse_num_flag(const char *cmd, const cli_num_flag *flags, size_t n, int opt,
                       const char *value, void *opts);
/* getopt_long's ':' (a flag without its value) or '?' (an unknown flag)
   as a usage error naming the argument; returns 2. */
int cli_option_error(const char *cmd, int ch, char *const *argv);
/* After the flags: exactly one argument, `what` ("MODEL").  0, or 2 after
   "no MODEL given" or "unexpected argument". */
int cli_one_operand(const char *cmd, int argc, char *const *argv, const char *what);

/* mkdir -p.  Returns 0 or -1 (errno set). */
int cli_mkdirs(const char *path);
int cli_is_dir(const char *path);
int cli_is_file(const char *path);

/* The shipped models' directory (datadir.c): $GAN_DATA_DIR, else
   share/libgan beside the installed tool, else the configured install
   directory.  cli_data_file: "<that dir>/name" into buf (0, or -1 if it
   does not fit). */
const char *cli_data_dir(void);
int cli_data_file(char *buf, size_t cap, const char *name);
#define CLI_CLASSIFIER_FILE "fashion_mnist_classifier.gan"
#define CLI_REFERENCE_FILE "fashion_mnist_t10k.fidstats"

/* report.c: OUT/report.html (or out_path) from the run directory dir; 0,
   or the printed error's exit code. */
int cli_report_write(const char *cmd, const char *dir, const char *out_path, int quiet);

/* FID and IS under the protocol of docs/metrics.md (fid.c). */
typedef struct cli_fid {
    const char *clf_path;
    char clf_default[4096];    /* the shipped classifier's path (clf_path NULL) */
    char ref_default[4096];    /* the shipped reference statistics' path */
    gan_model *clf;
    gan_metrics *mt;
    gan_fid_stats *ref;
    size_t dim, k;             /* features, classes */
    uint32_t id;               /* the feature network's id */
    char ref_desc[4160];
} cli_fid;

/* Load the classifier (clf_path, NULL: the shipped one; feature `layer`,
   GAN_DEFAULT_FEATURE_LAYER: penultimate) and the reference statistics
   (ref_path, else the shipped t10k statistics, else computed from data's
   t10k set).  0, or the printed error's exit code. */
int cli_fid_open(cli_fid *f, const char *cmd, const char *clf_path, size_t layer, const char *ref_path,
                 int explicit_ref, const char *data);
/* FID and IS of n samples of gen from latent seed. */
int cli_fid_measure(cli_fid *f, const char *cmd, gan_model *gen, uint64_t seed, size_t n, double *fid,
                    double *is, double *is_sd);
void cli_fid_close(cli_fid *f);
double cli_now(void);
/* snprintf into buf that treats truncation as an error (returns -1). */
int cli_path(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The classes of a conditional generator's images in gan train's sample
   grids, gan sample and gan eval (classes.c).  labels[i] for i < n:
     per_class > 0   class i / per_class (one row of per_class per class)
     per_class == 0  class i mod n_classes (balanced, as
                     gan_metrics_run_generator draws them) */
void cli_class_labels(int32_t *labels, size_t n, int n_classes, size_t per_class);
/* Fashion-MNIST's name of class k ("T-shirt/top", ...), or NULL. */
const char *cli_fashion_class_name(int k);

/* Write n images (u8, h x w x c) as a PNG grid; report errors as CMD. */
int cli_write_png(const char *cmd, const char *path, const uint8_t *img, size_t n, int h, int w,
                  int c, int cols);
/* The same with `gap` pixels between and around images (transparent for
   RGBA; 0: a sprite sheet) and each pixel drawn as a scale x scale block
   (nearest neighbour, for pixel art). */
int cli_write_png_ex(const char *cmd, const char *path, const uint8_t *img, size_t n, int h, int w,
                     int c, int cols, int gap, int scale);

/* ---- presets.c: the CLI's training presets ---- */
typedef struct cli_preset {
    const char *name;
    const char *description;
    gan_preset generator, discriminator;
    gan_optimizer_kind optimizer;
    float lr, beta1, beta2;
    gan_loss_kind loss;
    float clip, gradient_penalty;
    int n_critic;
    size_t batch;
    int drop_remainder;
    float real_label;   /* BCE target of real images: < 1 is one-sided smoothing */
    float r1_gamma;     /* R1 penalty on real images, 0: off */
    float class_weight; /* AC-GAN's auxiliary class loss, 0: off (a family
                           preset's: only with --classes) */
    int r1_every;       /* lazy R1 every N critic updates; 0: 1 */
    int spectral_norm;         /* of every dense and convolution layer of D */
    float d_lr;                /* the discriminator's learning rate, 0: lr */
    float ema_decay;           /* generator EMA of the preset's recipe, 0: none */
    int family;                /* networks of gan_model_create_family for the
                                  run's image size (generator/discriminator
                                  unused), trained on an image folder */
    gan_family_kind family_g;  /* their kinds */
    gan_family_kind family_d;
    int family_mbstd;          /* gan_family_config.minibatch_stddev of D */
} cli_preset;

const cli_preset *cli_preset_find(const char *name);
const cli_preset *cli_preset_at(size_t i); /* NULL past the end */
#define CLI_DEFAULT_PRESET "mnist-gan"

/* ---- progress.c: progress bar (terminal) or log lines (otherwise) ---- */
typedef struct cli_progress {
    int tty;                  /* draw a bar with \r instead of log lines */
    int quiet;
    uint64_t total_steps;     /* of the whole run (0: unknown) */
    uint64_t start_step;      /* step when this process started */
    size_t images_per_step;
    unsigned log_every;       /* log line every N steps (0: every 10 s) */
    double t0, last_print;
    double ema_g, ema_d;      /* running losses */
    int have_ema;
    int bar_drawn;
} cli_progress;

void cli_progress_init(cli_progress *p, uint64_t start_step, uint64_t total_steps,
                       size_t images_per_step, unsigned log_every, int quiet);
void cli_progress_step(cli_progress *p, uint64_t step, uint64_t epoch, const gan_step_stats *s);
/* Clear the bar before printing a normal line. */
void cli_progress_clear(cli_progress *p);
double cli_progress_rate(const cli_progress *p, uint64_t step);

/* ---- csvlog.c: per-step CSV log ---- */
typedef struct cli_csv {
    FILE *f;
    double offset;            /* seconds of the run before this process */
    double t0;
} cli_csv;

/* Open path for appending; keep only rows with step <= keep_steps (rows a
   killed run wrote after its last checkpoint); write the header to a new
   file. */
int cli_csv_open(cli_csv *c, const char *path, uint64_t keep_steps, int resume);
void cli_csv_row(cli_csv *c, uint64_t step, uint64_t epoch, const gan_step_stats *s);
void cli_csv_close(cli_csv *c);

#endif
