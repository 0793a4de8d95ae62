/*
 * ring_modes.c -- mode coverage on the 8-Gaussian ring (issue 10 evidence).
 *
 *   ring_modes [--steps N] [--seeds S] [--batch B] [--sd X] [--threads T]
 *              [--variant NAME]...
 *
 * The classic mode-collapse benchmark (Metz et al., "Unrolled GANs"): real
 * points come from 8 Gaussians of standard deviation sd (0.02) evenly spaced
 * on a circle of radius 2.  G and D are MLPs with two hidden layers of 128
 * units (ReLU in G, LeakyReLU 0.2 in D), latent size 8.  Every variant gets
 * the same budget: the same number of generator updates at the same batch
 * size (a critic with n_critic 5 sees 5x the real data, as in the papers).
 *
 * After training, 2,000 samples are drawn from G (from its EMA average for
 * the ema variant).  A sample is "high quality" when it lies within 3 sd of
 * a mode centre; a mode is "covered" when it holds at least a fifth of its
 * fair share (2000/8/5 = 50) of high-quality samples.  Each variant runs
 * for S seeds and the program prints, per variant, the modes covered per
 * seed, their mean, the mean high-quality fraction and the wall time.
 *
 * Variants (all on the public API):
 *   bce      non-saturating BCE, Adam 1e-3 beta1 0.5 (the vanilla GAN)
 *   bce-ls   the same with one-sided label smoothing (real target 0.9)
 *   r1       the same with an R1 penalty, gamma 1
 *   mbd      the same with a minibatch discrimination layer (16 x 8) in D
 *   ema      the same, sampling an EMA (0.999) of G's weights
 *   wgan-gp  Wasserstein loss with gradient penalty lambda 0.1 (the toy
 *            setting of Gulrajani et al.'s code), Adam 1e-4 beta 0.5/0.9,
 *            n_critic 5
 *   sn       BCE with spectral normalisation of every dense layer of D
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gan.h"

#define LATENT 8
#define HIDDEN 128
#define N_EVAL 2000

#define CHECK(call)                                                                    \
    do {                                                                               \
        gan_status st_ = (call);                                                       \
        if (st_ < 0) {                                                                 \
            fprintf(stderr, "ring_modes: %s:%d: %s: %s\n", __FILE__, __LINE__,         \
                    gan_status_str(st_), gan_last_error());                            \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

typedef struct variant {
    const char *name;
    gan_loss_kind loss;
    float real_label, r1_gamma, gradient_penalty;
    int n_critic, mbd, spectral_norm;
    float ema;
    float lr, beta1, beta2;
} variant;

static const variant variants[] = {
    {"bce", GAN_LOSS_BCE, 1.0f, 0.0f, 0.0f, 1, 0, 0, 0.0f, 1e-3f, 0.5f, 0.999f},
    {"bce-ls", GAN_LOSS_BCE, 0.9f, 0.0f, 0.0f, 1, 0, 0, 0.0f, 1e-3f, 0.5f, 0.999f},
    {"r1", GAN_LOSS_BCE, 1.0f, 1.0f, 0.0f, 1, 0, 0, 0.0f, 1e-3f, 0.5f, 0.999f},
    {"mbd", GAN_LOSS_BCE, 1.0f, 0.0f, 0.0f, 1, 1, 0, 0.0f, 1e-3f, 0.5f, 0.999f},
    {"ema", GAN_LOSS_BCE, 1.0f, 0.0f, 0.0f, 1, 0, 0, 0.999f, 1e-3f, 0.5f, 0.999f},
    {"wgan-gp", GAN_LOSS_WASSERSTEIN, 1.0f, 0.0f, 0.1f, 5, 0, 0, 0.0f, 1e-4f, 0.5f, 0.9f},
    {"sn", GAN_LOSS_BCE, 1.0f, 0.0f, 0.0f, 1, 0, 1, 0.0f, 1e-3f, 0.5f, 0.999f},
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

/* The data stream: splitmix64 and Box-Muller, independent of libgan. */
static uint64_t data_state;

