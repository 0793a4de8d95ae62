/*
 * cmd_train.c -- `gan train`: train a preset GAN, with a progress display,
 * a CSV log, sample grids, rotated checkpoints, Ctrl-C and --resume.
 *
 * Output directory (--out, default out/):
 *   run.txt                       settings of the run (what --resume reads)
 *   log.csv                       one row per step
 *   samples/epoch_003.png         8x8 grid from fixed noise, each image scaled
 *                                 up to 56..64 px (and step_N.png)
 *   checkpoints/ckpt_epoch_003.gan  every --checkpoint-every epochs, --keep N
 *   checkpoint.gan                the latest checkpoint (what --resume DIR loads);
 *                                 also after the first step and every
 *                                 --checkpoint-seconds (60)
 *   generator.gan                 the generator alone, for `gan sample`
 *
 * Exactness of --resume: a checkpoint carries the weights, optimizer
 * moments, the trainer's step, epoch and noise stream and the data set's
 * shuffle position; run.txt carries how the data were loaded and the seed
 * of the sample noise.  Resuming therefore continues the very same
 * sequence of steps as an uninterrupted run (same thread count, same build).
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distributed.h"
#include "train_args.h"

/* Every run's sample grid: 8x8 images (a conditional generator: one row
   of 8 per class), each drawn SAMPLE_PX / side times as large (nearest
   neighbour, a whole factor, at least 1): 28 px images at 56, 16 and 32 px
   at 64, 64 px and larger as they are. */
#define SAMPLE_GRID 64
#define SAMPLE_COLS 8
#define SAMPLE_PX 64

/* ---- Ctrl-C ---- */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL); /* what mpirun forwards to the ranks */
}

/* ---- the run ---- */
typedef struct train_ctx {
    run_settings r;
    char out[RUN_PATH_MAX];
    char ckpt[RUN_PATH_MAX];      /* --resume: the checkpoint it loads */
    uint64_t start_step, start_epoch; /* where this process starts */
    uint64_t total;               /* the run's last step (UINT64_MAX: no limit) */
    uint64_t remaining;           /* epochs left to fit (UINT64_MAX: no limit) */
    gan_trainer *t;
    gan_dataset *ds;
    gan_model *g, *d;             /* owned unless t owns them (resumed) */
    gan_optimizer *g_opt, *d_opt;
    gan_loss *loss;
    int t_owns;
    uint64_t steps_per_epoch;
    uint64_t last_ckpt_step, last_sample_step; /* UINT64_MAX: none yet */
    char last_sample[RUN_PATH_MAX + 64];
    cli_progress prog;
    cli_csv csv;
    double epoch_t0;
    uint64_t epoch_step0;
    int failed;                   /* a save inside a callback failed */
    uint64_t fid_every, fid_samples;
    cli_fid fid;                  /* open when fid_every > 0 */
    FILE *metrics;                /* OUT/metrics.csv */
    uint64_t ckpt_seconds;        /* --checkpoint-seconds (0: off) */
    double last_ckpt_time;        /* cli_now() of the last checkpoint */
} train_ctx;

#define DEFAULT_CKPT_SECONDS 60

static const char *CMD = "train";

static void ctx_free(train_ctx *c)
{
    gan_trainer_free(c->t);
    if (!c->t_owns) {
        gan_loss_free(c->loss);
        gan_optimizer_free(c->g_opt);
        gan_optimizer_free(c->d_opt);
        gan_model_free(c->g);
        gan_model_free(c->d);
    }
    gan_dataset_free(c->ds);
    cli_csv_close(&c->csv);
    if (c->fid_every)
        cli_fid_close(&c->fid);
    if (c->metrics)
        fclose(c->metrics);
}

/* The generator to sample and export: its EMA copy when the run keeps one
   (*owned is then set and must be freed), else the live model. */
static gan_model *shown_generator(train_ctx *c, gan_model **owned)
{
    gan_model *g = NULL;
    *owned = NULL;
    if (c->r.ema_decay > 0.0f) {
        if (gan_trainer_ema_generator(c->t, owned) != GAN_OK) {
            cli_lib_error(CMD, "the generator's moving average");
            return NULL;
        }
        return *owned;
    }
    gan_trainer_models(c->t, &g, NULL, NULL, NULL);
    return g;
}

/* One row of OUT/metrics.csv: FID and IS of the generator now. */
static int log_fid(train_ctx *c, uint64_t epoch, uint64_t step)
{
    gan_model *g, *owned = NULL;
    double fid, is, is_sd, t0 = cli_now();
    int rc;
    if ((g = shown_generator(c, &owned)) == NULL)
        return -1;
    rc = cli_fid_measure(&c->fid, CMD, g, c->r.seed, (size_t)c->fid_samples, &fid, &is, &is_sd);
    gan_model_free(owned);
    if (rc != 0)
        return -1;
    fprintf(c->metrics, "%llu,%llu,%.6f,%.6f,%.6f,%llu\n", (unsigned long long)epoch,
            (unsigned long long)step, fid, is, is_sd, (unsigned long long)c->fid_samples);
    if (fflush(c->metrics) != 0)
        return cli_error(CMD, "%s/metrics.csv: write failed", c->out), -1;
    printf("Epoch %llu | FID %.3f | IS %.3f +- %.3f (%llu samples, %.1f s)\n",
           (unsigned long long)epoch, fid, is, is_sd, (unsigned long long)c->fid_samples,
           cli_now() - t0);
    return 0;
}

