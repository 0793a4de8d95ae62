/*
 * bench_gan.c -- libgan's speed on the seed workloads (issue 9).
 *
 *   bench_gan [--reps N] [--warmup N] [--threads T] [--batch B]
 *             [--workload cifar|mnist|all] [--what train|sample|all] [--only-batch]
 *
 * Workloads: the CIFAR-10 DCGAN and the MNIST-style GAN presets.
 *   train   one gan_trainer_step (G forward, D on real and fake, G through
 *           D, Adam updates of both) per repetition, batch B (64)
 *   sample  the generator in GAN_MODE_INFER at batch B and at batch 1
 *           (gan_sampler_generate when the library has it, else
 *           gan_model_forward); CIFAR only unless --workload mnist
 * Each measurement runs in a child process (so its peak RSS, from wait4's
 * rusage, is its own): warm-up steps, then N timed repetitions; it prints
 * the median, min, max and interquartile range of the time per repetition,
 * images/s from the median, and achieved GFLOP/s from FLOPs counted
 * analytically from the layer shapes (2 FLOPs per multiply-add of dense,
 * conv and transposed-conv layers; a training step counts G forward,
 * G backward (weights everywhere, inputs above the first layer), two D
 * forwards, two D backwards with weight gradients and one D backward to
 * the images).  Lines starting with "RESULT" are for bench/compare.sh.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gan.h"

#define CHECK(call)                                                                    \
    do {                                                                               \
        gan_status st_ = (call);                                                       \
        if (st_ < 0) {                                                                 \
            fprintf(stderr, "bench_gan: %s failed: %s\n", #call, gan_last_error());    \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile q of sorted v[0..n) (linear interpolation). */
static double quantile(const double *v, int n, double q)
{
    double pos = q * (n - 1);
    int i = (int)pos;
    if (i >= n - 1)
        return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

/* Multiply-adds of one forward pass per sample, per layer, into macs[]. */
static size_t layer_macs(const gan_model *m, double *macs, size_t cap)
{
    size_t n = 0, nd, nd_in;
    int out[3], in[3];
    CHECK(gan_model_layer_count(m, &n));
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++) {
        gan_layer_kind k;
        size_t params = 0;
        CHECK(gan_model_layer_kind(m, i, &k));
        CHECK(gan_model_shape(m, i ? i - 1 : GAN_MODEL_INPUT, &nd_in, in));
        CHECK(gan_model_shape(m, i, &nd, out));
        CHECK(gan_model_layer_sizes(m, i, &params, NULL));
        macs[i] = 0.0;
        if (k == GAN_LAYER_DENSE) {
            macs[i] = (double)params;   /* in*out weights (+ bias: negligible) */
        } else if (k == GAN_LAYER_CONV2D) {
            macs[i] = (double)out[0] * out[1] * (double)params;  /* per output position */
        } else if (k == GAN_LAYER_CONV2D_TRANSPOSE) {
            macs[i] = (double)in[0] * in[1] * (double)params;    /* per input position */
        }
    }
    return n;
}

static double forward_flops(const gan_model *m)
{
    double macs[64], f = 0.0;
    size_t n = layer_macs(m, macs, 64);
    for (size_t i = 0; i < n; i++)
        f += 2.0 * macs[i];
    return f;
}

/* FLOPs of one training step per sample (see the header comment). */
static double train_flops(const gan_model *g, const gan_model *d)
{
    double mg[64], md[64], f = 0.0;
    size_t ng = layer_macs(g, mg, 64), nd = layer_macs(d, md, 64);
    int first = 1;
    for (size_t i = 0; i < ng; i++) {
        if (mg[i] == 0.0)
            continue;
        f += 2.0 * mg[i] * (first ? 2 : 3);      /* fwd + dW (+ dX) */
        first = 0;
    }
    first = 1;
    for (size_t i = 0; i < nd; i++) {
        if (md[i] == 0.0)
            continue;
        /* 2 fwd + 2 dW + 2 dX (not for the first layer) + 1 dX (G pass) */
        f += 2.0 * md[i] * (first ? 5 : 7);
        first = 0;
    }
    return f;
}

typedef struct opts {
    int reps, warmup, threads, batch;
} opts;

typedef struct result {
    double med, min, max, q1, q3;
} result;

static result summarise(double *t, int n)
{
    result r;
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    r.med = quantile(t, n, 0.5);
    r.min = t[0];
    r.max = t[n - 1];
    r.q1 = quantile(t, n, 0.25);
    r.q3 = quantile(t, n, 0.75);
    return r;
}

