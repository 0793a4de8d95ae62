/*
 * train_args.c -- `gan train`'s options: the usage text, parsing (a table
 * for the number flags, one function per other kind of flag), the run's
 * settings for a new or a resumed run, and the output directory.
 */
#include "train_args.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *CMD = "train";

/* N of checkpoints/ckpt_epoch_N.gan (0 for other names): rotation and
   clearing an old run go by it. */
uint64_t ckpt_number(const char *name)
{
    /* "ckpt_epoch_NNN.gan" -> NNN, else UINT64_MAX */
    const char *pre = "ckpt_epoch_";
    char *end;
    unsigned long long v;
    size_t n = strlen(pre);
    if (strncmp(name, pre, n) != 0 || name[n] < '0' || name[n] > '9')
        return UINT64_MAX;
    v = strtoull(name + n, &end, 10);
    return strcmp(end, ".gan") == 0 ? (uint64_t)v : UINT64_MAX;
}

/* The quick start: `gan train` without --preset (the README main job)
   trains mnist-gan with the DCGAN paper's optimizer settings (Adam 2e-4,
   beta1 0.5) at batch 64 for 5 epochs of 20,000 images: 1,565 steps, about
   5.5 minutes on 2 cores (~300 img/s), 9 minutes with the machine shared.
   Measured: 939 steps still gave striped silhouettes (FID 198); 1,565 steps
   give recognisable tops, pullovers, trousers and bags (FID 59.7, IS 3.86).
   The notebook's Adam 1e-4 at batch 256 needs many more images (235 steps
   per 60,000 images); batch 64 gives 4 times the updates for the same
   images and time.
   Flags override each value; --preset mnist-gan alone is the notebook's. */
#define DEFAULT_EPOCHS 3
#define QUICK_EPOCHS 5
#define QUICK_LIMIT 20000
#define QUICK_BATCH 64
#define QUICK_LR 2e-4f
#define QUICK_BETA1 0.5f
/* An image folder (--images): a few thousand icons make ~50 steps an
   epoch at batch 64, so more epochs than a preset's 3. */
#define IMAGES_EPOCHS 20
#define IMAGES_SIZE 32
#define IMAGES_CHANNELS 3
#define IMAGES_WIDTH 32
#define IMAGES_MAX_WIDTH 256  /* gan_family_config's default */

static const char *const train_usage =
    "Usage: gan train [OPTIONS]\n"
    "       gan train --resume DIR_OR_CHECKPOINT [--epochs N] [--steps N] ...\n"
    "\n"
    "Train a GAN preset.  Without --preset: the quick start, mnist-gan with\n"
    "Adam 2e-4 beta1 0.5, batch 64, 5 epochs of the first 20,000 images of\n"
    "Fashion-MNIST from " GAN_FASHION_MNIST_DIR " (about 6 minutes on 2 cores),\n"
    "into out/.  With --preset: the seed notebook's settings, %d epochs, all images.\n"
    "\n"
    "Model and data:\n"
    "  -p, --preset NAME         training preset, one of:\n";