static int looks_cifar(const char *path)
{
    size_t n = strlen(path);
    char probe[RUN_PATH_MAX + 32];
    if (n > 4 && strcmp(path + n - 4, ".bin") == 0)
        return 1;
    return cli_path(probe, sizeof probe, "%s/data_batch_1.bin", path) == 0 && cli_is_file(probe);
}

static const char *data_path(const train_ctx *c)
{
    return c->r.data[0] ? c->r.data : GAN_FASHION_MNIST_DIR;
}

/* An image folder at the run's size, decoded once into OUT/images.cache
   (keyed by the files and the settings, so a second run or a --resume
   starts at once); bad files are skipped and reported. */
static int open_images(train_ctx *c, const char *path)
{
    char cache[RUN_PATH_MAX + 32];
    gan_image_config ic;
    gan_image_report rep;
    size_t n = 0, classes = 0;
    double t0 = cli_now();
    GAN_IMAGE_CONFIG_INIT(&ic);
    ic.height = ic.width = (int)c->r.image_size;
    ic.channels = (int)c->r.image_channels;
    ic.labels = c->r.conditional ? GAN_IMAGE_LABELS_FOLDERS : GAN_IMAGE_LABELS_NONE;
    ic.on_error = GAN_IMAGE_SKIP;
    ic.flip_x = c->r.flip_x;
    if (cli_mkdirs(c->out) == 0 && cli_path(cache, sizeof cache, "%s/images.cache", c->out) == 0)
        ic.cache_path = cache;
    if (gan_dataset_load_images(&c->ds, path, &ic) != GAN_OK)
        return cli_lib_error(CMD, "--images"), -1;
    GAN_IMAGE_REPORT_INIT(&rep);
    gan_dataset_image_report(c->ds, &rep);
    gan_dataset_size(c->ds, &n);
    gan_dataset_class_count(c->ds, &classes);
    printf("images: %zu from %s in %.1f s (%s)", n, path, cli_now() - t0,
           rep.cache == GAN_IMAGE_CACHE_HIT ? "cache" : "decoded");
    if (classes)
        printf(", %zu classes", classes);
    printf("\n");
    if (rep.skipped)
        printf("images: skipped %zu bad files; the first: %s\n", rep.skipped, rep.first_error);
    if (rep.cache == GAN_IMAGE_CACHE_WRITE_FAILED)
        printf("images: cache not written: %s\n", rep.cache_note);
    return 0;
}

/* The data set run.txt names, into c->ds; *fmt: its format. */
static int open_data(train_ctx *c, const char **fmt)
{
    const char *path = data_path(c);
    gan_status st;
    if (!cli_is_dir(path) && !cli_is_file(path)) {
        cli_error(CMD, "--data: %s: %s", path, strerror(errno));
        if (!c->r.data[0])
            fprintf(stderr, "hint: apt-get install dataset-fashion-mnist, or give --data\n");
        return -1;
    }
    *fmt = c->r.format;
    if (strcmp(*fmt, "images") == 0)
        return open_images(c, path);
    if (strcmp(*fmt, "auto") == 0)
        *fmt = looks_cifar(path) ? "cifar10" : cli_is_dir(path) ? "mnist" : "idx";
    if (strcmp(*fmt, "cifar10") == 0)
        st = gan_dataset_load_cifar10(&c->ds, path, 1);
    else if (strcmp(*fmt, "mnist") == 0)
        st = gan_dataset_load_mnist_dir(&c->ds, path, 1);
    else
        st = gan_dataset_load_idx(&c->ds, path, NULL);
    if (st != GAN_OK)
        return cli_lib_error(CMD, "--data"), -1;
    return 0;
}

/* Images of another size or channel count are converted to D's input. */
static int fit_data(train_ctx *c, const char *fmt, const int want[3])
{
    gan_dataset *conv = NULL;
    size_t ndim;
    int dims[3];
    gan_dataset_shape(c->ds, &ndim, dims);
    if (ndim == 3 && dims[0] == want[0] && dims[1] == want[1] && dims[2] == want[2]) {
        printf("data: %s (%s), %dx%dx%d images\n", data_path(c), fmt, dims[0], dims[1], dims[2]);
        return 0;
    }
    if (ndim != 3 || gan_dataset_convert(&conv, c->ds, want[0], want[1], want[2]) != GAN_OK)
        return cli_lib_error(CMD, "converting the data to the discriminator's input"), -1;
    printf("data: %s (%s), %dx%dx%d images converted to %dx%dx%d\n", data_path(c), fmt, dims[0],
           dims[1], dims[2], want[0], want[1], want[2]);
    gan_dataset_free(c->ds);
    c->ds = conv;
    return 0;
}

/* Limited and batched as run.txt says; one step's images must be there. */
static int batch_data(train_ctx *c)
{
    gan_batch_config bc;
    size_t n;
    GAN_BATCH_CONFIG_INIT(&bc);
    bc.batch_size = (size_t)c->r.batch;
    bc.seed = c->r.seed;
    bc.drop_remainder = c->r.drop_remainder;
    if (gan_dataset_limit(c->ds, (size_t)c->r.limit) != GAN_OK ||
        gan_dataset_set_batching(c->ds, &bc) != GAN_OK)
        return cli_lib_error(CMD, "batching"), -1;
    gan_dataset_size(c->ds, &n);
    if (n < c->r.batch * c->r.n_critic && c->r.drop_remainder) {
        cli_error(CMD, "%zu images are fewer than one step needs (batch %llu x n_critic %llu)", n,
                  (unsigned long long)c->r.batch, (unsigned long long)c->r.n_critic);
        return -1;
    }
    return 0;
}