static void report(const char *what, const char *workload, int batch, const result *r,
                   double flops_per_img)
{
    double ips = batch / r->med;
    printf("RESULT impl=libgan what=%s workload=%s batch=%d median_ms=%.3f min_ms=%.3f "
           "max_ms=%.3f q1_ms=%.3f q3_ms=%.3f img_s=%.1f gflop_s=%.1f gflop_per_img=%.4f\n",
           what, workload, batch, 1e3 * r->med, 1e3 * r->min, 1e3 * r->max, 1e3 * r->q1,
           1e3 * r->q3, ips, ips * flops_per_img * 1e-9, flops_per_img * 1e-9);
    fflush(stdout);
}

static void fill_uniform(float *x, size_t n, unsigned seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        x[i] = (float)((double)(s >> 11) / 9007199254740992.0) * 2.0f - 1.0f;
    }
}

static void bench_train(const opts *o, const char *name, gan_preset gp, gan_preset dp)
{
    gan_model *g, *d;
    gan_optimizer *go, *dopt;
    gan_loss *loss;
    gan_trainer *t;
    gan_optimizer_config oc;
    size_t nd, img = 1;
    int dims[3];
    double *times = malloc(sizeof(double) * (size_t)o->reps);
    CHECK(gan_model_create_preset(&g, gp));
    CHECK(gan_model_create_preset(&d, dp));
    CHECK(gan_model_init_params(g, 1));
    CHECK(gan_model_init_params(d, 2));
    CHECK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    oc.lr = 2e-4f;
    oc.beta1 = 0.5f;
    CHECK(gan_optimizer_create(&go, g, &oc));
    CHECK(gan_optimizer_create(&dopt, d, &oc));
    gan_loss_config lc;
    CHECK(GAN_LOSS_CONFIG_INIT(&lc));
    CHECK(gan_loss_create(&loss, &lc));
    CHECK(gan_trainer_create(&t, g, d, go, dopt, loss, NULL));
    CHECK(gan_model_shape(d, GAN_MODEL_INPUT, &nd, dims));
    for (size_t i = 0; i < nd; i++)
        img *= (size_t)dims[i];
    float *real = malloc(sizeof(float) * img * (size_t)o->batch);
    fill_uniform(real, img * (size_t)o->batch, 7);
    for (int i = 0; i < o->warmup; i++)
        CHECK(gan_trainer_step(t, real, img * (size_t)o->batch, (size_t)o->batch, NULL));
    for (int i = 0; i < o->reps; i++) {
        double t0 = now_s();
        CHECK(gan_trainer_step(t, real, img * (size_t)o->batch, (size_t)o->batch, NULL));
        times[i] = now_s() - t0;
    }
    result r = summarise(times, o->reps);
    report("train", name, o->batch, &r, train_flops(g, d));
    gan_trainer_free(t);
    gan_loss_free(loss);
    gan_optimizer_free(go);
    gan_optimizer_free(dopt);
    gan_model_free(g);
    gan_model_free(d);
    free(real);
    free(times);
}

/* gan_sampler_* looked up at run time: the sampler may not be in this
   build of the library yet. */
typedef gan_status (*sampler_create_fn)(gan_sampler **, const gan_model *, uint64_t, size_t);
typedef gan_status (*sampler_gen_fn)(gan_sampler *, const float *, size_t, size_t, float *, size_t);
typedef void (*sampler_free_fn)(gan_sampler *);

static void bench_sample(const opts *o, const char *name, gan_preset gp, int batch)
{
    gan_model *g;
    size_t nd, img = 1, lat;
    int dims[3];
    double *times = malloc(sizeof(double) * (size_t)o->reps);
    sampler_create_fn screate = (sampler_create_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "gan_sampler_create");
    sampler_gen_fn sgen = (sampler_gen_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "gan_sampler_generate");
    sampler_free_fn sfree = (sampler_free_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "gan_sampler_free");
    gan_sampler *s = NULL;
    int reps = batch == 1 ? o->reps * 4 : o->reps;
    times = realloc(times, sizeof(double) * (size_t)reps);
    CHECK(gan_model_create_preset(&g, gp));
    CHECK(gan_model_init_params(g, 1));
    lat = (size_t)gan_preset_latent_dim(gp);
    {
        size_t nl;
        CHECK(gan_model_layer_count(g, &nl));
        CHECK(gan_model_shape(g, nl - 1, &nd, dims));
    }
    for (size_t i = 0; i < nd; i++)
        img *= (size_t)dims[i];
    float *z = malloc(sizeof(float) * lat * (size_t)batch);
    float *y = malloc(sizeof(float) * img * (size_t)batch);
    fill_uniform(z, lat * (size_t)batch, 3);
    if (screate && sgen && sfree && screate(&s, g, 1, (size_t)batch) != GAN_OK)
        s = NULL;
    for (int i = 0; i < o->warmup + reps; i++) {
        double t0 = now_s();
        if (s)
            CHECK(sgen(s, z, lat * (size_t)batch, (size_t)batch, y, img * (size_t)batch));
        else
            CHECK(gan_model_forward(g, z, lat * (size_t)batch, (size_t)batch, GAN_MODE_INFER, y,
                                    img * (size_t)batch));
        if (i >= o->warmup)
            times[i - o->warmup] = now_s() - t0;
    }
    result r = summarise(times, reps);
    report(s ? "sample(sampler)" : "sample(forward)", name, batch, &r, forward_flops(g));
    if (s)
        sfree(s);
    gan_model_free(g);
    free(z);
    free(y);
    free(times);
}

