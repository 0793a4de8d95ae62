/*
 * cmd_sample.c -- `gan sample MODEL`: images from a generator (a model
 * file, a checkpoint, or a gan train output directory) as a PNG grid,
 * one PNG per image, or raw float32; or a latent interpolation strip
 * between the vectors of two seeds.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "sample";

static const char usage[] =
    "Usage: gan sample MODEL [--n N] [--seed S] [--out grid.png] [--raw FILE]\n"
    "                        [--per-image DIR] [--cols C] [--class K|NAME|all]\n"
    "                        [--scale S] [--gap P]\n"
    "       gan sample MODEL --interpolate SEED_A SEED_B [--steps N] [--slerp] [--out strip.png]\n"
    "\n"
    "Draw images from a generator.  MODEL is a model file (gan export), a training\n"
    "checkpoint, or a gan train output directory (its generator.gan, else its\n"
    "checkpoint.gan).  The same MODEL and --seed give the same images; gan train's\n"
    "sample grids are 'gan sample OUT --seed SEED --n 64 --scale S' (SEED of its\n"
    "run.txt; S = 64 / image side, at least 1: 2 for 28 and 32 px, 4 for 16 px).\n"
    "\n"
    "  -n, --n N                 number of images (default 16)\n"
    "  -s, --seed S              seed of the latent vectors (default 0)\n"
    "  -o, --out FILE            PNG grid (default samples.png unless --raw or\n"
    "                            --per-image is given)\n"
    "  -c, --cols C              columns of the grid (default: square)\n"
    "      --raw FILE            the images as float32 NHWC in [-1, 1], native byte order\n"
    "      --per-image DIR       one PNG per image: DIR/img_000.png, ...\n"
    "      --scale S             draw each pixel as an SxS block (nearest neighbour,\n"
    "                            for pixel art; 1..16, default 1); --out and --per-image\n"
    "      --gap P               pixels between and around the grid's images (default\n"
    "                            2; black, transparent for RGBA); 0: a sprite sheet\n"
    "  -i, --interpolate A B     --steps images from seed A's latent vector to seed B's,\n"
    "                            as one row (A B may also be written A,B)\n"
    "      --steps N             images in the strip (default 10)\n"
    "      --slerp               spherical interpolation (default: linear)\n"
    "      --class K             a conditional generator (gan train --preset cgan):\n"
    "                            images of class K (0-based) or of the class named\n"
    "                            NAME (gan train --images --classes keeps the\n"
    "                            sub-folders' names); 'all': one row of N\n"
    "                            images per class (gan train's grids are\n"
    "                            '--class all --n 8 --scale S'); default: classes\n"
    "                            0, 1, ... in turn\n"
    "  -t, --threads N           threads (default 0: one per core)\n"
    "  -h, --help                this help\n";

enum { OPT_RAW = 256, OPT_PER_IMAGE, OPT_STEPS, OPT_SLERP, OPT_CLASS, OPT_SCALE, OPT_GAP };

#define CLASS_NONE (-2) /* no --class */
#define CLASS_ALL (-1)  /* --class all */

static int resolve_model(const char *in, char *path, size_t cap)
{
    if (cli_is_dir(in)) {
        if (cli_path(path, cap, "%s/generator.gan", in) != 0)
            return cli_error(CMD, "%s: path too long", in);
        if (!cli_is_file(path) && cli_path(path, cap, "%s/checkpoint.gan", in) == 0 &&
            !cli_is_file(path))
            return cli_error(CMD, "%s: no generator.gan or checkpoint.gan in this directory", in);
        return 0;
    }
    if (!cli_is_file(in))
        return cli_error(CMD, "%s: %s", in, strerror(errno ? errno : ENOENT));
    return cli_path(path, cap, "%s", in) != 0 ? cli_error(CMD, "%s: path too long", in) : 0;
}