/* The data in D's input shape (c->ds; ctx_free frees it on failure). */
static int load_data(train_ctx *c, const int want[3])
{
    const char *fmt;
    if (open_data(c, &fmt) != 0 || fit_data(c, fmt, want) != 0 || batch_data(c) != 0)
        return -1;
    return 0;
}

/* The folder's class names into both networks (and so into every file
   the run writes): gan sample --class NAME. */
static int name_classes(train_ctx *c)
{
    size_t n = 0;
    char **names;
    int rc = 0;
    gan_dataset_class_count(c->ds, &n);
    if ((names = calloc(n, sizeof *names)) == NULL)
        return cli_error(CMD, "out of memory");
    for (size_t k = 0; k < n && rc == 0; k++) {
        size_t len = 0;
        gan_dataset_class_name(c->ds, k, NULL, 0, &len);
        if ((names[k] = malloc(len + 1)) == NULL)
            rc = cli_error(CMD, "out of memory");
        else
            gan_dataset_class_name(c->ds, k, names[k], len + 1, NULL);
    }
    if (rc == 0 && (gan_model_set_class_names(c->g, (const char *const *)names, n) != GAN_OK ||
                    gan_model_set_class_names(c->d, (const char *const *)names, n) != GAN_OK)) {
        /* a folder name a model cannot keep (a control character): the
           classes still train, by number */
        fprintf(stderr, "gan train: warning: class names not kept: %s\n", gan_last_error());
        gan_model_set_class_names(c->g, NULL, 0);
        gan_model_set_class_names(c->d, NULL, 0);
    }
    for (size_t k = 0; k < n; k++)
        free(names[k]);
    free(names);
    return rc;
}

/* Build the networks of a new run from the settings. */
static int build_new(train_ctx *c, const cli_preset *p)
{
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_trainer_config tc;
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    oc.kind = c->r.optimizer;
    oc.beta1 = c->r.beta1;
    oc.beta2 = c->r.beta2;
    GAN_LOSS_CONFIG_INIT(&lc);
    lc.kind = c->r.loss;
    lc.clip = c->r.clip;
    lc.real_label = c->r.real_label;
    lc.gradient_penalty = c->r.gradient_penalty;
    lc.r1_gamma = c->r.r1_gamma;
    lc.class_weight = c->r.class_weight;
    GAN_TRAINER_CONFIG_INIT(&tc);
    tc.n_critic = (int)c->r.n_critic;
    tc.seed = c->r.seed;
    tc.ema_decay = c->r.ema_decay;
    tc.augment = c->r.augment;
    tc.augment_p = c->r.augment_p;
    tc.ada_target = c->r.ada_target;
    tc.r1_every = c->r.r1_every ? (int)c->r.r1_every : 1;
    if (p->family) {
        gan_family_config fc;
        size_t classes = 0;
        GAN_FAMILY_CONFIG_INIT(&fc);
        fc.size = (int)c->r.image_size;
        fc.channels = (int)c->r.image_channels;
        fc.width = (int)c->r.width;
        if (c->r.max_width)   /* 0: a run.txt from before --max-width, the default */
            fc.max_width = (int)c->r.max_width;
        if (fc.max_width < fc.width)
            fc.max_width = fc.width;
        if (c->r.conditional)
            gan_dataset_class_count(c->ds, &classes);
        fc.classes = (int)classes;
        fc.minibatch_stddev = p->family_mbstd;
        fc.aux_classifier = classes > 0 && c->r.class_weight > 0.0f;   /* AC-GAN's head */
        if (gan_model_create_family(&c->g, p->family_g, &fc) != GAN_OK ||
            gan_model_create_family(&c->d, p->family_d, &fc) != GAN_OK)
            return cli_lib_error(CMD, "building the networks");
        if (classes && name_classes(c) != 0)
            return -1;
    } else if (gan_model_create_preset(&c->g, p->generator) != GAN_OK ||
               gan_model_create_preset(&c->d, p->discriminator) != GAN_OK)
        return cli_lib_error(CMD, "building the networks");
    if ((c->r.spectral_norm && gan_model_set_spectral_norm(c->d, GAN_ALL_LAYERS, 1) != GAN_OK) ||
        gan_model_init_params(c->g, c->r.seed) != GAN_OK ||
        gan_model_init_params(c->d, c->r.seed + 1) != GAN_OK ||
        gan_model_set_seed(c->g, c->r.seed + 2) != GAN_OK ||
        gan_model_set_seed(c->d, c->r.seed + 3) != GAN_OK)
        return cli_lib_error(CMD, "building the networks");
    oc.lr = c->r.g_lr;
    if (gan_optimizer_create(&c->g_opt, c->g, &oc) != GAN_OK)
        return cli_lib_error(CMD, "generator optimizer");
    oc.lr = c->r.d_lr;
    if (gan_optimizer_create(&c->d_opt, c->d, &oc) != GAN_OK)
        return cli_lib_error(CMD, "discriminator optimizer");
    if (gan_loss_create(&c->loss, &lc) != GAN_OK)
        return cli_lib_error(CMD, "--loss");
    if (gan_trainer_create(&c->t, c->g, c->d, c->g_opt, c->d_opt, c->loss, &tc) != GAN_OK)
        return cli_lib_error(CMD, "trainer");
    return 0;
}