static const char *const train_usage_rest =
    "  -d, --data PATH           MNIST-format directory, IDX images file, CIFAR-10\n"
    "                            .bin file / directory (default: Fashion-MNIST), or\n"
    "                            a folder of PNG/JPEG images (as --images)\n"
    "      --format FMT          auto (default), mnist (directory), idx (file), cifar10\n"
    "      --limit N             use only the first N samples (0: all)\n"
    "Your own images (a folder of PNG/JPEG files, sub-folders = classes):\n"
    "      --images DIR          train on the images under DIR (recursive; bad files\n"
    "                            are skipped and counted), resized to --size; the\n"
    "                            decoded set is cached in OUT/images.cache\n"
    "      --size N              image side, 8..256, 4-7 times a power of two\n"
    "                            (16, 24, 32, 48, 64, 96, 128...; default 32)\n"
    "      --channels N          1 gray, 3 RGB (default), 4 RGBA (keeps transparency)\n"
    "      --arch NAME           sngan (default: DCGAN-style pair, spectral norm,\n"
    "                            hinge, two time-scale Adam), dcgan (BCE, Adam 2e-4\n"
    "                            beta1 0.5), resnet (residual generator, hinge, EMA)\n"
    "                            or style2 (StyleGAN2-lite generator, hinge, EMA)\n"
    "      --width N             channels at full resolution (default 32; doubled\n"
    "                            per halving, at most --max-width)\n"
    "      --max-width N         cap on the channels (default 256, at least --width)\n"
    "      --classes             conditional on the sub-folders of DIR (gan sample\n"
    "                            --class NAME)\n"
    "      --flip                random left-right mirroring of the data\n"
    "                            (default epochs for --images: 20)\n"
    "Length:\n"
    "  -e, --epochs N            epochs in all (default 3; 0 with --steps: no limit)\n"
    "      --steps N             stop after step N of the run\n"
    "Hyper-parameters (default: the preset's):\n"
    "  -b, --batch N             batch size\n"
    "      --lr X                learning rate of both networks\n"
    "      --g-lr X, --d-lr X    learning rate of the generator / discriminator\n"
    "      --beta1 X             Adam beta1\n"
    "      --optimizer NAME      adam, rmsprop or sgd\n"
    "      --loss NAME           bce, wasserstein, hinge, least-squares, feature-matching\n"
    "      --clip X              Wasserstein critic weight clipping (0: off)\n"
    "      --label-smoothing X   BCE target for real images (e.g. 0.9; default 1)\n"
    "      --beta2 X             Adam beta2\n"
    "      --gradient-penalty X  WGAN-GP lambda (e.g. 10; 0: off)\n"
    "      --r1 X                R1 penalty gamma on real images (0: off)\n"
    "      --r1-every K          lazy R1: the penalty on every K-th critic update\n"
    "                            only, weighted K times (default: the preset's, 1)\n"
    "      --class-weight X      AC-GAN's auxiliary class loss (needs a discriminator\n"
    "                            with class logits, e.g. cgan-aux-hinge's, or an\n"
    "                            image run with --classes, whose critic then gets\n"
    "                            them; --arch resnet and style2: 1; 0: off)\n"
    "      --ema X               keep a moving average of the generator's weights\n"
    "                            (e.g. 0.999) and sample/export it (0: off)\n"
    "      --spectral-norm       spectral normalisation of every dense and convolution\n"
    "                            layer of the discriminator (Miyato et al.)\n"
    "      --n-critic N          discriminator updates per generator update\n"
    "      --augment LIST        differentiable augmentation of every image D sees\n"
    "                            (Zhao et al.): color, translation, cutout, comma-\n"
    "                            separated, or all (default: none)\n"
    "      --augment-p X         probability of each operation per image (default 1;\n"
    "                            with --ada, where p starts: default 0)\n"
    "      --ada TARGET          adaptive p (Karras et al.): raise p while the mean\n"
    "                            sign of D(real) exceeds TARGET (e.g. 0.6), lower it\n"
    "                            below (needs --augment)\n"
    "  -s, --seed N              seed of weights, shuffling, noise and samples (default 0)\n"
    "Run:\n"
    "  -t, --threads N           threads (default 0: one per core)\n"
    "  -o, --out DIR             output directory (default " DEFAULT_OUT ")\n"
    "      --sample-every N      sample grid every N epochs (default 1; 0: only at the end)\n"
    "      --checkpoint-every N  checkpoint every N epochs (default 1; 0: only at the end)\n"
    "      --keep N              keep the N newest epoch checkpoints (default 5; 0: all)\n"
    "      --checkpoint-seconds N  also save OUT/checkpoint.gan after the first step\n"
    "                            and then every N seconds (default 60; 0: off), so a\n"
    "                            killed run can be resumed\n"
    "      --log-every N         without a terminal, a log line every N steps\n"
    "                            (default: every 10 seconds)\n"
    "      --fid-every N         FID and Inception Score of the generator every N\n"
    "                            epochs and at the end, appended to OUT/metrics.csv\n"
    "                            (docs/metrics.md protocol; 0: never, the default)\n"
    "      --fid-samples N       generated images per measurement (default 2000)\n"
    "  -q, --quiet               only the per-epoch lines\n"
    "      --distributed         one rank of an MPI job: mpirun -np N gan train\n"
    "                            --distributed ...; --batch is the global batch,\n"
    "                            rank 0 prints and writes (docs/distributed.md)\n"
    "  -r, --resume PATH         continue the run in directory PATH (its\n"
    "                            checkpoint.gan) or from checkpoint file PATH\n"
    "  -h, --help                this help\n"
    "\n"
    "Ctrl-C saves OUT/checkpoint.gan and exits (status 130); resume with\n"
    "'gan train --resume OUT'.  Every run ends by writing OUT/report.html\n"
    "(gan report OUT).\n";

static void print_help(void)
{
    printf(train_usage, DEFAULT_EPOCHS);
    for (size_t i = 0; cli_preset_at(i); i++)
        printf("                              %-14s %s\n", cli_preset_at(i)->name,
               cli_preset_at(i)->description);
    fputs(train_usage_rest, stdout);
}


