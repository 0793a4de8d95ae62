/* example_common.c -- see example_common.h. */
#include "example_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int ex_fail(const char *what)
{
    fprintf(stderr, "error: %s: %s\n", what, gan_last_error());
    return 1;
}

int ex_parse(int argc, char **argv, ex_options *o, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || v == NULL) {
            fprintf(stderr, "usage: %s [--data PATH] [--epochs N] [--batch N] [--limit N] [--seed N]\n%s",
                    argv[0], usage);
            return 1;
        }
        if (strcmp(a, "--data") == 0)
            o->data = v;
        else if (strcmp(a, "--epochs") == 0)
            o->epochs = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--batch") == 0)
            o->batch = strtoul(v, NULL, 10);
        else if (strcmp(a, "--limit") == 0)
            o->limit = strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            o->seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], a);
            return 1;
        }
        i++;
    }
    if (o->epochs == 0 || o->batch == 0) {
        fprintf(stderr, "%s: --epochs and --batch must be positive\n", argv[0]);
        return 1;
    }
    return 0;
}

static int is_cifar(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    char probe[4096];
    if (n > 4 && strcmp(path + n - 4, ".bin") == 0)
        return 1;
    snprintf(probe, sizeof probe, "%s/data_batch_1.bin", path);
    return stat(probe, &st) == 0;
}

gan_dataset *ex_load(const ex_options *o, int h, int w, int c)
{
    gan_dataset *ds = NULL, *conv = NULL;
    const char *path = o->data ? o->data : GAN_FASHION_MNIST_DIR;
    gan_status st;
    gan_batch_config bc;
    size_t ndim, n;
    int dims[3];
    if (is_cifar(path))
        st = gan_dataset_load_cifar10(&ds, path, 1);
    else
        st = gan_dataset_load_mnist_dir(&ds, path, 1);
    if (st != GAN_OK) {
        ex_fail(path);
        if (!o->data)
            fprintf(stderr, "hint: apt-get install dataset-fashion-mnist\n");
        return NULL;
    }
    gan_dataset_shape(ds, &ndim, dims);
    if (ndim != 3 || dims[0] != h || dims[1] != w || dims[2] != c) {
        if (gan_dataset_convert(&conv, ds, h, w, c) != GAN_OK) {
            ex_fail("convert");
            gan_dataset_free(ds);
            return NULL;
        }
        printf("data: %s, samples %dx%dx%d converted to %dx%dx%d\n", path, dims[0], dims[1], dims[2],
               h, w, c);
        gan_dataset_free(ds);
        ds = conv;
    } else {
        printf("data: %s, samples %dx%dx%d\n", path, h, w, c);
    }
    GAN_BATCH_CONFIG_INIT(&bc);
    bc.batch_size = o->batch;
    bc.seed = o->seed;
    bc.drop_remainder = o->drop_remainder;
    if (gan_dataset_limit(ds, o->limit) != GAN_OK || gan_dataset_set_batching(ds, &bc) != GAN_OK) {
        ex_fail("batching");
        gan_dataset_free(ds);
        return NULL;
    }
    gan_dataset_size(ds, &n);
    printf("training on %zu images, batch %zu, %u epoch(s)\n", n, o->batch, o->epochs);
    return ds;
}

typedef struct ex_progress {
    unsigned epochs;
    size_t images_per_step;
    uint64_t steps;
    double t0;
} ex_progress;

static double ex_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int on_step(const gan_step_stats *s, uint64_t step, void *user)
{
    ex_progress *p = user;
    (void)s;
    p->steps = step;
    return 0;
}

static int on_epoch(uint64_t epoch, const gan_step_stats *mean, void *user)
{
    ex_progress *p = user;
    double dt = ex_now() - p->t0;
    /* The seed notebooks' line, then what they did not show. */
    printf("Epoch %llu/%u | G Loss: %.4f | D Loss: %.4f | D(real) %.3f D(fake) %.3f | %.1f img/s\n",
           (unsigned long long)epoch, p->epochs, mean->g_loss, mean->d_loss, mean->d_real,
           mean->d_fake, dt > 0 ? (double)(p->steps * p->images_per_step) / dt : 0.0);
    fflush(stdout);
    return 0;
}

int ex_fit(gan_trainer *t, gan_dataset *ds, const ex_options *o)
{
    ex_progress p;
    gan_status st;
    p.epochs = o->epochs;
    p.images_per_step = o->batch;
    p.steps = 0;
    p.t0 = ex_now();
    st = gan_trainer_fit(t, ds, o->epochs, on_step, on_epoch, &p);
    if (st < 0)
        return ex_fail("training");
    return 0;
}

int ex_build(ex_gan *x, gan_preset gp, gan_preset dp, const gan_optimizer_config *oc,
             const gan_loss_config *lc, int n_critic, const ex_options *o)
{
    gan_trainer_config tc;
    memset(x, 0, sizeof *x);
    GAN_TRAINER_CONFIG_INIT(&tc);
    tc.seed = o->seed;
    tc.n_critic = n_critic;
    if (gan_model_create_preset(&x->g, gp) != GAN_OK || gan_model_create_preset(&x->d, dp) != GAN_OK ||
        gan_model_init_params(x->g, o->seed) != GAN_OK ||
        gan_model_init_params(x->d, o->seed + 1) != GAN_OK ||
        gan_optimizer_create(&x->g_opt, x->g, oc) != GAN_OK ||
        gan_optimizer_create(&x->d_opt, x->d, oc) != GAN_OK || gan_loss_create(&x->loss, lc) != GAN_OK ||
        gan_trainer_create(&x->trainer, x->g, x->d, x->g_opt, x->d_opt, x->loss, &tc) != GAN_OK) {
        ex_fail("setup");
        ex_free(x);
        return 1;
    }
    return 0;
}

void ex_free(ex_gan *x)
{
    gan_trainer_free(x->trainer);
    gan_loss_free(x->loss);
    gan_optimizer_free(x->g_opt);
    gan_optimizer_free(x->d_opt);
    gan_model_free(x->g);
    gan_model_free(x->d);
    memset(x, 0, sizeof *x);
}

int ex_run(ex_gan *x, const ex_options *o)
{
    size_t ndim;
    int dims[3], rc = 1;
    gan_dataset *ds;
    gan_model_shape(x->d, GAN_MODEL_INPUT, &ndim, dims);
    if ((ds = ex_load(o, dims[0], dims[1], dims[2])) != NULL)
        rc = ex_fit(x->trainer, ds, o);
    gan_dataset_free(ds);
    ex_free(x);
    return rc;
}