/* ---- samples and checkpoints ---- */

static int write_samples(train_ctx *c, const char *name, uint64_t step)
{
    gan_model *g = NULL, *owned = NULL;
    gan_sampler *s = NULL;
    uint8_t *img = NULL;
    int32_t *labels = NULL;
    size_t latent, image, ndim, n = SAMPLE_GRID;
    int dims[3], rc = -1, classes = 0, cols = SAMPLE_COLS, scale;
    gan_status st;
    char path[RUN_PATH_MAX + 64];
    if (!dist_writer()) /* --distributed: rank 0 writes */
        return c->last_sample_step = step, 0;
    if (cli_path(path, sizeof path, "%s/samples/%s", c->out, name) != 0)
        return cli_error(CMD, "%s/samples/%s: path too long", c->out, name), -1;
    if ((g = shown_generator(c, &owned)) == NULL)
        return -1;
    gan_model_layer_count(g, &ndim);
    gan_model_shape(g, ndim - 1, &ndim, dims);
    gan_model_num_classes(g, &classes);
    scale = SAMPLE_PX / (dims[0] > dims[1] ? dims[0] : dims[1]);
    scale = scale < 1 ? 1 : scale;
    if (classes) /* a conditional generator: one row per class */
        n = (size_t)classes * SAMPLE_COLS;
    /* The same noise every time: a sampler seeded with sample_seed, so
       `gan sample OUT/generator.gan --seed SAMPLE_SEED --n 64 --scale S`
       (conditional: `--class all --n 8 --scale S`) draws it too. */
    if (gan_sampler_create(&s, g, c->r.sample_seed, n) != GAN_OK ||
        gan_sampler_dims(s, &latent, &image) != GAN_OK) {
        cli_lib_error(CMD, "sampler");
        goto done;
    }
    if ((img = malloc(n * image)) == NULL || (classes && (labels = malloc(n * sizeof *labels)) == NULL)) {
        cli_error(CMD, "out of memory");
        goto done;
    }
    if (classes) {
        cli_class_labels(labels, n, classes, SAMPLE_COLS);
        st = gan_sampler_generate_labeled_u8(s, NULL, 0, labels, n, img, n * image);
    } else {
        st = gan_sampler_generate_u8(s, NULL, 0, n, img, n * image);
    }
    if (st != GAN_OK) {
        cli_lib_error(CMD, "generating samples");
        goto done;
    }
    if (cli_write_png_ex(CMD, path, img, n, dims[0], dims[1], dims[2], cols, 2, scale) != 0)
        goto done;
    memcpy(c->last_sample, path, strlen(path) + 1);
    c->last_sample_step = step;
    rc = 0;
done:
    free(img);
    free(labels);
    gan_sampler_free(s);
    gan_model_free(owned);
    return rc;
}


/* Keep the `keep` newest ckpt_epoch_N.gan files. */
static void rotate(train_ctx *c)
{
    char dir[RUN_PATH_MAX + 16], path[RUN_PATH_MAX + 300];
    uint64_t nums[1024];
    size_t n = 0;
    DIR *dp;
    struct dirent *e;
    if (c->r.keep == 0 || cli_path(dir, sizeof dir, "%s/checkpoints", c->out) != 0 ||
        (dp = opendir(dir)) == NULL)
        return;
    while ((e = readdir(dp)) != NULL && n < sizeof nums / sizeof nums[0]) {
        uint64_t v = ckpt_number(e->d_name);
        if (v != UINT64_MAX)
            nums[n++] = v;
    }
    closedir(dp);
    while (n > c->r.keep) { /* remove the oldest */
        size_t lo = 0;
        for (size_t i = 1; i < n; i++)
            if (nums[i] < nums[lo])
                lo = i;
        if (cli_path(path, sizeof path, "%s/ckpt_epoch_%03llu.gan", dir,
                     (unsigned long long)nums[lo]) == 0 &&
            remove(path) != 0)
            fprintf(stderr, "gan train: warning: cannot remove %s: %s\n", path, strerror(errno));
        nums[lo] = nums[--n];
    }
}

/* Save OUT/checkpoint.gan, and with epoch > 0 also
   OUT/checkpoints/ckpt_epoch_NNN.gan (the same file, hard-linked). */
static int save_checkpoint(train_ctx *c, uint64_t epoch, uint64_t step)
{
    char latest[RUN_PATH_MAX + 32], tmp[RUN_PATH_MAX + 32], path[RUN_PATH_MAX + 64];
    if (!dist_writer())
        return c->last_ckpt_step = step, 0;
    if (cli_path(latest, sizeof latest, "%s/checkpoint.gan", c->out) != 0 ||
        cli_path(tmp, sizeof tmp, "%s/.checkpoint.gan.link", c->out) != 0 ||
        cli_path(path, sizeof path, "%s/checkpoints/ckpt_epoch_%03llu.gan", c->out,
                 (unsigned long long)epoch) != 0)
        return cli_error(CMD, "%s: path too long", c->out), -1;
    if (epoch == 0) {
        if (gan_trainer_save(c->t, c->ds, latest) != GAN_OK)
            return cli_lib_error(CMD, "saving the checkpoint"), -1;
    } else {
        if (gan_trainer_save(c->t, c->ds, path) != GAN_OK)
            return cli_lib_error(CMD, "saving the checkpoint"), -1;
        /* Both names for one file, atomically; copy if links are refused. */
        remove(tmp);
        if (link(path, tmp) != 0 || rename(tmp, latest) != 0) {
            remove(tmp);
            if (gan_trainer_save(c->t, c->ds, latest) != GAN_OK)
                return cli_lib_error(CMD, "saving the checkpoint"), -1;
        }
        rotate(c);
    }
    c->last_ckpt_step = step;
    c->last_ckpt_time = cli_now();
    return 0;
}