/* ---- options ---- */


static const struct option long_opts[] = {
    {"preset", required_argument, NULL, 'p'},
    {"data", required_argument, NULL, 'd'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"epochs", required_argument, NULL, 'e'},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"batch", required_argument, NULL, 'b'},
    {"lr", required_argument, NULL, OPT_LR},
    {"g-lr", required_argument, NULL, OPT_G_LR},
    {"d-lr", required_argument, NULL, OPT_D_LR},
    {"beta1", required_argument, NULL, OPT_BETA1},
    {"beta2", required_argument, NULL, OPT_BETA2},
    {"gradient-penalty", required_argument, NULL, OPT_GP},
    {"r1", required_argument, NULL, OPT_R1},
    {"r1-every", required_argument, NULL, OPT_R1_EVERY},
    {"class-weight", required_argument, NULL, OPT_CLASS_WEIGHT},
    {"ema", required_argument, NULL, OPT_EMA},
    {"spectral-norm", no_argument, NULL, OPT_SN},
    {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"clip", required_argument, NULL, OPT_CLIP},
    {"label-smoothing", required_argument, NULL, OPT_SMOOTH},
    {"n-critic", required_argument, NULL, OPT_N_CRITIC},
    {"seed", required_argument, NULL, 's'},
    {"threads", required_argument, NULL, 't'},
    {"out", required_argument, NULL, 'o'},
    {"sample-every", required_argument, NULL, OPT_SAMPLE_EVERY},
    {"checkpoint-every", required_argument, NULL, OPT_CKPT_EVERY},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"checkpoint-seconds", required_argument, NULL, OPT_CKPT_SECONDS},
    {"log-every", required_argument, NULL, OPT_LOG_EVERY},
    {"fid-every", required_argument, NULL, OPT_FID_EVERY},
    {"fid-samples", required_argument, NULL, OPT_FID_SAMPLES},
    {"images", required_argument, NULL, OPT_IMAGES},
    {"size", required_argument, NULL, OPT_SIZE},
    {"channels", required_argument, NULL, OPT_CHANNELS},
    {"arch", required_argument, NULL, OPT_ARCH},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"max-width", required_argument, NULL, OPT_MAX_WIDTH},
    {"classes", no_argument, NULL, OPT_CLASSES},
    {"flip", no_argument, NULL, OPT_FLIP},
    {"augment", required_argument, NULL, OPT_AUGMENT},
    {"augment-p", required_argument, NULL, OPT_AUGMENT_P},
    {"ada", required_argument, NULL, OPT_ADA},
    {"quiet", no_argument, NULL, 'q'},
    {"resume", required_argument, NULL, 'r'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};


#define U64_MAX_FLAG ((uint64_t)1 << 62)
#define ARG(field) offsetof(train_args, field)

