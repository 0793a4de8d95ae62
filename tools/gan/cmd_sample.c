/*
 * cmd_sample.c -- `gan sample MODEL`: images from a generator (a model
 * file, a checkpoint, or a gan train output directory) as a PNG grid,
 * one PNG per image, or raw float32; or a latent interpolation strip
 * between the vectors of two seeds.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "sample";

static const char usage[] =
    "Usage: gan sample MODEL [--n N] [--seed S] [--out grid.png] [--raw FILE]\n"
    "                        [--per-image DIR] [--cols C] [--class K|all]\n"
    "       gan sample MODEL --interpolate SEED_A SEED_B [--steps N] [--slerp] [--out strip.png]\n"
    "\n"
    "Draw images from a generator.  MODEL is a model file (gan export), a training\n"
    "checkpoint, or a gan train output directory (its generator.gan, else its\n"
    "checkpoint.gan).  The same MODEL and --seed give the same images; gan train's\n"
    "sample grids are 'gan sample OUT --seed SEED --n 16' (SEED of its run.txt).\n"
    "\n"
    "  -n, --n N                 number of images (default 16)\n"
    "  -s, --seed S              seed of the latent vectors (default 0)\n"
    "  -o, --out FILE            PNG grid (default samples.png unless --raw or\n"
    "                            --per-image is given)\n"
    "  -c, --cols C              columns of the grid (default: square)\n"
    "      --raw FILE            the images as float32 NHWC in [-1, 1], native byte order\n"
    "      --per-image DIR       one PNG per image: DIR/img_000.png, ...\n"
    "  -i, --interpolate A B     --steps images from seed A's latent vector to seed B's,\n"
    "                            as one row (A B may also be written A,B)\n"
    "      --steps N             images in the strip (default 10)\n"
    "      --slerp               spherical interpolation (default: linear)\n"
    "      --class K             a conditional generator (gan train --preset cgan):\n"
    "                            images of class K (0-based); 'all': one row of N\n"
    "                            images per class (gan train's grids are\n"
    "                            '--class all --n 8'); default: classes 0, 1, ...\n"
    "                            in turn\n"
    "  -t, --threads N           threads (default 0: one per core)\n"
    "  -h, --help                this help\n";

enum { OPT_RAW = 256, OPT_PER_IMAGE, OPT_STEPS, OPT_SLERP, OPT_CLASS };

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

static int write_each(const char *dir, const uint8_t *img, size_t n, const int dims[3])
{
    char path[4096];
    size_t image = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2];
    if (cli_mkdirs(dir) != 0)
        return cli_error(CMD, "--per-image: %s: %s", dir, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        if (cli_path(path, sizeof path, "%s/img_%03zu.png", dir, i) != 0)
            return cli_error(CMD, "--per-image: %s: path too long", dir);
        if (gan_png_write_grid(path, img + i * image, 1, dims[0], dims[1], dims[2], 1, 0) != GAN_OK)
            return cli_lib_error(CMD, path);
    }
    return 0;
}

int cmd_sample(int argc, char **argv)
{
    static const struct option opts[] = {
        {"n", required_argument, NULL, 'n'},       {"seed", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},     {"cols", required_argument, NULL, 'c'},
        {"raw", required_argument, NULL, OPT_RAW}, {"per-image", required_argument, NULL, OPT_PER_IMAGE},
        {"interpolate", required_argument, NULL, 'i'}, {"steps", required_argument, NULL, OPT_STEPS},
        {"slerp", no_argument, NULL, OPT_SLERP},   {"threads", required_argument, NULL, 't'},
        {"class", required_argument, NULL, OPT_CLASS},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *out = NULL, *raw = NULL, *each = NULL;
    uint64_t n = 16, seed = 0, cols = 0, steps = 10, seed_a = 0, seed_b = 0, threads = 0, v;
    int ch, interp = 0, slerp = 0, rc = CLI_EXIT_RUNTIME, dims[3], cls = CLASS_NONE, classes = 0;
    char model_path[4096];
    gan_model *g = NULL;
    gan_sampler *s = NULL;
    size_t latent = 0, image = 0, ndim, layers;
    float *z = NULL, *x = NULL;
    uint8_t *img = NULL;
    int32_t *labels = NULL;
    gan_status st;

    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":n:s:o:c:i:t:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        case 'n':
            if (cli_parse_u64(CMD, "--n", optarg, 1, 1u << 20, &n))
                return CLI_EXIT_USAGE;
            break;
        case 's':
            if (cli_parse_u64(CMD, "--seed", optarg, 0, UINT64_MAX, &seed))
                return CLI_EXIT_USAGE;
            break;
        case 'o':
            out = optarg;
            break;
        case 'c':
            if (cli_parse_u64(CMD, "--cols", optarg, 1, 4096, &cols))
                return CLI_EXIT_USAGE;
            break;
        case OPT_RAW:
            raw = optarg;
            break;
        case OPT_PER_IMAGE:
            each = optarg;
            break;
        case 'i': {
            /* Two values: "A B" (B is the next argument) or "A,B". */
            char a[64], *comma;
            const char *b;
            if (strlen(optarg) >= sizeof a)
                return cli_usage_error(CMD, "--interpolate: '%s' is not a seed", optarg);
            memcpy(a, optarg, strlen(optarg) + 1);
            if ((comma = strchr(a, ',')) != NULL) {
                *comma = '\0';
                b = comma + 1;
            } else if (optind < argc && argv[optind][0] != '-') {
                b = argv[optind++];
            } else {
                return cli_usage_error(CMD, "--interpolate needs two seeds: SEED_A SEED_B");
            }
            if (cli_parse_u64(CMD, "--interpolate", a, 0, UINT64_MAX, &seed_a) ||
                cli_parse_u64(CMD, "--interpolate", b, 0, UINT64_MAX, &seed_b))
                return CLI_EXIT_USAGE;
            interp = 1;
            break;
        }
        case OPT_STEPS:
            if (cli_parse_u64(CMD, "--steps", optarg, 2, 4096, &steps))
                return CLI_EXIT_USAGE;
            break;
        case OPT_SLERP:
            slerp = 1;
            break;
        case OPT_CLASS:
            if (strcmp(optarg, "all") == 0) {
                cls = CLASS_ALL;
            } else {
                if (cli_parse_u64(CMD, "--class", optarg, 0, 65535, &v))
                    return CLI_EXIT_USAGE;
                cls = (int)v;
            }
            break;
        case 't':
            if (cli_parse_u64(CMD, "--threads", optarg, 0, 1024, &threads))
                return CLI_EXIT_USAGE;
            break;
        case ':':
            return cli_usage_error(CMD, "%s needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error(CMD, "no MODEL given");
    if (optind + 1 < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
    if (!out && !raw && !each)
        out = interp ? "interpolation.png" : "samples.png";
    if (gan_set_threads((int)threads) != GAN_OK)
        return cli_lib_error(CMD, "--threads");
    errno = 0;
    if ((v = (uint64_t)resolve_model(argv[optind], model_path, sizeof model_path)) != 0)
        return (int)v;
    if (gan_model_load(&g, model_path) != GAN_OK)
        return cli_lib_error(CMD, model_path);
    if (gan_model_layer_count(g, &layers) != GAN_OK ||
        gan_model_shape(g, layers - 1, &ndim, dims) != GAN_OK || ndim != 3) {
        cli_error(CMD, "%s: the network's output is not an image", model_path);
        goto done;
    }
    gan_model_num_classes(g, &classes);
    if (cls != CLASS_NONE && classes == 0) {
        cli_error(CMD, "%s: --class: the generator is not conditional (it takes no class labels)",
                  model_path);
        goto done;
    }
    if (cls >= classes) {
        cli_error(CMD, "--class %d: the generator knows classes 0..%d", cls, classes - 1);
        goto done;
    }
    if (cls == CLASS_ALL && interp) {
        rc = cli_usage_error(CMD, "--class all draws a grid; give one class with --interpolate");
        goto done;
    }
    if (interp)
        n = steps;
    if (cls == CLASS_ALL) {
        /* --n images per class, one row each. */
        if (n * (uint64_t)classes > (1u << 20)) {
            rc = cli_usage_error(CMD, "--class all: %llu images per class x %d classes is too many",
                                 (unsigned long long)n, classes);
            goto done;
        }
        if (!cols)
            cols = n;
        n *= (uint64_t)classes;
    }
    if (gan_sampler_create(&s, g, interp ? seed_a : seed, n < 64 ? (size_t)n : 64) != GAN_OK ||
        gan_sampler_dims(s, &latent, &image) != GAN_OK) {
        cli_lib_error(CMD, "sampler");
        goto done;
    }
    z = malloc((size_t)n * latent * sizeof *z);
    x = raw ? malloc((size_t)n * image * sizeof *x) : NULL;
    img = malloc((size_t)n * image);
    labels = classes ? malloc((size_t)n * sizeof *labels) : NULL;
    if (!z || !img || (raw && !x) || (classes && !labels)) {
        cli_error(CMD, "out of memory for %llu images", (unsigned long long)n);
        goto done;
    }
    if (cls >= 0)
        for (size_t i = 0; i < (size_t)n; i++)
            labels[i] = cls;
    else if (classes)
        cli_class_labels(labels, (size_t)n, classes, cls == CLASS_ALL ? (size_t)(n / (uint64_t)classes) : 0);
    if (interp) {
        /* The first latent vector of each seed's stream. */
        float *z0 = malloc(2 * latent * sizeof *z0);
        st = GAN_EINVAL;
        if (z0 && gan_sampler_latent(s, 1, z0, latent) == GAN_OK &&
            gan_sampler_set_seed(s, seed_b) == GAN_OK &&
            gan_sampler_latent(s, 1, z0 + latent, latent) == GAN_OK)
            st = gan_latent_interpolate(z0, z0 + latent, latent, (size_t)n, slerp, z,
                                        (size_t)n * latent);
        free(z0);
        if (st != GAN_OK) {
            cli_lib_error(CMD, "--interpolate");
            goto done;
        }
        if (!cols)
            cols = n;
    } else if (gan_sampler_latent(s, (size_t)n, z, (size_t)n * latent) != GAN_OK) {
        cli_lib_error(CMD, "latent vectors");
        goto done;
    }
    if (labels) {
        st = gan_sampler_generate_labeled_u8(s, z, (size_t)n * latent, labels, (size_t)n, img,
                                             (size_t)n * image);
        if (st == GAN_OK && raw)
            st = gan_sampler_generate_labeled(s, z, (size_t)n * latent, labels, (size_t)n, x,
                                              (size_t)n * image);
    } else {
        st = gan_sampler_generate_u8(s, z, (size_t)n * latent, (size_t)n, img, (size_t)n * image);
        if (st == GAN_OK && raw)
            st = gan_sampler_generate(s, z, (size_t)n * latent, (size_t)n, x, (size_t)n * image);
    }
    if (st != GAN_OK) {
        cli_lib_error(CMD, "generating");
        goto done;
    }
    if (out && cli_write_png(CMD, out, img, (size_t)n, dims[0], dims[1], dims[2], (int)cols) != 0)
        goto done;
    if (each && write_each(each, img, (size_t)n, dims) != 0)
        goto done;
    if (raw && write_raw(raw, x, (size_t)n * image) != 0)
        goto done;
    if (out)
        printf("wrote %s: %llu image(s) of %dx%dx%d\n", out, (unsigned long long)n, dims[0],
               dims[1], dims[2]);
    if (cls >= 0)
        printf("class %d\n", cls);
    else if (cls == CLASS_ALL)
        printf("classes 0..%d, one row of %llu each\n", classes - 1,
               (unsigned long long)(n / (uint64_t)classes));
    else if (classes)
        printf("classes 0..%d in turn (image i has class i mod %d)\n", classes - 1, classes);
    if (each)
        printf("wrote %s/img_000.png ... img_%03llu.png\n", each, (unsigned long long)(n - 1));
    if (raw)
        printf("wrote %s: %llu x %dx%dx%d float32 (NHWC, native byte order, in [-1, 1])\n", raw,
               (unsigned long long)n, dims[0], dims[1], dims[2]);
    rc = CLI_EXIT_OK;
done:
    free(z);
    free(x);
    free(img);
    free(labels);
    gan_sampler_free(s);
    gan_model_free(g);
    return rc;
}