static double urand(void)
{
    uint64_t z = (data_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

static double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static void ring_points(float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++) {
        double a = (int)(urand() * 8) * 6.283185307179586 / 8;
        x[2 * i] = (float)(2 * cos(a) + sd * nrand());
        x[2 * i + 1] = (float)(2 * sin(a) + sd * nrand());
    }
}

static gan_model *mlp(int in, int out, int is_d, const variant *v, uint64_t seed)
{
    gan_model *m;
    gan_dense_config dc;
    int dims[1] = {in};
    CHECK(gan_model_create(&m, 1, dims));
    CHECK(GAN_DENSE_CONFIG_INIT(&dc));
    dc.spectral_norm = is_d && v->spectral_norm;
    dc.units = HIDDEN;
    for (int i = 0; i < 2; i++) {
        CHECK(gan_model_add_dense(m, &dc));
        CHECK(is_d ? gan_model_add_leaky_relu(m, 0.2f) : gan_model_add_relu(m));
    }
    if (is_d && v->mbd)
        CHECK(gan_model_add_minibatch_discrimination(m, 16, 8));
    dc.units = out;
    CHECK(gan_model_add_dense(m, &dc));
    CHECK(gan_model_init_params(m, seed));
    return m;
}

typedef struct outcome {
    int modes;
    double quality;
} outcome;

static outcome run(const variant *v, uint64_t seed, int steps, size_t batch, double sd)
{
    gan_model *g = mlp(LATENT, 2, 0, v, seed * 3 + 1), *d = mlp(2, 1, 1, v, seed * 3 + 2), *sg = g;
    gan_optimizer *go, *dopt;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_loss *loss;
    gan_trainer_config tc;
    gan_trainer *t;
    size_t nb = (size_t)v->n_critic * batch;
    float *x = malloc(sizeof(float) * nb * 2), *z = malloc(sizeof(float) * N_EVAL * LATENT),
          *y = malloc(sizeof(float) * N_EVAL * 2);
    int count[8] = {0}, near = 0;
    outcome o = {0, 0.0};

    if (!x || !z || !y) {
        fprintf(stderr, "ring_modes: out of memory\n");
        exit(1);
    }
    CHECK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    oc.kind = GAN_OPTIM_ADAM;
    oc.lr = v->lr;
    oc.beta1 = v->beta1;
    oc.beta2 = v->beta2;
    CHECK(gan_optimizer_create(&go, g, &oc));
    CHECK(gan_optimizer_create(&dopt, d, &oc));
    CHECK(GAN_LOSS_CONFIG_INIT(&lc));
    lc.kind = v->loss;
    lc.real_label = v->real_label;
    lc.r1_gamma = v->r1_gamma;
    lc.gradient_penalty = v->gradient_penalty;
    CHECK(gan_loss_create(&loss, &lc));
    CHECK(GAN_TRAINER_CONFIG_INIT(&tc));
    tc.seed = seed * 3 + 3;
    tc.n_critic = v->n_critic;
    tc.ema_decay = v->ema;
    CHECK(gan_trainer_create(&t, g, d, go, dopt, loss, &tc));

    data_state = seed * 0x2545F4914F6CDD1Dull + 7;
    for (int s = 0; s < steps; s++) {
        ring_points(x, nb, sd);
        CHECK(gan_trainer_step(t, x, nb * 2, batch, NULL));
    }

    if (v->ema > 0)
        CHECK(gan_trainer_ema_generator(t, &sg));
    for (size_t i = 0; i < (size_t)N_EVAL * LATENT; i++)
        z[i] = (float)nrand();
    CHECK(gan_model_forward(sg, z, (size_t)N_EVAL * LATENT, N_EVAL, GAN_MODE_INFER, y,
                            (size_t)N_EVAL * 2));
    for (int i = 0; i < N_EVAL; i++) {
        int best = 0;
        double bd = 1e300;
        for (int k = 0; k < 8; k++) {
            double a = k * 6.283185307179586 / 8;
            double dd = hypot(y[2 * i] - 2 * cos(a), y[2 * i + 1] - 2 * sin(a));
            if (dd < bd) {
                bd = dd;
                best = k;
            }
        }
        if (bd < 3 * sd) {
            near++;
            count[best]++;
        }
    }
    for (int k = 0; k < 8; k++)
        o.modes += count[k] >= N_EVAL / 8 / 5;
    o.quality = (double)near / N_EVAL;

    if (sg != g)
        gan_model_free(sg);
    gan_trainer_free(t);
    gan_loss_free(loss);
    gan_optimizer_free(go);
    gan_optimizer_free(dopt);
    gan_model_free(g);
    gan_model_free(d);
    free(x);
    free(z);
    free(y);
    return o;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ring_modes [--steps N] [--seeds S] [--batch B] [--sd X] [--threads T]\n"
               "                  [--variant NAME]...\n"
               "variants:");
    for (size_t i = 0; i < N_VARIANTS; i++)
        fprintf(f, " %s", variants[i].name);
    fprintf(f, "\n");
}

int main(int argc, char **argv)
{
    int steps = 2000, seeds = 5;
    size_t batch = 256;
    double sd = 0.02;
    int threads = 1, chosen[N_VARIANTS] = {0}, any = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (!val) {
            usage(stderr);
            return 2;
        }
        i++;
        if (strcmp(a, "--steps") == 0)
            steps = atoi(val);
        else if (strcmp(a, "--seeds") == 0)
            seeds = atoi(val);
        else if (strcmp(a, "--batch") == 0)
            batch = (size_t)atoi(val);
        else if (strcmp(a, "--sd") == 0)
            sd = atof(val);
        else if (strcmp(a, "--threads") == 0)
            threads = atoi(val);
        else if (strcmp(a, "--variant") == 0) {
            size_t k = 0;
            while (k < N_VARIANTS && strcmp(variants[k].name, val) != 0)
                k++;
            if (k == N_VARIANTS) {
                fprintf(stderr, "ring_modes: unknown variant '%s'\n", val);
                usage(stderr);
                return 2;
            }
            chosen[k] = any = 1;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (steps <= 0 || seeds <= 0 || batch == 0 || !(sd > 0) || threads < 0) {
        usage(stderr);
        return 2;
    }
    /* These networks are far too small to gain from BLAS threads (and a
       loaded machine makes threaded BLAS spin): one thread by default. */
    CHECK(gan_set_threads(threads));

    printf("8-Gaussian ring, radius 2, sd %.3g: %d generator steps, batch %zu, %d seeds\n", sd, steps,
           batch, seeds);
    printf("%-8s  %-24s  %10s  %12s  %8s\n", "variant", "modes per seed", "mean modes", "high quality",
           "seconds");
    for (size_t k = 0; k < N_VARIANTS; k++) {
        char per_seed[128] = "";
        double modes = 0, quality = 0;
        struct timespec t0, t1;
        if (any && !chosen[k])
            continue;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int s = 0; s < seeds; s++) {
            outcome o = run(&variants[k], (uint64_t)s + 1, steps, batch, sd);
            size_t len = strlen(per_seed);
            snprintf(per_seed + len, sizeof per_seed - len, "%s%d", s ? " " : "", o.modes);
            modes += o.modes;
            quality += o.quality;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("%-8s  %-24s  %10.1f  %11.1f%%  %8.1f\n", variants[k].name, per_seed, modes / seeds,
               100 * quality / seeds, (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
        fflush(stdout);
    }
    return 0;
}