/* The flags with a number value (--lr, which sets two, is parse_flag's). */
static const cli_num_flag num_flags[] = {
    {.opt = OPT_LIMIT, .name = "--limit", .max = U64_MAX_FLAG, .offset = ARG(r.limit)},
    {.opt = 'e', .name = "--epochs", .max = U64_MAX_FLAG, .offset = ARG(r.epochs)},
    {.opt = OPT_STEPS, .name = "--steps", .min = 1, .max = U64_MAX_FLAG, .offset = ARG(r.steps)},
    {.opt = 'b', .name = "--batch", .min = 1, .max = 65536, .offset = ARG(r.batch)},
    {.opt = OPT_N_CRITIC, .name = "--n-critic", .min = 1, .max = 100, .offset = ARG(r.n_critic)},
    {.opt = 's', .name = "--seed", .max = UINT64_MAX, .offset = ARG(r.seed)},
    {.opt = 't', .name = "--threads", .max = 1024, .offset = ARG(threads)},
    {.opt = OPT_SAMPLE_EVERY, .name = "--sample-every", .max = U64_MAX_FLAG,
     .offset = ARG(r.sample_every)},
    {.opt = OPT_CKPT_EVERY, .name = "--checkpoint-every", .max = U64_MAX_FLAG,
     .offset = ARG(r.checkpoint_every)},
    {.opt = OPT_KEEP, .name = "--keep", .max = 1000, .offset = ARG(r.keep)},
    {.opt = OPT_R1_EVERY, .name = "--r1-every", .min = 1, .max = 1000000, .offset = ARG(r.r1_every)},
    {.opt = OPT_SIZE, .name = "--size", .min = 8, .max = 256, .offset = ARG(r.image_size)},
    {.opt = OPT_CHANNELS, .name = "--channels", .min = 1, .max = 4,
     .offset = ARG(r.image_channels)},
    {.opt = OPT_WIDTH, .name = "--width", .min = 1, .max = 4096, .offset = ARG(r.width)},
    {.opt = OPT_MAX_WIDTH, .name = "--max-width", .min = 1, .max = 4096,
     .offset = ARG(r.max_width)},
    {.opt = OPT_CKPT_SECONDS, .name = "--checkpoint-seconds", .max = 1u << 30,
     .offset = ARG(checkpoint_seconds)},
    {.opt = OPT_LOG_EVERY, .name = "--log-every", .min = 1, .max = 1u << 30,
     .offset = ARG(log_every)},
    {.opt = OPT_FID_EVERY, .name = "--fid-every", .max = 1u << 30, .offset = ARG(fid_every)},
    {.opt = OPT_FID_SAMPLES, .name = "--fid-samples", .min = 10, .max = 1u << 20,
     .offset = ARG(fid_samples)},
    {.opt = OPT_BETA1, .name = "--beta1", .is_float = 1, .fmax = 0.999999f, .offset = ARG(r.beta1)},
    {.opt = OPT_BETA2, .name = "--beta2", .is_float = 1, .fmax = 0.999999f, .offset = ARG(r.beta2)},
    {.opt = OPT_CLIP, .name = "--clip", .is_float = 1, .fmax = 1e6f, .offset = ARG(r.clip)},
    {.opt = OPT_GP, .name = "--gradient-penalty", .is_float = 1, .fmax = 1e6f,
     .offset = ARG(r.gradient_penalty)},
    {.opt = OPT_R1, .name = "--r1", .is_float = 1, .fmax = 1e6f, .offset = ARG(r.r1_gamma)},
    {.opt = OPT_CLASS_WEIGHT, .name = "--class-weight", .is_float = 1, .fmax = 1e6f,
     .offset = ARG(r.class_weight)},
    {.opt = OPT_EMA, .name = "--ema", .is_float = 1, .fmax = 0.999999f, .offset = ARG(r.ema_decay)},
    {.opt = OPT_AUGMENT_P, .name = "--augment-p", .is_float = 1, .fmax = 1.0f,
     .offset = ARG(r.augment_p)},
    {.opt = OPT_ADA, .name = "--ada", .is_float = 1, .fmin = 1e-6f, .fmax = 0.999999f,
     .offset = ARG(r.ada_target)},
    {.opt = OPT_SMOOTH, .name = "--label-smoothing", .is_float = 1, .fmin = 1e-6f, .fmax = 1.0f,
     .offset = ARG(r.real_label)},
};

/* --lr sets both networks' rates, --g-lr and --d-lr one each. */
static int parse_lr(train_args *a, int ch, const char *value)
{
    float f;
    if (cli_parse_float(CMD, ch == OPT_LR ? "--lr" : ch == OPT_G_LR ? "--g-lr" : "--d-lr", value,
                        1e-12f, 10.0f, &f))
        return CLI_EXIT_USAGE;
    if (ch != OPT_D_LR)
        a->r.g_lr = f, a->set[OPT_G_LR] = 1;
    if (ch != OPT_G_LR)
        a->r.d_lr = f, a->set[OPT_D_LR] = 1;
    return 0;
}

/* " sngan dcgan ...": the --arch names, from the image-folder presets. */
static const char *arch_names(void)
{
    static char list[128];
    const cli_preset *p;
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; (p = cli_preset_at(i)) != NULL; i++) {
        size_t n = strlen(p->name);
        if (p->family && n > 7 && strcmp(p->name + n - 7, "-images") == 0 &&
            len + n - 6 < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, " %.*s", (int)(n - 7), p->name);
    }
    return list;
}