static int save_generator(train_ctx *c)
{
    char path[RUN_PATH_MAX + 32];
    gan_model *g, *owned = NULL;
    int rc = 0;
    if (!dist_writer())
        return 0;
    if (cli_path(path, sizeof path, "%s/generator.gan", c->out) != 0)
        return cli_error(CMD, "%s: path too long", c->out), -1;
    if ((g = shown_generator(c, &owned)) == NULL)
        return -1;
    if (gan_model_save(g, path) != GAN_OK)
        rc = (cli_lib_error(CMD, "saving the generator"), -1);
    gan_model_free(owned);
    return rc;
}

/* Remove what kills left of the atomic writer (".NAME.tmp-XXXXXX") and of
   the checkpoint link in OUT, OUT/samples and OUT/checkpoints: a resumed
   run owns the directory (one gan train per directory). */
static void sweep_temporaries(const train_ctx *c)
{
    static const char *const subdirs[] = {"", "/samples", "/checkpoints"};
    char dir[RUN_PATH_MAX + 16], path[RUN_PATH_MAX + 300];
    for (size_t i = 0; i < 3; i++) {
        DIR *dp;
        struct dirent *e;
        if (cli_path(dir, sizeof dir, "%s%s", c->out, subdirs[i]) != 0 ||
            (dp = opendir(dir)) == NULL)
            continue;
        while ((e = readdir(dp)) != NULL) {
            const char *n = e->d_name;
            if (n[0] != '.' || (strstr(n, ".tmp-") == NULL && strcmp(n, ".checkpoint.gan.link") != 0))
                continue;
            if (cli_path(path, sizeof path, "%s/%s", dir, n) == 0 && remove(path) == 0)
                printf("removed %s, left by an interrupted write\n", path);
        }
        closedir(dp);
    }
}

/* ---- callbacks ---- */

static int on_step(const gan_step_stats *s, uint64_t step, void *user)
{
    train_ctx *c = user;
    uint64_t epoch = 0;
    gan_trainer_progress(c->t, NULL, &epoch);
    cli_csv_row(&c->csv, step, epoch + 1, s);
    cli_progress_step(&c->prog, step, epoch + 1, s);
    {
        int stop = stop_signal != 0;
        /* Early and timed checkpoints (issue 18, item 5): after a new run's
           first step, then every --checkpoint-seconds, so a kill before the
           first epoch's checkpoint leaves a run to resume.  Saving only
           reads the trainer: the run's results are the same with or
           without.  Distributed, rank 0 alone saves (save_checkpoint). */
        if (!stop && c->ckpt_seconds &&
            ((c->last_ckpt_step == UINT64_MAX && c->start_step == 0) ||
             cli_now() - c->last_ckpt_time >= (double)c->ckpt_seconds)) {
            cli_progress_clear(&c->prog);
            if (save_checkpoint(c, 0, step) != 0) {
                c->failed = 1;
                stop = 1;
            }
        }
        /* Distributed, every rank stops after the same step. */
        return dist_any(stop || (c->r.steps && step >= c->r.steps));
    }
}

static int on_epoch(uint64_t epoch, const gan_step_stats *m, void *user)
{
    train_ctx *c = user;
    uint64_t step = 0;
    double now = cli_now(), dt = now - c->epoch_t0;
    int last = c->r.epochs && epoch >= c->r.epochs;
    char name[64];
    gan_trainer_progress(c->t, &step, NULL);
    cli_progress_clear(&c->prog);
    /* The seed notebook's line, then what it did not show. */
    if (c->r.epochs)
        printf("Epoch %llu/%llu", (unsigned long long)epoch, (unsigned long long)c->r.epochs);
    else
        printf("Epoch %llu", (unsigned long long)epoch);
    printf(" | G Loss: %.4f | D Loss: %.4f | D(real) %.3f | D(fake) %.3f | %.0f img/s", m->g_loss,
           m->d_loss, m->d_real, m->d_fake,
           dt > 0 ? (double)(step - c->epoch_step0) * (double)c->r.batch * (double)c->r.n_critic / dt : 0.0);
    if (c->r.augment) {   /* the augmentation probability, ADA's r_t */
        float p = 0.0f, rt = 0.0f;
        gan_trainer_augment_state(c->t, &p, &rt);
        printf(" | p %.3f", (double)p);
        if (c->r.ada_target > 0.0f)
            printf(" r_t %.3f", (double)rt);
    }
    printf("\n");
    fflush(stdout);
    c->epoch_t0 = now;
    c->epoch_step0 = step;
    if (last || (c->r.sample_every && epoch % c->r.sample_every == 0)) {
        snprintf(name, sizeof name, "epoch_%03llu.png", (unsigned long long)epoch);
        if (write_samples(c, name, step) != 0)
            c->failed = 1;
    }
    if (last || (c->r.checkpoint_every && epoch % c->r.checkpoint_every == 0))
        if (save_checkpoint(c, epoch, step) != 0)
            c->failed = 1;
    if (c->fid_every && (last || epoch % c->fid_every == 0) && log_fid(c, epoch, step) != 0)
        c->failed = 1;
    return dist_any(c->failed || stop_signal);
}

