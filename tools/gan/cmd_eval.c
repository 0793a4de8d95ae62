/* cmd_eval.c -- `gan eval MODEL`: FID and Inception Score of a generator
   under the protocol of docs/metrics.md. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#ifndef GAN_MODELS_DIR
#  define GAN_MODELS_DIR "models"
#endif

static const char *const CMD = "eval";

static const char usage[] =
    "Usage: gan eval MODEL [OPTIONS]\n"
    "\n"
    "FID and Inception Score of the generator in MODEL (a model file or a\n"
    "training checkpoint) against Fashion-MNIST's test set, with the protocol\n"
    "of docs/metrics.md: features and class probabilities of the shipped\n"
    "classifier, 10,000 samples from latent seed 0, IS over 10 splits.\n"
    "\n"
    "  -n, --samples N       generated images (default 10000)\n"
    "  -s, --seed S          latent seed (default 0)\n"
    "      --classifier FILE feature network (default " GAN_MODELS_DIR
    "/fashion_mnist_classifier.gan)\n"
    "      --layer L         its feature layer (default -1: input of the last layer)\n"
    "      --reference FILE  reference statistics (default " GAN_MODELS_DIR
    "/fashion_mnist_t10k.fidstats\n"
    "                        when it matches the classifier, else computed from --data)\n"
    "      --data DIR        MNIST-format directory whose t10k set is the reference\n"
    "                        (default " GAN_FASHION_MNIST_DIR ")\n"
    "  -h, --help            this help\n";

enum { OPT_CLASSIFIER = 1000, OPT_LAYER, OPT_REFERENCE, OPT_DATA };

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"samples", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"classifier", required_argument, NULL, OPT_CLASSIFIER},
        {"layer", required_argument, NULL, OPT_LAYER},
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"data", required_argument, NULL, OPT_DATA},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *clf_path = GAN_MODELS_DIR "/fashion_mnist_classifier.gan";
    const char *ref_path = NULL, *data = GAN_FASHION_MNIST_DIR, *ref_desc;
    uint64_t n = 10000, seed = 0, layer_plus1 = 0, ref_n = 0;
    int ch, rc = CLI_EXIT_RUNTIME, explicit_ref = 0;
    gan_model *clf = NULL, *gen = NULL;
    gan_metrics *mt = NULL;
    gan_fid_stats *ref = NULL, *st = NULL;
    gan_dataset *test = NULL;
    float *probs = NULL;
    size_t dim, k;
    uint32_t id, ref_id;
    double fid, is, is_sd, t0 = cli_now();
    char ref_buf[1024];

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
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(CMD, optind >= argc ? "no MODEL given" : "one MODEL only");
    if (!cli_is_file(argv[optind]))
        return cli_error(CMD, "%s: no such file", argv[optind]);
    if (gan_model_load(&gen, argv[optind]) != GAN_OK) {
        cli_lib_error(CMD, argv[optind]);
        goto out;
    }
    if (gan_model_load(&clf, clf_path) != GAN_OK) {
        cli_lib_error(CMD, clf_path);
        goto out;
    }
    if (gan_metrics_create(&mt, clf, (int)layer_plus1 - 1, 0) != GAN_OK ||
        gan_metrics_dims(mt, &dim, &k, &id) != GAN_OK) {
        cli_lib_error(CMD, "classifier");
        goto out;
    }
    if (k == 0) {
        cli_error(CMD, "%s: the classifier does not output class logits", clf_path);
        goto out;
    }
    /* Reference statistics: a file of the same network, else t10k. */
    if (!ref_path && cli_is_file(GAN_MODELS_DIR "/fashion_mnist_t10k.fidstats"))
        ref_path = GAN_MODELS_DIR "/fashion_mnist_t10k.fidstats";
    if (ref_path) {
        if (gan_fid_stats_load(&ref, ref_path) != GAN_OK) {
            cli_lib_error(CMD, ref_path);
            goto out;
        }
        gan_fid_stats_info(ref, NULL, &ref_n, &ref_id);
        if (ref_id != id) {
            if (explicit_ref) {
                cli_error(CMD, "%s: statistics of another feature network (id %08x, the "
                          "classifier's is %08x)", ref_path, (unsigned)ref_id, (unsigned)id);
                goto out;
            }
            gan_fid_stats_free(ref);
            ref = NULL;
        }
    }
    if (ref) {
        snprintf(ref_buf, sizeof ref_buf, "%s (%llu images)", ref_path,
                 (unsigned long long)ref_n);
    } else {
        size_t nt;
        if (gan_dataset_load_mnist_dir(&test, data, 0) != GAN_OK ||
            gan_fid_stats_create(&ref, dim) != GAN_OK ||
            gan_metrics_run_dataset(mt, test, 0, ref, NULL, 0) != GAN_OK) {
            cli_lib_error(CMD, data);
            goto out;
        }
        gan_dataset_size(test, &nt);
        snprintf(ref_buf, sizeof ref_buf, "%s t10k (%zu images)", data, nt);
    }
    ref_desc = ref_buf;
    probs = malloc((size_t)n * k * sizeof *probs);
    if (!probs) {
        cli_error(CMD, "out of memory");
        goto out;
    }
    if (gan_fid_stats_create(&st, dim) != GAN_OK ||
        gan_metrics_run_generator(mt, gen, seed, (size_t)n, st, probs, (size_t)n * k) != GAN_OK ||
        gan_frechet_distance(ref, st, &fid) != GAN_OK ||
        gan_inception_score(probs, (size_t)n * k, (size_t)n, 10, &is, &is_sd) != GAN_OK) {
        cli_lib_error(CMD, argv[optind]);
        goto out;
    }
    printf("model:      %s\n", argv[optind]);
    printf("protocol:   feature network %s (id %08x, %zu features, %zu classes); reference "
           "%s; %llu samples, latent seed %llu; IS over 10 splits\n", clf_path, (unsigned)id,
           dim, k, ref_desc, (unsigned long long)n, (unsigned long long)seed);
    printf("FID:        %.4f\n", fid);
    printf("IS:         %.4f +- %.4f\n", is, is_sd);
    printf("time:       %.1f s\n", cli_now() - t0);
    rc = CLI_EXIT_OK;
out:
    free(probs);
    gan_fid_stats_free(st);
    gan_fid_stats_free(ref);
    gan_dataset_free(test);
    gan_metrics_free(mt);
    gan_model_free(clf);
    gan_model_free(gen);
    return rc;
}