/* Run fn in a child; report the child's peak RSS. */
static void in_child(const opts *o, const char *what, const char *name, int kind, gan_preset gp,
                     gan_preset dp, int batch)
{
    pid_t pid;
    int status;
    struct rusage ru;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        CHECK(gan_set_threads(o->threads));
        if (kind == 0)
            bench_train(o, name, gp, dp);
        else
            bench_sample(o, name, gp, batch);
        fflush(stdout);
        _exit(0);
    }
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_gan: %s %s failed\n", what, name);
        exit(1);
    }
    printf("RESULT impl=libgan what=rss-%s workload=%s batch=%d peak_rss_mib=%.1f\n", what, name,
           batch, ru.ru_maxrss / 1024.0);
    fflush(stdout);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_gan [--reps N] [--warmup N] [--threads T] [--batch B]\n"
                    "                 [--workload cifar|mnist|all] [--what train|sample|all]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    opts o = {30, 5, 2, 64};
    const char *workload = "all", *what = "all";
    int only_batch = 0;
    char info[1024];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--only-batch")) {   /* sampling: only --batch, not also 1 */
            only_batch = 1;
            continue;
        }
        if (!v)
            usage();
        if (!strcmp(a, "--reps"))
            o.reps = atoi(v);
        else if (!strcmp(a, "--warmup"))
            o.warmup = atoi(v);
        else if (!strcmp(a, "--threads"))
            o.threads = atoi(v);
        else if (!strcmp(a, "--batch"))
            o.batch = atoi(v);
        else if (!strcmp(a, "--workload"))
            workload = v;
        else if (!strcmp(a, "--what"))
            what = v;
        else
            usage();
        i++;
    }
    if (o.reps < 1 || o.warmup < 0 || o.batch < 1)
        usage();
    CHECK(gan_set_threads(o.threads));
    CHECK(gan_blas_info(info, sizeof info, NULL));
    printf("# libgan %s; %s\n", gan_version(), info);
    printf("# reps %d, warm-up %d, threads %d, batch %d\n", o.reps, o.warmup, o.threads, o.batch);
    int cifar = !strcmp(workload, "all") || !strcmp(workload, "cifar");
    int mnist = !strcmp(workload, "all") || !strcmp(workload, "mnist");
    int train = !strcmp(what, "all") || !strcmp(what, "train");
    int sample = !strcmp(what, "all") || !strcmp(what, "sample");
    if (train && cifar)
        in_child(&o, "train", "cifar", 0, GAN_PRESET_DCGAN_CIFAR10_GENERATOR,
                 GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR, o.batch);
    if (train && mnist)
        in_child(&o, "train", "mnist", 0, GAN_PRESET_MNIST_GENERATOR,
                 GAN_PRESET_MNIST_DISCRIMINATOR, o.batch);
    if (sample && cifar) {
        in_child(&o, "sample", "cifar", 1, GAN_PRESET_DCGAN_CIFAR10_GENERATOR, 0, o.batch);
        if (!only_batch && o.batch != 1)
            in_child(&o, "sample", "cifar", 1, GAN_PRESET_DCGAN_CIFAR10_GENERATOR, 0, 1);
    }
    if (sample && mnist && strcmp(workload, "all") != 0) {
        in_child(&o, "sample", "mnist", 1, GAN_PRESET_MNIST_GENERATOR, 0, o.batch);
        if (!only_batch && o.batch != 1)
            in_child(&o, "sample", "mnist", 1, GAN_PRESET_MNIST_GENERATOR, 0, 1);
    }
    return 0;
}
