/* cmd_eval.c -- `gan eval MODEL`: FID and Inception Score of a generator
   under the protocol of docs/metrics.md. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "eval";

static const char usage[] =
    "Usage: gan eval MODEL [OPTIONS]\n"
    "\n"
    "FID and Inception Score of the generator in MODEL (a model file or a\n"
    "training checkpoint) against Fashion-MNIST's test set, with the protocol\n"
    "of docs/metrics.md: features and class probabilities of the shipped\n"
    "classifier, 10,000 samples from latent seed 0, IS over 10 splits.\n"
    "\n"
    "A conditional generator (gan train --preset cgan) draws image i of class\n"
    "i mod K (K classes, equally many images each) and also reports, for each\n"
    "class, the classifier's accuracy on the images generated for that class\n"
    "(how recognisable each requested class is), and their mean.\n"
    "\n"
    "  -n, --samples N       generated images (default 10000)\n"
    "  -s, --seed S          latent seed (default 0)\n"
    "      --classifier FILE feature network (default: " CLI_CLASSIFIER_FILE " in the\n"
    "                        data directory: $GAN_DATA_DIR, else share/libgan of the\n"
    "                        installation; 'gan --version' prints it)\n"
    "      --layer L         its feature layer (default -1: input of the last layer)\n"
    "      --reference FILE  reference statistics (default: " CLI_REFERENCE_FILE "\n"
    "                        in the data directory, when it matches the classifier;\n"
    "                        else computed from --data)\n"
    "      --data DIR        MNIST-format directory whose t10k set is the reference\n"
    "                        (default " GAN_FASHION_MNIST_DIR ")\n"
    "      --precision-recall  also improved precision and recall (Kynkaanniemi et\n"
    "                        al. 2019, k = 3) of the N samples (a gan_sampler from\n"
    "                        the latent seed) against --data's t10k images, on the\n"
    "                        classifier's features\n"
    "  -h, --help            this help\n";

enum { OPT_CLASSIFIER = 1000, OPT_LAYER, OPT_REFERENCE, OPT_DATA, OPT_PR };

#define PR_K 3 /* the paper's k */

#define EVAL_CHUNK 500 /* images generated and classified at a time */

/* FID, IS and per-class accuracy of a conditional generator of `classes`
   classes: n images, image i of class i mod classes, latents from seed
   (the order of gan_metrics_run_generator, so FID and IS equal its). */
static int eval_conditional(cli_fid *f, gan_model *gen, int classes, uint64_t seed, size_t n,
                            double *fid, double *is, double *is_sd, size_t *hits, size_t *count)
{
    gan_sampler *s = NULL;
    gan_fid_stats *st = NULL;
    size_t image = 0, latent = 0;
    float *x = NULL, *probs = NULL;
    int32_t *labels = NULL;
    int rc = CLI_EXIT_RUNTIME;
    if ((size_t)classes > f->k)
        return cli_error(CMD, "the generator has %d classes, the classifier %zu", classes, f->k);
    if (gan_sampler_create(&s, gen, seed, EVAL_CHUNK) != GAN_OK ||
        gan_sampler_dims(s, &latent, &image) != GAN_OK || gan_fid_stats_create(&st, f->dim) != GAN_OK) {
        cli_lib_error(CMD, "sampler");
        goto done;
    }
    x = malloc(EVAL_CHUNK * image * sizeof *x);
    probs = malloc(n * f->k * sizeof *probs);
    labels = malloc(n * sizeof *labels);
    if (!x || !probs || !labels) {
        cli_error(CMD, "out of memory for %zu samples", n);
        goto done;
    }
    cli_class_labels(labels, n, classes, 0);
    for (size_t i0 = 0; i0 < n; i0 += EVAL_CHUNK) {
        const size_t nb = n - i0 < EVAL_CHUNK ? n - i0 : EVAL_CHUNK;
        if (gan_sampler_generate_labeled(s, NULL, 0, labels + i0, nb, x, nb * image) != GAN_OK ||
            gan_metrics_run(f->mt, x, nb * image, nb, st, probs + i0 * f->k, nb * f->k) != GAN_OK) {
            cli_lib_error(CMD, "generating and classifying");
            goto done;
        }
    }
    memset(hits, 0, (size_t)classes * sizeof *hits);
    memset(count, 0, (size_t)classes * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        const float *p = probs + i * f->k;
        size_t best = 0;
        for (size_t j = 1; j < f->k; j++)
            if (p[j] > p[best])
                best = j;
        count[labels[i]]++;
        hits[labels[i]] += best == (size_t)labels[i];
    }
    if (gan_frechet_distance(f->ref, st, fid) != GAN_OK ||
        gan_inception_score(probs, n * f->k, n, 10, is, is_sd) != GAN_OK) {
        cli_lib_error(CMD, "measuring FID and IS");
        goto done;
    }
    rc = CLI_EXIT_OK;
done:
    free(x);
    free(probs);
    free(labels);
    gan_fid_stats_free(st);
    gan_sampler_free(s);
    return rc;
}