static int write_raw(const char *file, const float *x, size_t count)
{
    FILE *f = fopen(file, "wb");
    int ok;
    if (!f)
        return cli_error(CMD, "--raw: %s: %s", file, strerror(errno));
    ok = fwrite(x, sizeof *x, count, f) == count;
    ok &= fclose(f) == 0;
    return ok ? 0 : cli_error(CMD, "--raw: %s: write failed", file);
}

static int write_each(const char *dir, const uint8_t *img, size_t n, const int dims[3], int scale)
{
    char path[4096];
    size_t image = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2];
    if (cli_mkdirs(dir) != 0)
        return cli_error(CMD, "--per-image: %s: %s", dir, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        if (cli_path(path, sizeof path, "%s/img_%03zu.png", dir, i) != 0)
            return cli_error(CMD, "--per-image: %s: path too long", dir);
        if (cli_write_png_ex(CMD, path, img + i * image, 1, dims[0], dims[1], dims[2], 1, 0,
                             scale) != 0)
            return -1;
    }
    return 0;
}

/* ---- the command line ---- */

typedef struct sample_args {
    const char *model;             /* the argument */
    const char *out, *raw, *each;  /* --out, --raw, --per-image */
    uint64_t n, seed, cols, steps, threads;
    uint64_t seed_a, seed_b;       /* --interpolate */
    int interp, slerp;
    int cls;                       /* --class: a class, CLASS_ALL or CLASS_NONE */
    const char *cls_name;          /* --class NAME: resolved by the model's names */
    uint64_t scale, gap;
} sample_args;

#define ARG(field) offsetof(sample_args, field)

static const cli_num_flag num_flags[] = {
    {.opt = 'n', .name = "--n", .min = 1, .max = 1u << 20, .offset = ARG(n)},
    {.opt = 's', .name = "--seed", .max = UINT64_MAX, .offset = ARG(seed)},
    {.opt = 'c', .name = "--cols", .min = 1, .max = 4096, .offset = ARG(cols)},
    {.opt = OPT_STEPS, .name = "--steps", .min = 2, .max = 4096, .offset = ARG(steps)},
    {.opt = 't', .name = "--threads", .max = 1024, .offset = ARG(threads)},
    {.opt = OPT_SCALE, .name = "--scale", .min = 1, .max = 16, .offset = ARG(scale)},
    {.opt = OPT_GAP, .name = "--gap", .max = 64, .offset = ARG(gap)},
};

static const struct option long_opts[] = {
    {"n", required_argument, NULL, 'n'},       {"seed", required_argument, NULL, 's'},
    {"out", required_argument, NULL, 'o'},     {"cols", required_argument, NULL, 'c'},
    {"raw", required_argument, NULL, OPT_RAW}, {"per-image", required_argument, NULL, OPT_PER_IMAGE},
    {"interpolate", required_argument, NULL, 'i'}, {"steps", required_argument, NULL, OPT_STEPS},
    {"slerp", no_argument, NULL, OPT_SLERP},   {"threads", required_argument, NULL, 't'},
    {"class", required_argument, NULL, OPT_CLASS},
    {"scale", required_argument, NULL, OPT_SCALE}, {"gap", required_argument, NULL, OPT_GAP},
    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};

/* --interpolate takes two values: "A B" (B is the next argument) or "A,B". */
static int parse_interpolate(sample_args *a, int argc, char **argv)
{
    char first[64], *comma;
    const char *second;
    if (strlen(optarg) >= sizeof first)
        return cli_usage_error(CMD, "--interpolate: '%s' is not a seed", optarg);
    memcpy(first, optarg, strlen(optarg) + 1);
    if ((comma = strchr(first, ',')) != NULL) {
        *comma = '\0';
        second = comma + 1;
    } else if (optind < argc && argv[optind][0] != '-') {
        second = argv[optind++];
    } else {
        return cli_usage_error(CMD, "--interpolate needs two seeds: SEED_A SEED_B");
    }
    if (cli_parse_u64(CMD, "--interpolate", first, 0, UINT64_MAX, &a->seed_a) ||
        cli_parse_u64(CMD, "--interpolate", second, 0, UINT64_MAX, &a->seed_b))
        return CLI_EXIT_USAGE;
    a->interp = 1;
    return 0;
}