/* ---- the command: settings -> open -> fit -> finish, one cleanup ---- */

/* The run's settings and output directory: run.txt's for --resume (with
   the flags that may change), else the preset's and the flags. */
static int train_settings(train_ctx *c, const train_args *a)
{
    char path[RUN_PATH_MAX + 32], err[RUN_PATH_MAX + 256];
    int rc;
    if (!a->resume) {
        if ((rc = train_settings_new(a, &c->r)) != 0)
            return rc;
        snprintf(c->out, sizeof c->out, "%s", a->out ? a->out : DEFAULT_OUT);
        return 0;
    }
    if ((rc = train_find_resume(a->resume, c->ckpt, c->out, sizeof c->out)) != 0)
        return rc;
    if (cli_path(path, sizeof path, "%s/run.txt", c->out) != 0 ||
        run_read(&c->r, path, err, sizeof err) != 0)
        return cli_error(CMD, "--resume: %s", err);
    if ((rc = train_settings_resume(a, &c->r)) != 0)
        return rc;
    if (a->out && strcmp(a->out, c->out) != 0) {
        /* Continue into another directory: copy the settings there. */
        if (strlen(a->out) >= sizeof c->out)
            return cli_usage_error(CMD, "--out: path too long");
        memcpy(c->out, a->out, strlen(a->out) + 1);
    }
    return 0;
}

/* The shape of the images the preset's discriminator takes. */
static int discriminator_input(const train_ctx *c, const cli_preset *p, int dims[3])
{
    gan_model *d = NULL;
    size_t ndim;
    int rc = 0;
    if (p->family) {   /* the family takes the size it is built for */
        gan_family_config fc;
        GAN_FAMILY_CONFIG_INIT(&fc);
        fc.size = (int)c->r.image_size;
        fc.channels = (int)c->r.image_channels;
        fc.width = 1;   /* only the validation and the input shape matter */
        fc.max_width = 1;
        if (gan_model_create_family(&d, GAN_FAMILY_DCGAN_DISCRIMINATOR, &fc) != GAN_OK)
            return cli_lib_error(CMD, "--size");
        rc = gan_model_shape(d, GAN_MODEL_INPUT, &ndim, dims) != GAN_OK;
        gan_model_free(d);
        return rc;
    }
    if (gan_model_create_preset(&d, p->discriminator) != GAN_OK ||
        gan_model_shape(d, GAN_MODEL_INPUT, &ndim, dims) != GAN_OK)
        rc = cli_lib_error(CMD, "discriminator");
    gan_model_free(d);
    return rc;
}

/* The trainer: the checkpoint's (which restores the data set's batching
   and shuffle position too), or new networks in a cleared directory. */
static int open_trainer(train_ctx *c, const train_args *a, const cli_preset *p)
{
    if (!a->resume) {
        if (dist_writer())
            train_clear_old_run(c->out);
        return build_new(c, p) != 0 ? CLI_EXIT_RUNTIME : 0;
    }
    if (gan_trainer_load(&c->t, c->ds, c->ckpt) != GAN_OK)
        return cli_lib_error(CMD, "--resume");
    c->t_owns = 1;
    sweep_temporaries(c);
    gan_trainer_progress(c->t, &c->start_step, &c->start_epoch);
    printf("resuming %s from %s: step %llu, epoch %llu done\n", c->out, c->ckpt,
           (unsigned long long)c->start_step, (unsigned long long)c->start_epoch);
    return 0;
}

/* With --fid-every: the classifier and OUT/metrics.csv. */
static int open_fid(train_ctx *c, const train_args *a)
{
    char path[RUN_PATH_MAX + 32];
    int rc;
    c->fid_samples = a->fid_samples ? a->fid_samples : 2000;
    if (!a->fid_every)
        return 0;
    if ((rc = cli_fid_open(&c->fid, CMD, NULL, GAN_DEFAULT_FEATURE_LAYER, NULL,
                           0, GAN_FASHION_MNIST_DIR)) != 0)
        return rc;
    c->fid_every = a->fid_every; /* the classifier is open: ctx_free closes it */
    if (cli_path(path, sizeof path, "%s/metrics.csv", c->out) != 0 ||
        (c->metrics = fopen(path, a->resume ? "a" : "w")) == NULL)
        return cli_error(CMD, "%s/metrics.csv: %s", c->out, strerror(errno));
    if (ftell(c->metrics) == 0)
        fputs("epoch,step,fid,is,is_std,samples\n", c->metrics);
    return 0;
}

/* OUT/run.txt, OUT/log.csv (a resumed run's cut back to its checkpoint),
   OUT/metrics.csv. */
static int open_logs(train_ctx *c, const train_args *a)
{
    char path[RUN_PATH_MAX + 32];
    if (!dist_writer())
        return 0;
    if (cli_path(path, sizeof path, "%s/run.txt", c->out) != 0 || run_write(&c->r, path) != 0)
        return cli_error(CMD, "%s/run.txt: %s", c->out, strerror(errno));
    if (cli_path(path, sizeof path, "%s/log.csv", c->out) != 0 ||
        cli_csv_open(&c->csv, path, c->start_step, a->resume != NULL) != 0)
        return cli_error(CMD, "%s/log.csv: %s", c->out, strerror(errno));
    return open_fid(c, a);
}