/* The flags whose value is a name or a path. */
static int parse_name_flag(train_args *a, int ch, const char *value)
{
    switch (ch) {
    case 'p':
        if (!cli_preset_find(value))
            return cli_usage_error(CMD, "--preset: unknown preset '%s'", value);
        snprintf(a->r.preset, sizeof a->r.preset, "%s", value);
        return 0;
    case 'd':
        if (strlen(value) >= sizeof a->r.data)
            return cli_usage_error(CMD, "--data: path too long");
        memcpy(a->r.data, value, strlen(value) + 1);
        return 0;
    case OPT_IMAGES:
        if (strlen(value) >= sizeof a->r.data)
            return cli_usage_error(CMD, "--images: path too long");
        memcpy(a->r.data, value, strlen(value) + 1);
        return 0;
    case OPT_AUGMENT: {
        char buf[128], *tok, *save = NULL;
        a->r.augment = 0;
        if (strlen(value) >= sizeof buf)
            return cli_usage_error(CMD, "--augment: '%s' is too long", value);
        memcpy(buf, value, strlen(value) + 1);
        for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (strcmp(tok, "color") == 0 || strcmp(tok, "colour") == 0)
                a->r.augment |= GAN_AUGMENT_COLOR;
            else if (strcmp(tok, "translation") == 0)
                a->r.augment |= GAN_AUGMENT_TRANSLATION;
            else if (strcmp(tok, "cutout") == 0)
                a->r.augment |= GAN_AUGMENT_CUTOUT;
            else if (strcmp(tok, "all") == 0)
                a->r.augment |= GAN_AUGMENT_COLOR | GAN_AUGMENT_TRANSLATION | GAN_AUGMENT_CUTOUT;
            else
                return cli_usage_error(CMD, "--augment: '%s' is not color, translation, cutout "
                                       "or all", tok);
        }
        if (!a->r.augment)
            return cli_usage_error(CMD, "--augment: no operation given");
        return 0;
    }
    case OPT_ARCH: {   /* NAME is the image-folder preset NAME-images */
        const cli_preset *p;
        snprintf(a->r.preset, sizeof a->r.preset, "%s-images", value);
        if ((p = cli_preset_find(a->r.preset)) != NULL && p->family)
            return 0;
        return cli_usage_error(CMD, "--arch: '%s' is not one of:%s", value, arch_names());
    }
    case OPT_FORMAT:
        if (strcmp(value, "auto") && strcmp(value, "mnist") && strcmp(value, "idx") &&
            strcmp(value, "cifar10") && strcmp(value, "images"))
            return cli_usage_error(CMD, "--format: '%s' is not auto, mnist, idx, cifar10 or "
                                   "images", value);
        snprintf(a->r.format, sizeof a->r.format, "%s", value);
        return 0;
    case OPT_OPTIMIZER:
        if (run_optimizer_from_name(value, &a->r.optimizer) != 0)
            return cli_usage_error(CMD, "--optimizer: '%s' is not adam, rmsprop or sgd", value);
        return 0;
    default: /* OPT_LOSS */
        if (run_loss_from_name(value, &a->r.loss) != 0)
            return cli_usage_error(CMD, "--loss: unknown loss '%s' (bce, wasserstein, hinge, "
                                   "least-squares, feature-matching)", value);
        return 0;
    }
}

/* One flag: 0, -1 after --help, or the usage error's exit code. */
static int parse_flag(train_args *a, int ch, char **argv)
{
    int rc = cli_parse_num_flag(CMD, num_flags, sizeof num_flags / sizeof num_flags[0], ch, optarg,
                                a);
    if (rc >= 0)
        return rc;
    switch (ch) {
    case 'h':
        print_help();
        return -1;
    case OPT_LR:
    case OPT_G_LR:
    case OPT_D_LR:
        return parse_lr(a, ch, optarg);
    case 'p':
    case 'd':
    case OPT_IMAGES:
    case OPT_AUGMENT:
    case OPT_ARCH:
    case OPT_FORMAT:
    case OPT_OPTIMIZER:
    case OPT_LOSS:
        return parse_name_flag(a, ch, optarg);
    case OPT_SN:
        a->r.spectral_norm = 1;
        return 0;
    case OPT_CLASSES:
        a->r.conditional = 1;
        return 0;
    case OPT_FLIP:
        a->r.flip_x = 1;
        return 0;
    case 'o':
        a->out = optarg;
        return 0;
    case 'q':
        a->quiet = 1;
        return 0;
    case 'r':
        a->resume = optarg;
        return 0;
    default:
        if (ch != ':' && optopt)
            return cli_usage_error(CMD, "unknown option '-%c'", optopt);
        return cli_option_error(CMD, ch, argv);
    }
}