static int parse_class(sample_args *a, const char *value)
{
    uint64_t v;
    if (strcmp(value, "all") == 0) {
        a->cls = CLASS_ALL;
        return 0;
    }
    if (value[0] < '0' || value[0] > '9') {   /* a name: the model says which */
        a->cls_name = value;
        a->cls = 0;
        return 0;
    }
    if (cli_parse_u64(CMD, "--class", value, 0, 65535, &v))
        return CLI_EXIT_USAGE;
    a->cls = (int)v;
    a->cls_name = NULL;
    return 0;
}

/* One flag: 0, -1 after --help, or the usage error's exit code. */
static int parse_flag(sample_args *a, int ch, int argc, char **argv)
{
    int rc = cli_parse_num_flag(CMD, num_flags, sizeof num_flags / sizeof num_flags[0], ch, optarg,
                                a);
    if (rc >= 0)
        return rc;
    switch (ch) {
    case 'h':
        fputs(usage, stdout);
        return -1;
    case 'o':
        a->out = optarg;
        return 0;
    case OPT_RAW:
        a->raw = optarg;
        return 0;
    case OPT_PER_IMAGE:
        a->each = optarg;
        return 0;
    case 'i':
        return parse_interpolate(a, argc, argv);
    case OPT_SLERP:
        a->slerp = 1;
        return 0;
    case OPT_CLASS:
        return parse_class(a, optarg);
    default:
        return cli_option_error(CMD, ch, argv);
    }
}

/* 0, -1 after --help, or the usage error's exit code. */
static int parse_args(int argc, char **argv, sample_args *a)
{
    int ch, rc;
    memset(a, 0, sizeof *a);
    a->n = 16;
    a->steps = 10;
    a->cls = CLASS_NONE;
    a->scale = 1;
    a->gap = 2;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":n:s:o:c:i:t:h", long_opts, NULL)) != -1)
        if ((rc = parse_flag(a, ch, argc, argv)) != 0)
            return rc;
    if ((rc = cli_one_operand(CMD, argc, argv, "MODEL")) != 0)
        return rc;
    a->model = argv[optind];
    if (!a->out && !a->raw && !a->each)
        a->out = a->interp ? "interpolation.png" : "samples.png";
    return 0;
}

/* ---- the run: open -> latents -> generate -> write, one cleanup ---- */

typedef struct sample_run {
    char model_path[4096];
    gan_model *g;
    gan_sampler *s;
    int dims[3];                   /* of an image */
    int classes;                   /* of a conditional generator, else 0 */
    uint64_t n, cols;              /* images and grid columns, 0: square */
    size_t latent, image;          /* floats per latent vector and per image */
    float *z, *x;                  /* latent vectors; --raw images */
    uint8_t *img;
    int32_t *labels;               /* a conditional generator's */
} sample_run;

static void run_free(sample_run *r)
{
    free(r->z);
    free(r->x);
    free(r->img);
    free(r->labels);
    gan_sampler_free(r->s);
    gan_model_free(r->g);
}

/* --class NAME: the label of the class the model calls NAME. */
static int resolve_class_name(sample_run *r, sample_args *a)
{
    size_t names = 0;
    if (!a->cls_name || r->classes == 0)
        return 0;
    gan_model_class_name_count(r->g, &names);
    if (names == 0)   /* a usage error, as a bad number is */
        return cli_usage_error(CMD, "--class %s: %s has no class names (give a number 0..%d)",
                               a->cls_name, r->model_path, r->classes - 1);
    if (gan_model_class_from_name(r->g, a->cls_name, &a->cls) != GAN_OK) {
        cli_error(CMD, "--class %s: %s knows these classes:", a->cls_name, r->model_path);
        for (size_t k = 0; k < names; k++) {
            char buf[GAN_CLASS_NAME_MAX + 1];
            gan_model_class_name(r->g, k, buf, sizeof buf, NULL);
            fprintf(stderr, "  %zu %s\n", k, buf);
        }
        return CLI_EXIT_RUNTIME;
    }
    return 0;
}

