/*
 * fashion_metrics.c -- measures FID and Inception Score on Fashion-MNIST
 * with libgan's metrics API, under the protocol of docs/metrics.md:
 *
 *   feature network  models/fashion_mnist_classifier.gan, features = the
 *                    input of its last layer (the 128 ReLU units)
 *   reference set    Fashion-MNIST t10k (10,000 images)
 *   samples          10,000 per measured set; latent seed 0 for generators
 *
 * It prints the classifier's test accuracy; FID of the training set (first
 * 10,000 images, and all 60,000) against the test set; FID and IS of
 * uniform noise images; IS of the test set and of one image repeated; and,
 * with --generator FILE (a model file or training checkpoint), FID and IS
 * of 10,000 generated images.  --save-stats FILE writes the test set's
 * statistics for reuse (gan_fid_stats_load).  --check turns the expected
 * properties into test assertions (ctest runs it so):
 *   accuracy >= 0.90, FID(train, test) small, FID(noise) large,
 *   IS(test) close to 10, IS(one image) == 1.
 *
 *   fashion_metrics [--model FILE] [--data DIR] [--generator FILE]
 *                   [--samples N] [--train N] [--seed S] [--save-stats FILE]
 *                   [--check]
 * --samples sets the noise, repeated-image and generated counts (10,000);
 * --train the training images of the second train-vs-test FID (all).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"

#ifndef GAN_SOURCE_DIR
#  define GAN_SOURCE_DIR "."
#endif

static int passed, failed;

static void check(int ok, const char *what, double value)
{
    printf("%s %s (%.6g)\n", ok ? "ok  " : "FAIL", what, value);
    if (ok)
        passed++;
    else
        failed++;
}

static int fail(const char *what)
{
    fprintf(stderr, "fashion_metrics: %s: %s\n", what, gan_last_error());
    return 1;
}

#define TRY(call)                                                              \
    do {                                                                       \
        if ((call) != GAN_OK)                                                  \
            return fail(#call);                                                \
    } while (0)

int main(int argc, char **argv)
{
    const char *model_path = GAN_SOURCE_DIR "/models/fashion_mnist_classifier.gan";
    const char *data = GAN_FASHION_MNIST_DIR, *gen_path = NULL, *stats_path = NULL;
    size_t samples = 10000, n_train = 0, dim, k, n_test, n_img = 28 * 28;
    uint64_t seed = 0;
    int do_check = 0;
    gan_model *clf = NULL, *gen = NULL;
    gan_metrics *mt = NULL;
    gan_dataset *train = NULL, *test = NULL;
    gan_fid_stats *s_test = NULL, *s_train10k = NULL, *s_train = NULL, *s_noise = NULL,
                  *s_gen = NULL;
    float *probs, *img, acc, loss;
    double fid_10k, fid_60k, fid_noise, is_test, is_test_sd, is_noise, is_noise_sd, is_one,
        is_one_sd;
    uint32_t id;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--check")) {
            do_check = 1;
            continue;
        }
        if (!v || !strcmp(a, "--help")) {
            printf("usage: %s [--model FILE] [--data DIR] [--generator FILE] [--samples N] "
                   "[--train N] [--seed S] [--save-stats FILE] [--check]\n", argv[0]);
            return v ? 0 : 2;
        }
        if (!strcmp(a, "--model")) model_path = v;
        else if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--generator")) gen_path = v;
        else if (!strcmp(a, "--samples")) samples = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--train")) n_train = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--save-stats")) stats_path = v;
        else {
            fprintf(stderr, "fashion_metrics: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (samples < 10)
        return fprintf(stderr, "fashion_metrics: --samples must be >= 10\n"), 2;

    TRY(gan_model_load(&clf, model_path));
    TRY(gan_dataset_load_mnist_dir(&train, data, 1));
    TRY(gan_dataset_load_mnist_dir(&test, data, 0));
    TRY(gan_dataset_size(test, &n_test));
    TRY(gan_model_evaluate_classifier(clf, test, 256, &loss, &acc));
    TRY(gan_metrics_create(&mt, clf, GAN_DEFAULT_FEATURE_LAYER, 256));
    TRY(gan_metrics_dims(mt, &dim, &k, &id));
    printf("protocol: feature network %s (id %08x), features = input of the last layer "
           "(%zu), %zu classes; reference = %s t10k (%zu images); %zu generated samples, "
           "latent seed %llu\n", model_path, (unsigned)id, dim, k, data, n_test, samples,
           (unsigned long long)seed);
    printf("classifier: test accuracy %.4f, test loss %.4f\n", (double)acc, (double)loss);

    probs = malloc((n_test > samples ? n_test : samples) * k * sizeof *probs);
    img = malloc(samples * n_img * sizeof *img);
    if (!probs || !img)
        return fprintf(stderr, "fashion_metrics: out of memory\n"), 1;
    TRY(gan_fid_stats_create(&s_test, dim));
    TRY(gan_fid_stats_create(&s_train10k, dim));
    TRY(gan_fid_stats_create(&s_train, dim));
    TRY(gan_fid_stats_create(&s_noise, dim));

    /* Real images. */
    TRY(gan_metrics_run_dataset(mt, test, 0, s_test, probs, n_test * k));
    TRY(gan_inception_score(probs, n_test * k, n_test, 10, &is_test, &is_test_sd));
    TRY(gan_metrics_run_dataset(mt, train, 10000, s_train10k, NULL, 0));
    TRY(gan_metrics_run_dataset(mt, train, n_train, s_train, NULL, 0));
    if (n_train == 0)
        TRY(gan_dataset_size(train, &n_train));
    TRY(gan_frechet_distance(s_train10k, s_test, &fid_10k));
    TRY(gan_frechet_distance(s_train, s_test, &fid_60k));
    if (stats_path) {
        TRY(gan_fid_stats_save(s_test, stats_path));
        printf("saved the test set's statistics to %s\n", stats_path);
    }

    /* Noise: uniform [-1, 1] pixels from a fixed LCG (independent of libgan). */
    {
        uint64_t r = 0x9e3779b97f4a7c15ULL ^ seed;
        for (size_t i = 0; i < samples * n_img; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            img[i] = (float)((double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
        }
    }
    TRY(gan_metrics_run(mt, img, samples * n_img, samples, s_noise, probs, samples * k));
    TRY(gan_frechet_distance(s_noise, s_test, &fid_noise));
    TRY(gan_inception_score(probs, samples * k, samples, 10, &is_noise, &is_noise_sd));

    /* One test image repeated `samples` times. */
    TRY(gan_dataset_get(test, 0, img, n_img, NULL));
    for (size_t i = 1; i < samples; i++)
        memcpy(img + i * n_img, img, n_img * sizeof *img);
    TRY(gan_metrics_run(mt, img, samples * n_img, samples, NULL, probs, samples * k));
    TRY(gan_inception_score(probs, samples * k, samples, 10, &is_one, &is_one_sd));

    printf("FID(train first 10k, test)  %.4f\n", fid_10k);
    printf("FID(train first %zu, test)  %.4f\n", n_train, fid_60k);
    printf("FID(uniform noise, test)    %.4f\n", fid_noise);
    printf("IS(test)                    %.4f +- %.4f\n", is_test, is_test_sd);
    printf("IS(uniform noise)           %.4f +- %.4f\n", is_noise, is_noise_sd);
    printf("IS(one image repeated)      %.6f +- %.6f\n", is_one, is_one_sd);

    if (gen_path) {
        double fid_gen, is_gen, is_gen_sd;
        TRY(gan_model_load(&gen, gen_path));
        TRY(gan_fid_stats_create(&s_gen, dim));
        TRY(gan_metrics_run_generator(mt, gen, seed, samples, s_gen, probs, samples * k));
        TRY(gan_frechet_distance(s_gen, s_test, &fid_gen));
        TRY(gan_inception_score(probs, samples * k, samples, 10, &is_gen, &is_gen_sd));
        printf("generator %s: FID %.4f, IS %.4f +- %.4f (%zu samples, seed %llu)\n", gen_path,
               fid_gen, is_gen, is_gen_sd, samples, (unsigned long long)seed);
    }

    if (do_check) {
        check(acc >= 0.90f, "classifier test accuracy >= 0.90", acc);
        check(fid_10k < 0.05 * fid_noise, "FID(train 10k, test) < 5% of FID(noise, test)", fid_10k);
        if (n_train > 10000)
            check(fid_60k <= fid_10k, "FID(train, more images, test) <= FID(train 10k, test)",
                  fid_60k);
        check(fid_noise > 100.0 * fid_60k, "FID(noise) > 100 x FID(train, test)", fid_noise);
        check(is_test > 7.5 && is_test <= 10.0, "IS(test) in (7.5, 10]", is_test);
        check(is_noise < is_test, "IS(noise) < IS(test)", is_noise);
        check(fabs(is_one - 1.0) < 1e-6, "IS(one image) == 1", is_one);
        printf("fashion_metrics: %d passed, %d failed\n", passed, failed);
    }
    free(probs);
    free(img);
    gan_fid_stats_free(s_test);
    gan_fid_stats_free(s_train10k);
    gan_fid_stats_free(s_train);
    gan_fid_stats_free(s_noise);
    gan_fid_stats_free(s_gen);
    gan_metrics_free(mt);
    gan_model_free(clf);
    gan_model_free(gen);
    gan_dataset_free(train);
    gan_dataset_free(test);
    return failed ? 1 : 0;
}