int train_parse_args(int argc, char **argv, train_args *a)
{
    int ch, rc;
    memset(a, 0, sizeof *a);
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":p:d:e:b:s:t:o:r:qh", long_opts, NULL)) != -1) {
        if (ch > 0 && ch < (int)sizeof a->set)
            a->set[ch] = 1;
        if ((rc = parse_flag(a, ch, argv)) != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* An image-folder run: its preset (the --arch or the --preset, default
   sngan-images), or NULL after a usage error. */
static const cli_preset *images_preset(const train_args *a, const char **why)
{
    const cli_preset *p;
    if (a->set['p'] && a->set[OPT_ARCH]) {
        *why = "--preset and --arch: give one";
        return NULL;
    }
    p = cli_preset_find(a->set['p'] || a->set[OPT_ARCH] ? a->r.preset : "sngan-images");
    if (!p->family) {
        static char msg[256];
        snprintf(msg, sizeof msg, "--images, --size, --channels, --width, --max-width, --classes "
                 "and --flip need an image-folder preset (--arch:%s)", arch_names());
        *why = msg;
    }
    return p->family ? p : NULL;
}

/* --data DIR without --format: a folder holding no MNIST (IDX "*-ubyte*")
   or CIFAR-10 ("*.bin", "cifar-10-batches-bin") entry at its top level is
   read as an image folder, as if given with --images.  A file, or a folder
   that cannot be listed, keeps the auto-detection of the loaders (and its
   error message). */
static int looks_like_image_folder(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int images = d != NULL;
    while (images && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strstr(e->d_name, "-ubyte") || (n >= 4 && strcmp(e->d_name + n - 4, ".bin") == 0) ||
            strcmp(e->d_name, "cifar-10-batches-bin") == 0)
            images = 0;
    }
    if (d)
        closedir(d);
    return images;
}

/* Fill the settings of a new run: the preset, then the flags. */
int train_settings_new(const train_args *a, run_settings *r)
{
    const cli_preset *p = cli_preset_find(a->set['p'] ? a->r.preset : CLI_DEFAULT_PRESET);
    int images = a->set[OPT_IMAGES] || a->set[OPT_SIZE] || a->set[OPT_CHANNELS] ||
                 a->set[OPT_ARCH] || a->set[OPT_WIDTH] || a->set[OPT_MAX_WIDTH] ||
                 a->set[OPT_CLASSES] ||
                 a->set[OPT_FLIP] || p->family ||
                 (a->set[OPT_FORMAT] && strcmp(a->r.format, "images") == 0) ||
                 (a->set['d'] && !a->set[OPT_FORMAT] && looks_like_image_folder(a->r.data));
    int quick = !a->set['p'] && !images;
    const char *why = NULL;
    if (images && (p = images_preset(a, &why)) == NULL)
        return cli_usage_error(CMD, "%s", why);
    if (images && !a->r.data[0])
        return cli_usage_error(CMD, "an image-folder run needs --images DIR");
    if (images && a->set[OPT_FORMAT] && strcmp(a->r.format, "images") != 0)
        return cli_usage_error(CMD, "--format %s: an image-folder run reads images", a->r.format);
    memset(r, 0, sizeof *r);
    if (images) {
        r->image_size = a->set[OPT_SIZE] ? a->r.image_size : IMAGES_SIZE;
        r->image_channels = a->set[OPT_CHANNELS] ? a->r.image_channels : IMAGES_CHANNELS;
        r->width = a->set[OPT_WIDTH] ? a->r.width : IMAGES_WIDTH;
        r->max_width = a->set[OPT_MAX_WIDTH] ? a->r.max_width : IMAGES_MAX_WIDTH;
        if (r->max_width < r->width && a->set[OPT_MAX_WIDTH])
            return cli_usage_error(CMD, "--max-width %llu is below --width %llu",
                                   (unsigned long long)r->max_width,
                                   (unsigned long long)r->width);
        r->conditional = a->r.conditional;
        r->flip_x = a->r.flip_x;
    }
    snprintf(r->preset, sizeof r->preset, "%s", p->name);
    memcpy(r->data, a->r.data, sizeof r->data);
    snprintf(r->format, sizeof r->format, "%s",
             images ? "images" : a->set[OPT_FORMAT] ? a->r.format : "auto");
    r->epochs = a->set['e'] ? a->r.epochs : a->set[OPT_STEPS] ? 0 : quick ? QUICK_EPOCHS :
                images ? IMAGES_EPOCHS : DEFAULT_EPOCHS;
    r->steps = a->r.steps;
    r->batch = a->set['b'] ? a->r.batch : quick ? QUICK_BATCH : p->batch;
    r->limit = a->set[OPT_LIMIT] ? a->r.limit : quick && !a->set['d'] ? QUICK_LIMIT : 0;
    r->seed = a->r.seed;
    r->sample_seed = a->r.seed;
    r->optimizer = a->set[OPT_OPTIMIZER] ? a->r.optimizer : p->optimizer;
    r->g_lr = a->set[OPT_G_LR] ? a->r.g_lr : quick ? QUICK_LR : p->lr;
    r->d_lr = a->set[OPT_D_LR] ? a->r.d_lr : quick ? QUICK_LR : p->d_lr > 0.0f ? p->d_lr : p->lr;
    r->beta1 = a->set[OPT_BETA1] ? a->r.beta1 : quick ? QUICK_BETA1 : p->beta1;
    r->loss = a->set[OPT_LOSS] ? a->r.loss : p->loss;
    r->clip = a->set[OPT_CLIP] ? a->r.clip : p->clip;
    r->real_label = a->set[OPT_SMOOTH] ? a->r.real_label : p->real_label;
    r->beta2 = a->set[OPT_BETA2] ? a->r.beta2 : p->beta2;
    r->gradient_penalty = a->set[OPT_GP] ? a->r.gradient_penalty : p->gradient_penalty;
    r->r1_gamma = a->set[OPT_R1] ? a->r.r1_gamma : p->r1_gamma;
    r->class_weight = a->set[OPT_CLASS_WEIGHT] ? a->r.class_weight : p->class_weight;
    if (images && !r->conditional && !a->set[OPT_CLASS_WEIGHT])
        r->class_weight = 0.0f;   /* a family preset's AC-GAN loss is for --classes */
    r->r1_every = a->set[OPT_R1_EVERY] ? a->r.r1_every : p->r1_every ? (uint64_t)p->r1_every : 1;
    r->ema_decay = a->set[OPT_EMA] ? a->r.ema_decay : p->ema_decay;
    r->spectral_norm = a->set[OPT_SN] || p->spectral_norm;
    r->n_critic = a->set[OPT_N_CRITIC] ? a->r.n_critic : (uint64_t)p->n_critic;
    r->drop_remainder = p->drop_remainder || r->n_critic > 1;
    r->augment = a->r.augment;
    r->ada_target = a->set[OPT_ADA] ? a->r.ada_target : 0.0f;
    r->augment_p = a->set[OPT_AUGMENT_P] ? a->r.augment_p : r->ada_target > 0.0f ? 0.0f : 1.0f;
    if ((r->ada_target > 0.0f || a->set[OPT_AUGMENT_P]) && !r->augment)
        return cli_usage_error(CMD, "--ada and --augment-p need --augment");
    r->sample_every = a->set[OPT_SAMPLE_EVERY] ? a->r.sample_every : 1;
    r->checkpoint_every = a->set[OPT_CKPT_EVERY] ? a->r.checkpoint_every : 1;
    r->keep = a->set[OPT_KEEP] ? a->r.keep : 5;
    if (r->epochs == 0 && r->steps == 0)
        return cli_usage_error(CMD, "--epochs 0 needs --steps N");
    return 0;
}

/* Flags that define the run cannot change on --resume; length, output
   frequencies and rotation can. */
int train_settings_resume(const train_args *a, run_settings *r)
{
    static const struct { int opt; const char *name; } fixed[] = {
        {'p', "--preset"}, {OPT_FORMAT, "--format"}, {OPT_LIMIT, "--limit"}, {'b', "--batch"},
        {OPT_G_LR, "--lr/--g-lr"}, {OPT_D_LR, "--lr/--d-lr"}, {OPT_BETA1, "--beta1"},
        {OPT_OPTIMIZER, "--optimizer"}, {OPT_LOSS, "--loss"}, {OPT_CLIP, "--clip"},
        {OPT_SMOOTH, "--label-smoothing"}, {OPT_N_CRITIC, "--n-critic"}, {'s', "--seed"},
        {OPT_BETA2, "--beta2"}, {OPT_GP, "--gradient-penalty"}, {OPT_R1, "--r1"}, {OPT_EMA, "--ema"},
        {OPT_R1_EVERY, "--r1-every"}, {OPT_CLASS_WEIGHT, "--class-weight"},
        {OPT_SN, "--spectral-norm"}, {OPT_SIZE, "--size"}, {OPT_CHANNELS, "--channels"},
        {OPT_ARCH, "--arch"}, {OPT_WIDTH, "--width"}, {OPT_MAX_WIDTH, "--max-width"},
        {OPT_CLASSES, "--classes"},
        {OPT_FLIP, "--flip"}, {OPT_AUGMENT, "--augment"}, {OPT_AUGMENT_P, "--augment-p"},
        {OPT_ADA, "--ada"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (a->set[fixed[i].opt])
            return cli_usage_error(CMD, "%s cannot change on --resume (the run's settings are "
                                   "in its run.txt)", fixed[i].name);
    if (a->set['d'] || a->set[OPT_IMAGES])
        memcpy(r->data, a->r.data, sizeof r->data); /* the same data, moved */
    if (a->set['e'])
        r->epochs = a->r.epochs;
    if (a->set[OPT_STEPS])
        r->steps = a->r.steps;
    if (a->set[OPT_SAMPLE_EVERY])
        r->sample_every = a->r.sample_every;
    if (a->set[OPT_CKPT_EVERY])
        r->checkpoint_every = a->r.checkpoint_every;
    if (a->set[OPT_KEEP])
        r->keep = a->r.keep;
    if (r->epochs == 0 && r->steps == 0)
        return cli_usage_error(CMD, "--epochs 0 needs --steps N");
    return 0;
}

/* --resume PATH: the checkpoint file and the run directory holding run.txt
   (PATH itself, or the checkpoint's directory or its parent for
   OUT/checkpoints/ckpt_epoch_N.gan). */
int train_find_resume(const char *path, char *ckpt, char *dir, size_t cap)
{
    char buf[RUN_PATH_MAX], probe[RUN_PATH_MAX + 16];
    if (cli_is_dir(path)) {
        if (cli_path(ckpt, cap, "%s/checkpoint.gan", path) != 0 ||
            cli_path(dir, cap, "%s", path) != 0)
            return cli_error(CMD, "--resume: %s: path too long", path);
        if (!cli_is_file(ckpt))
            return cli_error(CMD, "--resume: %s: no checkpoint.gan in this directory", path);
        return 0;
    }
    if (!cli_is_file(path))
        return cli_error(CMD, "--resume: %s: %s", path, strerror(errno));
    if (cli_path(ckpt, cap, "%s", path) != 0 || cli_path(buf, sizeof buf, "%s", path) != 0)
        return cli_error(CMD, "--resume: %s: path too long", path);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(buf, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(buf, sizeof buf, "%s", up ? ".." : ".");
        if (cli_path(probe, sizeof probe, "%s/run.txt", buf) == 0 && cli_is_file(probe))
            return cli_path(dir, cap, "%s", buf) != 0 ? cli_error(CMD, "path too long") : 0;
        if (!slash)
            break;
    }
    return cli_error(CMD, "--resume: no run.txt next to %s or in its parent directory "
                     "(was it written by gan train?)", path);
}

/* A new run in a directory that holds an old one: remove the old run's
   checkpoints and samples (only files of the names gan train writes). */
void train_clear_old_run(const char *out)
{
    static const char *const subdirs[] = {"checkpoints", "samples"};
    char dir[RUN_PATH_MAX + 16], path[RUN_PATH_MAX + 300];
    int announced = 0;
    for (size_t i = 0; i < 2; i++) {
        DIR *dp;
        struct dirent *e;
        if (cli_path(dir, sizeof dir, "%s/%s", out, subdirs[i]) != 0 || (dp = opendir(dir)) == NULL)
            continue;
        while ((e = readdir(dp)) != NULL) {
            const char *n = e->d_name;
            size_t len = strlen(n);
            int ours = i == 0 ? ckpt_number(n) != UINT64_MAX
                              : len > 4 && strcmp(n + len - 4, ".png") == 0 &&
                                    (strncmp(n, "epoch_", 6) == 0 || strncmp(n, "step_", 5) == 0);
            if (!ours || cli_path(path, sizeof path, "%s/%s", dir, n) != 0)
                continue;
            if (!announced++)
                printf("%s holds an earlier run: replacing it (use --resume %s to continue one)\n",
                       out, out);
            remove(path);
        }
        closedir(dp);
    }
    if (cli_path(path, sizeof path, "%s/checkpoint.gan", out) == 0)
        remove(path);
    /* and its FID log and report, which a run without --fid-every would
       otherwise leave behind */
    if (cli_path(path, sizeof path, "%s/metrics.csv", out) == 0)
        remove(path);
    if (cli_path(path, sizeof path, "%s/report.html", out) == 0)
        remove(path);
}

int train_prepare_out(const char *out)
{
    char sub[RUN_PATH_MAX + 16];
    if (cli_mkdirs(out) != 0)
        return cli_error(CMD, "--out: %s: %s", out, strerror(errno));
    for (int i = 0; i < 2; i++) {
        if (cli_path(sub, sizeof sub, "%s/%s", out, i ? "checkpoints" : "samples") != 0)
            return cli_error(CMD, "--out: %s: path too long", out);
        if (cli_mkdirs(sub) != 0)
            return cli_error(CMD, "--out: %s: %s", sub, strerror(errno));
    }
    return 0;
}