/* Precision and recall of n samples of gen (image i of class i mod
   classes for a conditional one; latents from a gan_sampler at seed)
   against the t10k images of data, on the classifier's features. */
static int eval_precision_recall(cli_fid *f, gan_model *gen, int classes, uint64_t seed, size_t n,
                                 const char *data, double *precision, double *recall,
                                 size_t *n_real)
{
    gan_sampler *s = NULL;
    gan_dataset *test = NULL;
    size_t image = 0, latent = 0, nr = 0;
    float *x = NULL, *ff = NULL, *fr = NULL;
    int32_t *labels = NULL;
    int rc = CLI_EXIT_RUNTIME;
    if (gan_sampler_create(&s, gen, seed, EVAL_CHUNK) != GAN_OK ||
        gan_sampler_dims(s, &latent, &image) != GAN_OK) {
        cli_lib_error(CMD, "sampler");
        goto done;
    }
    if (gan_dataset_load_mnist_dir(&test, data, 0) != GAN_OK || gan_dataset_size(test, &nr) != GAN_OK) {
        cli_lib_error(CMD, data);
        goto done;
    }
    x = malloc(EVAL_CHUNK * image * sizeof *x);
    ff = malloc(n * f->dim * sizeof *ff);
    fr = malloc(nr * f->dim * sizeof *fr);
    labels = classes ? malloc(n * sizeof *labels) : NULL;
    if (!x || !ff || !fr || (classes && !labels)) {
        cli_error(CMD, "out of memory for the features of %zu and %zu images", n, nr);
        goto done;
    }
    if (classes)
        cli_class_labels(labels, n, classes, 0);
    for (size_t i0 = 0; i0 < n; i0 += EVAL_CHUNK) {
        const size_t nb = n - i0 < EVAL_CHUNK ? n - i0 : EVAL_CHUNK;
        gan_status st = classes ? gan_sampler_generate_labeled(s, NULL, 0, labels + i0, nb, x,
                                                               nb * image)
                                : gan_sampler_generate(s, NULL, 0, nb, x, nb * image);
        if (st != GAN_OK || gan_metrics_features(f->mt, x, nb * image, nb, ff + i0 * f->dim,
                                                 nb * f->dim) != GAN_OK) {
            cli_lib_error(CMD, "generating and extracting features");
            goto done;
        }
    }
    for (size_t i0 = 0; i0 < nr; i0 += EVAL_CHUNK) {
        const size_t nb = nr - i0 < EVAL_CHUNK ? nr - i0 : EVAL_CHUNK;
        for (size_t i = 0; i < nb; i++)
            if (gan_dataset_get(test, i0 + i, x + i * image, image, NULL) != GAN_OK) {
                cli_lib_error(CMD, data);
                goto done;
            }
        if (gan_metrics_features(f->mt, x, nb * image, nb, fr + i0 * f->dim, nb * f->dim) !=
            GAN_OK) {
            cli_lib_error(CMD, "the reference images' features");
            goto done;
        }
    }
    if (gan_precision_recall(fr, nr * f->dim, nr, ff, n * f->dim, n, f->dim, PR_K, precision,
                             recall) != GAN_OK) {
        cli_lib_error(CMD, "precision and recall");
        goto done;
    }
    *n_real = nr;
    rc = CLI_EXIT_OK;
done:
    free(x);
    free(ff);
    free(fr);
    free(labels);
    gan_dataset_free(test);
    gan_sampler_free(s);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"samples", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"classifier", required_argument, NULL, OPT_CLASSIFIER},
        {"layer", required_argument, NULL, OPT_LAYER},
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"data", required_argument, NULL, OPT_DATA},
        {"precision-recall", no_argument, NULL, OPT_PR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *clf_path = NULL; /* the shipped classifier */
    const char *ref_path = NULL, *data = GAN_FASHION_MNIST_DIR;
    uint64_t n = 10000, seed = 0, layer_plus1 = 0;
    int ch, rc = CLI_EXIT_RUNTIME, explicit_ref = 0, classes = 0, want_pr = 0;
    double precision = 0.0, recall = 0.0;
    size_t pr_real = 0;
    size_t *hits = NULL, *count = NULL;
    gan_model *gen = NULL;
    cli_fid f;
    double fid, is, is_sd, t0 = cli_now();

    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "n:s:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            if (cli_parse_u64(CMD, "--samples", optarg, 10, 1u << 24, &n))
                return CLI_EXIT_USAGE;
            break;
        case 's':
            if (cli_parse_u64(CMD, "--seed", optarg, 0, UINT64_MAX, &seed))
                return CLI_EXIT_USAGE;
            break;
        case OPT_CLASSIFIER: clf_path = optarg; break;
        case OPT_LAYER:
            /* -1 .. 2^20 stored shifted by one */
            if (strcmp(optarg, "-1") == 0)
                layer_plus1 = 0;
            else if (cli_parse_u64(CMD, "--layer", optarg, 0, 1u << 20, &layer_plus1))
                return CLI_EXIT_USAGE;
            else
                layer_plus1++;
            break;
        case OPT_REFERENCE: ref_path = optarg; explicit_ref = 1; break;
        case OPT_DATA: data = optarg; break;
        case OPT_PR: want_pr = 1; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(CMD, optind >= argc ? "no MODEL given" : "one MODEL only");
    if (!cli_is_file(argv[optind]))
        return cli_error(CMD, "%s: no such file", argv[optind]);
    if (gan_model_load(&gen, argv[optind]) != GAN_OK)
        return cli_lib_error(CMD, argv[optind]);
    if ((rc = cli_fid_open(&f, CMD, clf_path,
                           layer_plus1 ? (size_t)layer_plus1 - 1 : GAN_DEFAULT_FEATURE_LAYER,
                           ref_path, explicit_ref, data)) != 0) {
        gan_model_free(gen);
        return rc;
    }
    gan_model_num_classes(gen, &classes);
    if (classes) {
        hits = calloc((size_t)classes, sizeof *hits);
        count = calloc((size_t)classes, sizeof *count);
        rc = hits && count ? eval_conditional(&f, gen, classes, seed, (size_t)n, &fid, &is, &is_sd,
                                              hits, count)
                           : cli_error(CMD, "out of memory");
    } else {
        rc = cli_fid_measure(&f, CMD, gen, seed, (size_t)n, &fid, &is, &is_sd);
    }
    if (rc == CLI_EXIT_OK && want_pr)
        rc = eval_precision_recall(&f, gen, classes, seed, (size_t)n, data, &precision, &recall,
                                   &pr_real);
    if (rc == CLI_EXIT_OK) {
        printf("model:      %s\n", argv[optind]);
        printf("protocol:   feature network %s (id %08x, %zu features, %zu classes); reference "
               "%s; %llu samples, latent seed %llu; IS over 10 splits\n", f.clf_path, (unsigned)f.id,
               f.dim, f.k, f.ref_desc, (unsigned long long)n, (unsigned long long)seed);
        if (classes)
            printf("classes:    conditional generator of %d classes; image i of class i mod %d\n",
                   classes, classes);
        printf("FID:        %.4f\n", fid);
        printf("IS:         %.4f +- %.4f\n", is, is_sd);
        if (want_pr)
            printf("precision:  %.4f\nrecall:     %.4f   (k = %d; %llu samples against %zu t10k "
                   "images of %s)\n", precision, recall, PR_K, (unsigned long long)n, pr_real,
                   data);
    }
    if (rc == CLI_EXIT_OK && classes) {
        /* The shipped classifier's classes are Fashion-MNIST's: name them. */
        const int named = clf_path == NULL;
        double sum = 0.0;
        printf("class accuracy (the classifier's argmax on the images generated for each "
               "class):\n");
        for (int k = 0; k < classes; k++) {
            const double acc = count[k] ? (double)hits[k] / (double)count[k] : 0.0;
            sum += acc;
            printf("  class %-3d %-12s %.4f (%zu of %zu)\n", k,
                   named && cli_fashion_class_name(k) ? cli_fashion_class_name(k) : "", acc, hits[k],
                   count[k]);
        }
        printf("mean class accuracy: %.4f\n", sum / classes);
    }
    if (rc == CLI_EXIT_OK)
        printf("time:       %.1f s\n", cli_now() - t0);
    free(hits);
    free(count);
    cli_fid_close(&f);
    gan_model_free(gen);
    return rc;
}