/* Everything the run needs, in the order whose first failure names the
   culprit: threads, settings, data, output directory, networks, logs. */
static int train_open(train_ctx *c, const train_args *a)
{
    const cli_preset *p;
    int rc, dims[3];
    if (gan_set_threads((int)a->threads) != GAN_OK)
        return cli_lib_error(CMD, "--threads");
    if ((rc = train_settings(c, a)) != 0)
        return rc;
    if ((p = cli_preset_find(c->r.preset)) == NULL)
        return cli_error(CMD, "run.txt names an unknown preset '%s'", c->r.preset);
    if ((rc = discriminator_input(c, p, dims)) != 0)
        return rc;
    if (load_data(c, dims) != 0)
        return CLI_EXIT_RUNTIME;
    if ((dist_writer() && (rc = train_prepare_out(c->out)) != 0) ||
        (rc = open_trainer(c, a, p)) != 0)
        return rc;
    return open_logs(c, a);
}

/* The networks and the recipe, one line. */
static void print_networks(const train_ctx *c, gan_model *g, gan_model *d)
{
    if (c->r.augment)
        printf("augment:%s%s%s, p %g%s", c->r.augment & GAN_AUGMENT_COLOR ? " color" : "",
               c->r.augment & GAN_AUGMENT_TRANSLATION ? " translation" : "",
               c->r.augment & GAN_AUGMENT_CUTOUT ? " cutout" : "", (double)c->r.augment_p,
               c->r.ada_target > 0.0f ? "" : "\n");
    if (c->r.ada_target > 0.0f)
        printf(" to start, adaptive (ADA) with target %g\n", (double)c->r.ada_target);
    size_t gp = 0, dp = 0;
    gan_model_param_count(g, &gp, NULL);
    gan_model_param_count(d, &dp, NULL);
    printf("preset %s: G %zu parameters, D %zu%s; %s, %s G lr %g D lr %g; batch %llu, "
           "n_critic %llu\n", c->r.preset, gp, dp,
           c->r.spectral_norm ? " (spectrally normalised)" : "", gan_loss_kind_name(c->r.loss),
           run_optimizer_name(c->r.optimizer), (double)c->r.g_lr, (double)c->r.d_lr,
           (unsigned long long)c->r.batch, (unsigned long long)c->r.n_critic);
}

/* A conditional generator needs the data's labels. */
static int check_labels(const train_ctx *c, gan_model *g)
{
    int classes = 0, has_labels = 0, ds_classes = 0;
    gan_model_num_classes(g, &classes);
    if (!classes)
        return 0;
    gan_dataset_labels_info(c->ds, &has_labels, &ds_classes);
    if (!has_labels)
        return cli_error(CMD, "preset %s is conditional: it trains on labelled data, and %s has "
                         "no labels (give an MNIST-format directory with its labels file)",
                         c->r.preset, data_path(c));
    printf("conditional on %d classes: the data's labels (0..%d) feed both networks\n", classes,
           ds_classes - 1);
    return 0;
}

/* How long: epochs and/or a step limit; then the plan, printed. */
static int plan_run(train_ctx *c)
{
    gan_model *g = NULL, *d = NULL;
    size_t bpe, n = 0;
    int rc;
    gan_dataset_batches_per_epoch(c->ds, &bpe);
    c->steps_per_epoch = c->r.n_critic > 1 ? bpe / c->r.n_critic : bpe;
    c->total = c->r.epochs ? c->r.epochs * c->steps_per_epoch : UINT64_MAX;
    if (c->r.steps && c->r.steps < c->total)
        c->total = c->r.steps;
    c->remaining = c->r.epochs ? (c->r.epochs > c->start_epoch ? c->r.epochs - c->start_epoch : 0)
                               : UINT64_MAX;
    gan_trainer_models(c->t, &g, &d, NULL, NULL);
    print_networks(c, g, d);
    if ((rc = check_labels(c, g)) != 0)
        return rc;
    gan_dataset_size(c->ds, &n);
    printf("training on %zu images: %llu steps per epoch, ", n,
           (unsigned long long)c->steps_per_epoch);
    if (c->r.epochs)
        printf("%llu epoch(s)", (unsigned long long)c->r.epochs);
    if (c->r.steps)
        printf("%sup to step %llu", c->r.epochs ? ", " : "", (unsigned long long)c->r.steps);
    printf("; %d thread(s); output in %s/\n", gan_get_threads(), c->out);
    fflush(stdout);
    return 0;
}

/* A resumed run that has nothing left to train (finish_complete). */
static int run_complete(const train_ctx *c)
{
    return c->remaining == 0 || (c->r.steps && c->start_step >= c->r.steps);
}

/* The sample grid an uninterrupted run writes last: its final epoch's grid
   when it ended on an epoch that on_epoch samples, else step_N.png. */
static void final_sample_name(const train_ctx *c, uint64_t step, uint64_t epoch, char *name,
                              size_t cap)
{
    int at_epoch = c->steps_per_epoch && epoch && step == epoch * c->steps_per_epoch;
    int last = c->r.epochs && epoch >= c->r.epochs;
    if (at_epoch && (last || (c->r.sample_every && epoch % c->r.sample_every == 0)))
        snprintf(name, cap, "epoch_%03llu.png", (unsigned long long)epoch);
    else
        snprintf(name, cap, "step_%06llu.png", (unsigned long long)step);
}