/* The generator, and what --class and --interpolate ask of it. */
static int open_generator(sample_run *r, const sample_args *a_in)
{
    sample_args *a = (sample_args *)a_in;   /* --class NAME becomes a number */
    size_t ndim, layers;
    int rc;
    if (gan_set_threads((int)a->threads) != GAN_OK)
        return cli_lib_error(CMD, "--threads");
    errno = 0;
    if ((rc = resolve_model(a->model, r->model_path, sizeof r->model_path)) != 0)
        return rc;
    if (gan_model_load(&r->g, r->model_path) != GAN_OK)
        return cli_lib_error(CMD, r->model_path);
    if (gan_model_layer_count(r->g, &layers) != GAN_OK ||
        gan_model_shape(r->g, layers - 1, &ndim, r->dims) != GAN_OK || ndim != 3)
        return cli_error(CMD, "%s: the network's output is not an image", r->model_path);
    gan_model_num_classes(r->g, &r->classes);
    if (a->cls != CLASS_NONE && r->classes == 0)
        return cli_error(CMD, "%s: --class: the generator is not conditional (it takes no class "
                         "labels)", r->model_path);
    if ((rc = resolve_class_name(r, a)) != 0)
        return rc;
    if (a->cls >= r->classes)
        return cli_error(CMD, "--class %d: the generator knows classes 0..%d", a->cls,
                         r->classes - 1);
    if (a->cls == CLASS_ALL && a->interp)
        return cli_usage_error(CMD, "--class all draws a grid; give one class with --interpolate");
    return 0;
}

/* How many images in how many columns: --steps of an interpolation, --n
   per class with --class all (one row each). */
static int count_images(sample_run *r, const sample_args *a)
{
    r->n = a->interp ? a->steps : a->n;
    r->cols = a->cols;
    if (a->cls != CLASS_ALL)
        return 0;
    if (r->n * (uint64_t)r->classes > (1u << 20))
        return cli_usage_error(CMD, "--class all: %llu images per class x %d classes is too many",
                               (unsigned long long)r->n, r->classes);
    if (!r->cols)
        r->cols = r->n;
    r->n *= (uint64_t)r->classes;
    return 0;
}

/* The sampler, the buffers and the class of each image. */
static int open_buffers(sample_run *r, const sample_args *a)
{
    size_t n = (size_t)r->n;
    if (gan_sampler_create(&r->s, r->g, a->interp ? a->seed_a : a->seed, n < 64 ? n : 64) !=
            GAN_OK ||
        gan_sampler_dims(r->s, &r->latent, &r->image) != GAN_OK)
        return cli_lib_error(CMD, "sampler");
    r->z = malloc(n * r->latent * sizeof *r->z);
    r->x = a->raw ? malloc(n * r->image * sizeof *r->x) : NULL;
    r->img = malloc(n * r->image);
    r->labels = r->classes ? malloc(n * sizeof *r->labels) : NULL;
    if (!r->z || !r->img || (a->raw && !r->x) || (r->classes && !r->labels))
        return cli_error(CMD, "out of memory for %llu images", (unsigned long long)r->n);
    if (a->cls >= 0)
        for (size_t i = 0; i < n; i++)
            r->labels[i] = a->cls;
    else if (r->classes)
        cli_class_labels(r->labels, n, r->classes,
                         a->cls == CLASS_ALL ? (size_t)(r->n / (uint64_t)r->classes) : 0);
    return 0;
}

/* The latent vectors: the sampler's stream, or the interpolation between
   the first vector of each seed's stream (one row). */
