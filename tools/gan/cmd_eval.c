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
    const char *ref_path = NULL, *data = GAN_FASHION_MNIST_DIR;
    uint64_t n = 10000, seed = 0, layer_plus1 = 0;
    int ch, rc = CLI_EXIT_RUNTIME, explicit_ref = 0;
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
    if ((rc = cli_fid_open(&f, CMD, clf_path, (int)layer_plus1 - 1, ref_path, explicit_ref, data)) != 0) {
        gan_model_free(gen);
        return rc;
    }
    if ((rc = cli_fid_measure(&f, CMD, gen, seed, (size_t)n, &fid, &is, &is_sd)) == CLI_EXIT_OK) {
        printf("model:      %s\n", argv[optind]);
        printf("protocol:   feature network %s (id %08x, %zu features, %zu classes); reference "
               "%s; %llu samples, latent seed %llu; IS over 10 splits\n", clf_path, (unsigned)f.id,
               f.dim, f.k, f.ref_desc, (unsigned long long)n, (unsigned long long)seed);
        printf("FID:        %.4f\n", fid);
        printf("IS:         %.4f +- %.4f\n", is, is_sd);
        printf("time:       %.1f s\n", cli_now() - t0);
    }
    cli_fid_close(&f);
    gan_model_free(gen);
    return rc;
}