/* A resumed run with nothing left to train: a kill after its last
   checkpoint (inside the write of generator.gan or of the last grid) may
   have left those outputs missing or stale, and a temporary of the atomic
   writer behind.  Write them again from the checkpoint (the same bytes an
   uninterrupted run writes; each save sweeps its own stale temporaries),
   then say the run is complete. */
static int finish_complete(train_ctx *c)
{
    uint64_t step = 0, epoch = 0;
    char name[64], path[RUN_PATH_MAX + 96];
    gan_trainer_progress(c->t, &step, &epoch);
    if (save_generator(c) != 0)
        return CLI_EXIT_RUNTIME;
    final_sample_name(c, step, epoch, name, sizeof name);
    if (cli_path(path, sizeof path, "%s/samples/%s", c->out, name) != 0)
        return cli_error(CMD, "%s: path too long", c->out), CLI_EXIT_RUNTIME;
    if (!cli_is_file(path)) {
        if (write_samples(c, name, step) != 0)
            return CLI_EXIT_RUNTIME;
        printf("wrote the missing final samples %s\n", path);
    }
    printf("the run is already complete (step %llu, epoch %llu); give a larger --epochs or "
           "--steps to continue it\n", (unsigned long long)step, (unsigned long long)epoch);
    printf("outputs in place: %s/checkpoint.gan, %s/generator.gan, %s\n", c->out, c->out, path);
    return CLI_EXIT_OK;
}

/* Train until the epochs or steps are done, a save fails or Ctrl-C. */
static int train_fit(train_ctx *c, const train_args *a)
{
    gan_status st;
    cli_progress_init(&c->prog, c->start_step, c->total == UINT64_MAX ? 0 : c->total,
                      (size_t)(c->r.batch * c->r.n_critic), (unsigned)a->log_every, a->quiet);
    c->epoch_t0 = cli_now();
    c->epoch_step0 = c->start_step;
    c->ckpt_seconds = a->set[OPT_CKPT_SECONDS] ? a->checkpoint_seconds : DEFAULT_CKPT_SECONDS;
    c->last_ckpt_time = c->epoch_t0;
    stop_signal = 0;
    install_signals();
    st = gan_trainer_fit(c->t, c->ds, c->remaining, on_step, on_epoch, c);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    cli_progress_clear(&c->prog);
    if (st < 0) {
        if (!dist_print_error()) /* rank 0 says it for every rank */
            return CLI_EXIT_RUNTIME;
        cli_lib_error(CMD, "training");
        if (st == GAN_ENUMERIC)
            fprintf(stderr, "the last good weights are in %s/checkpoint.gan if a checkpoint was "
                    "saved; try a lower --lr\n", c->out);
        return CLI_EXIT_RUNTIME;
    }
    return c->failed ? CLI_EXIT_RUNTIME : 0;
}

/* Stopped by Ctrl-C or --steps, or finished: save what is not saved. */
static int train_finish(train_ctx *c)
{
    uint64_t step = 0, epoch = 0;
    char name[64];
    gan_trainer_progress(c->t, &step, &epoch);
    if (c->last_ckpt_step != step && save_checkpoint(c, 0, step) != 0)
        return CLI_EXIT_RUNTIME;
    if (save_generator(c) != 0)
        return CLI_EXIT_RUNTIME;
    if (stop_signal) {
        printf("interrupted at step %llu: checkpoint saved to %s/checkpoint.gan; continue with "
               "'gan train --resume %s'\n", (unsigned long long)step, c->out, c->out);
        return CLI_EXIT_INTERRUPTED;
    }
    if (c->last_sample_step != step) {
        snprintf(name, sizeof name, "step_%06llu.png", (unsigned long long)step);
        if (write_samples(c, name, step) != 0)
            return CLI_EXIT_RUNTIME;
    }
    printf("done: step %llu, epoch %llu, %.0f img/s; checkpoint %s/checkpoint.gan, generator "
           "%s/generator.gan\n", (unsigned long long)step, (unsigned long long)epoch,
           cli_progress_rate(&c->prog, step), c->out, c->out);
    printf("samples: %s\n", c->last_sample);
    return CLI_EXIT_OK;
}

int cmd_train(int argc, char **argv)
{
    train_args a;
    train_ctx c;
    int rc, distributed = dist_take_flag(&argc, argv);
    if ((rc = train_parse_args(argc, argv, &a)) != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    /* --distributed: MPI, one share of the ranks' cores each
       (distributed.h; docs/distributed.md). */
    if (distributed && (rc = dist_init()) != 0)
        return rc;
    if (distributed && !a.threads)
        a.threads = dist_default_threads();
    memset(&c, 0, sizeof c);
    c.last_ckpt_step = c.last_sample_step = UINT64_MAX;
    rc = train_open(&c, &a);
    if (rc == 0)
        rc = plan_run(&c);
    if ((rc = dist_agree_rc(rc)) == 0)
        rc = dist_attach(c.t, c.ds);
    if (rc == 0 && run_complete(&c)) {
        rc = finish_complete(&c);
    } else if (rc == 0) {
        rc = train_fit(&c, &a);
        if (rc == 0)
            rc = train_finish(&c);
        /* OUT/report.html (gan report); a failure to write it is reported
           but does not fail the run, whose files are all saved.
           Distributed, rank 0 alone writes it. */
        if ((rc == CLI_EXIT_OK || rc == CLI_EXIT_INTERRUPTED) && dist_writer())
            cli_report_write(CMD, c.out, NULL, a.quiet);
    }
    ctx_free(&c);
    return dist_finish(rc);
}

