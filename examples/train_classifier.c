/*
 * train_classifier.c -- trains the Fashion-MNIST classifier that libgan's
 * metrics (FID, Inception Score) use as their feature network, and saves
 * it as a model file.  The shipped models/fashion_mnist_classifier.gan is
 * the output of scripts/make_classifier.sh, which runs this program with
 * its defaults; docs/metrics.md records the result.
 *
 * Network (28x28x1 in, NHWC floats in [-1, 1] as libgan's datasets give):
 *   conv 3x3x32 stride 1 same, BN, ReLU        28x28x32
 *   conv 3x3x32 stride 2 same, BN, ReLU        14x14x32
 *   conv 3x3x64 stride 2 same, BN, ReLU         7x7x64
 *   conv 3x3x64 stride 2 same, BN, ReLU         4x4x64
 *   flatten, dropout 0.3, dense 128, ReLU      the 128 features (layer 15)
 *   dense 10                                   class logits
 * Adam (lr 1e-3, halved for each of the last epochs), batch 128, softmax
 * cross-entropy.  Weights, shuffling and dropout come from --seed, so a
 * run is reproducible with the same seed, thread count and build.
 *
 *   train_classifier [--data DIR] [--epochs N] [--batch N] [--limit N]
 *                    [--seed S] [--threads N] [--out FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gan.h"

static int fail(const char *what)
{
    fprintf(stderr, "train_classifier: %s: %s\n", what, gan_last_error());
    return 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define TRY(call)                                                              \
    do {                                                                       \
        if ((call) != GAN_OK)                                                  \
            return fail(#call);                                                \
    } while (0)

static gan_status add_conv(gan_model *m, int filters, int stride)
{
    gan_conv2d_config c;
    gan_status st;
    GAN_CONV2D_CONFIG_INIT(&c);
    c.filters = filters;
    c.kernel_h = c.kernel_w = 3;
    c.stride_h = c.stride_w = stride;
    c.padding = GAN_PADDING_SAME;
    c.use_bias = 0; /* batchnorm's beta is the bias */
    if ((st = gan_model_add_conv2d(m, &c)) != GAN_OK ||
        (st = gan_model_add_batchnorm(m, NULL)) != GAN_OK)
        return st;
    return gan_model_add_relu(m);
}

static int build(gan_model **out, uint64_t seed)
{
    int in[3] = {28, 28, 1};
    gan_dense_config d;
    gan_model *m = NULL;
    TRY(gan_model_create(&m, 3, in));
    *out = m;
    TRY(gan_model_init_params(m, seed));
    TRY(add_conv(m, 32, 1));
    TRY(add_conv(m, 32, 2));
    TRY(add_conv(m, 64, 2));
    TRY(add_conv(m, 64, 2));
    TRY(gan_model_add_flatten(m));
    TRY(gan_model_add_dropout(m, 0.3f));
    GAN_DENSE_CONFIG_INIT(&d);
    d.units = 128;
    TRY(gan_model_add_dense(m, &d));
    TRY(gan_model_add_relu(m));
    d.units = 10;
    TRY(gan_model_add_dense(m, &d));
    TRY(gan_model_set_seed(m, seed));
    return 0;
}

int main(int argc, char **argv)
{
    const char *data = GAN_FASHION_MNIST_DIR, *out_path = NULL;
    unsigned epochs = 4;
    size_t batch = 128, limit = 0, n_batches, in_e = 28 * 28;
    uint64_t seed = 1;
    int threads = 2;
    gan_model *m = NULL;
    gan_optimizer *opt = NULL;
    gan_dataset *train = NULL, *test = NULL;
    gan_optimizer_config oc;
    gan_batch_config bc;
    float *x, lr = 1e-3f, test_loss, test_acc;
    int32_t *labels;
    double t0 = now();
    char summary[4096];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h") || !v) {
            printf("usage: %s [--data DIR] [--epochs N] [--batch N] [--limit N] [--seed S] "
                   "[--threads N] [--out FILE]\n", argv[0]);
            return strcmp(a, "--help") && strcmp(a, "-h") ? 2 : 0;
        }
        if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--epochs")) epochs = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--batch")) batch = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--limit")) limit = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--out")) out_path = v;
        else {
            fprintf(stderr, "train_classifier: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (epochs == 0 || batch == 0)
        return fprintf(stderr, "train_classifier: --epochs and --batch must be > 0\n"), 2;
    TRY(gan_set_threads(threads));
    if (build(&m, seed))
        return 1;
    TRY(gan_model_summary(m, summary, sizeof summary, NULL));
    fputs(summary, stdout);

    TRY(gan_dataset_load_mnist_dir(&train, data, 1));
    TRY(gan_dataset_load_mnist_dir(&test, data, 0));
    if (limit) {
        TRY(gan_dataset_limit(train, limit));
        TRY(gan_dataset_limit(test, limit));
    }
    GAN_BATCH_CONFIG_INIT(&bc);
    bc.batch_size = batch;
    bc.seed = seed;
    bc.drop_remainder = 1;
    TRY(gan_dataset_set_batching(train, &bc));
    TRY(gan_dataset_batches_per_epoch(train, &n_batches));

    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    oc.kind = GAN_OPTIM_ADAM;
    oc.lr = lr;
    TRY(gan_optimizer_create(&opt, m, &oc));
    x = malloc(batch * in_e * sizeof *x);
    labels = malloc(batch * sizeof *labels);
    if (!x || !labels)
        return fprintf(stderr, "train_classifier: out of memory\n"), 1;

    for (unsigned e = 1; e <= epochs; e++) {
        double te = now(), sum_loss = 0.0, sum_acc = 0.0;
        size_t n, steps = 0;
        /* Constant lr, then halved for each of the last two epochs. */
        if (epochs >= 3 && e + 2 > epochs)
            TRY(gan_optimizer_set_lr(opt, lr *= 0.5f));
        for (;;) {
            float loss, acc;
            gan_status st = gan_dataset_next_batch(train, x, batch * in_e, labels, &n, NULL);
            if (st == GAN_DONE)
                break;
            if (st != GAN_OK)
                return fail("gan_dataset_next_batch");
            TRY(gan_model_train_classifier_step(m, opt, x, n * in_e, labels, n, &loss, &acc));
            sum_loss += loss;
            sum_acc += acc;
            steps++;
        }
        TRY(gan_model_evaluate_classifier(m, test, 256, &test_loss, &test_acc));
        printf("epoch %u/%u | lr %.2g | train loss %.4f acc %.4f | test loss %.4f acc %.4f | "
               "%.1f s\n", e, epochs, (double)lr, sum_loss / (double)steps,
               sum_acc / (double)steps, (double)test_loss, (double)test_acc, now() - te);
        fflush(stdout);
    }
    printf("test accuracy %.4f (%s t10k), %.1f s in all, seed %llu, %d threads\n",
           (double)test_acc, data, now() - t0, (unsigned long long)seed, threads);
    if (out_path) {
        TRY(gan_model_save(m, out_path));
        printf("saved %s\n", out_path);
    }
    free(x);
    free(labels);
    gan_optimizer_free(opt);
    gan_dataset_free(train);
    gan_dataset_free(test);
    gan_model_free(m);
    return 0;
}