static int make_latents(sample_run *r, const sample_args *a)
{
    size_t n = (size_t)r->n;
    float *z0;
    gan_status st = GAN_EINVAL;
    if (!a->interp) {
        if (gan_sampler_latent(r->s, n, r->z, n * r->latent) != GAN_OK)
            return cli_lib_error(CMD, "latent vectors");
        return 0;
    }
    z0 = malloc(2 * r->latent * sizeof *z0);
    if (z0 && gan_sampler_latent(r->s, 1, z0, r->latent) == GAN_OK &&
        gan_sampler_set_seed(r->s, a->seed_b) == GAN_OK &&
        gan_sampler_latent(r->s, 1, z0 + r->latent, r->latent) == GAN_OK)
        st = gan_latent_interpolate(z0, z0 + r->latent, r->latent, n, a->slerp, r->z,
                                    n * r->latent);
    free(z0);
    if (st != GAN_OK)
        return cli_lib_error(CMD, "--interpolate");
    if (!r->cols)
        r->cols = r->n;
    return 0;
}

/* The images as bytes, and as floats for --raw. */
static int generate(sample_run *r, const sample_args *a)
{
    size_t n = (size_t)r->n, zn = n * r->latent, xn = n * r->image;
    gan_status st;
    if (r->labels) {
        st = gan_sampler_generate_labeled_u8(r->s, r->z, zn, r->labels, n, r->img, xn);
        if (st == GAN_OK && r->x)
            st = gan_sampler_generate_labeled(r->s, r->z, zn, r->labels, n, r->x, xn);
    } else {
        st = gan_sampler_generate_u8(r->s, r->z, zn, n, r->img, xn);
        if (st == GAN_OK && r->x)
            st = gan_sampler_generate(r->s, r->z, zn, n, r->x, xn);
    }
    return st != GAN_OK ? cli_lib_error(CMD, "generating") : 0;
}

static int write_outputs(sample_run *r, const sample_args *a)
{
    size_t n = (size_t)r->n;
    const int *d = r->dims;
    if (a->out && cli_write_png_ex(CMD, a->out, r->img, n, d[0], d[1], d[2], (int)r->cols,
                                   (int)a->gap, (int)a->scale) != 0)
        return CLI_EXIT_RUNTIME;
    if (a->each && write_each(a->each, r->img, n, d, (int)a->scale) != 0)
        return CLI_EXIT_RUNTIME;
    if (a->raw && write_raw(a->raw, r->x, n * r->image) != 0)
        return CLI_EXIT_RUNTIME;
    return 0;
}

/* What was written, and the classes drawn. */
static void print_written(const sample_run *r, const sample_args *a)
{
    unsigned long long n = (unsigned long long)r->n;
    const int *d = r->dims;
    if (a->out)
        printf("wrote %s: %llu image(s) of %dx%dx%d%s\n", a->out, n, d[0], d[1], d[2],
               a->scale > 1 ? ", scaled" : "");
    if (a->cls >= 0 && a->cls_name)
        printf("class %d (%s)\n", a->cls, a->cls_name);
    else if (a->cls >= 0)
        printf("class %d\n", a->cls);
    else if (a->cls == CLASS_ALL)
        printf("classes 0..%d, one row of %llu each\n", r->classes - 1, n / (unsigned)r->classes);
    else if (r->classes)
        printf("classes 0..%d in turn (image i has class i mod %d)\n", r->classes - 1, r->classes);
    if (a->each)
        printf("wrote %s/img_000.png ... img_%03llu.png\n", a->each, n - 1);
    if (a->raw)
        printf("wrote %s: %llu x %dx%dx%d float32 (NHWC, native byte order, in [-1, 1])\n", a->raw,
               n, d[0], d[1], d[2]);
}

/* The run's steps in order; the first that fails ends it. */
static int (*const run_steps[])(sample_run *, const sample_args *) = {
    open_generator, count_images, open_buffers, make_latents, generate, write_outputs,
};

int cmd_sample(int argc, char **argv)
{
    sample_args a;
    sample_run r;
    int rc;
    if ((rc = parse_args(argc, argv, &a)) != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; rc == 0 && i < sizeof run_steps / sizeof run_steps[0]; i++)
        rc = run_steps[i](&r, &a);
    if (rc == 0)
        print_written(&r, &a);
    run_free(&r);
    return rc;
}
