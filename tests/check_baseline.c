/*
 * check_baseline.c -- training is bit-identical to a recorded baseline.
 *
 * Each case builds a preset pair with one of the recipes libgan ships
 * (BCE/Adam, DCGAN, WGAN with clipping, WGAN-GP, spectral norm + hinge,
 * R1 + label smoothing, conditional, style), trains it a few steps on
 * seeded data and hashes every parameter and state value of both networks.
 * The expected hashes were recorded before libgan's sources were moved into
 * folders (issue 14), so any refactoring that changes a single bit of
 * training fails here.
 *
 * Every GEMM runs through the reference loop (gan__blas_force_ref), whose
 * results do not depend on the CPU or on which OpenBLAS kernel is loaded:
 * the recorded values hold on every machine.  The element-wise kernels'
 * SIMD variants compute the same bits as their scalar versions.
 *
 * The same recipes trained through a reducer of one worker (data-parallel
 * training's hook, gan_trainer_set_reducer, with sums over one worker
 * leaving every value as it is) must give the same hashes: with one worker
 * the distributed step computes exactly the single-process step.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"
#include "test_util.h"

extern int gan__blas_force_ref;

typedef struct recipe {
    const char *name;
    gan_preset g, d;
    gan_loss_kind loss;
    float clip, gp, r1, real_label;
    gan_optimizer_kind opt;
    float lr, beta1, beta2;
    int n_critic;
    float ema;
    int spectral_norm;    /* on every dense/conv layer of D */
    int labeled;
    uint64_t expected;    /* recorded before the move */
} recipe;

#define BATCH 2
#define STEPS 2

static const recipe recipes[] = {
    {.name = "mnist-gan", .g = GAN_PRESET_MNIST_GENERATOR, .d = GAN_PRESET_MNIST_DISCRIMINATOR,
     .loss = GAN_LOSS_BCE, .opt = GAN_OPTIM_ADAM, .lr = 1e-4f, .beta1 = 0.9f, .beta2 = 0.999f,
     .n_critic = 1, .ema = 0.999f, .expected = 0xe0fb8ff2d01cb89cull},
    {.name = "dcgan-cifar10", .g = GAN_PRESET_DCGAN_CIFAR10_GENERATOR,
     .d = GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR, .loss = GAN_LOSS_BCE, .opt = GAN_OPTIM_ADAM,
     .lr = 1e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .n_critic = 1, .expected = 0x64fd373f717aff93ull},
    {.name = "wgan", .g = GAN_PRESET_MNIST_GENERATOR, .d = GAN_PRESET_WGAN_CRITIC,
     .loss = GAN_LOSS_WASSERSTEIN, .clip = 0.01f, .opt = GAN_OPTIM_RMSPROP, .lr = 5e-5f,
     .n_critic = 3, .expected = 0x6fed4c123ea2ebeeull},
    {.name = "wgan-gp", .g = GAN_PRESET_MNIST_GENERATOR, .d = GAN_PRESET_WGAN_CRITIC,
     .loss = GAN_LOSS_WASSERSTEIN, .gp = 10.0f, .opt = GAN_OPTIM_ADAM, .lr = 1e-4f,
     .beta1 = 0.0f, .beta2 = 0.9f, .n_critic = 2, .expected = 0xa868e6c52c3222f3ull},
    {.name = "sngan", .g = GAN_PRESET_MNIST_GENERATOR, .d = GAN_PRESET_WGAN_CRITIC,
     .loss = GAN_LOSS_HINGE, .opt = GAN_OPTIM_ADAM, .lr = 1e-4f, .beta1 = 0.0f,
     .beta2 = 0.9f, .n_critic = 1, .spectral_norm = 1, .expected = 0x39a57cc487d24809ull},
    {.name = "mnist-gan-r1-ls", .g = GAN_PRESET_MNIST_GENERATOR,
     .d = GAN_PRESET_MNIST_DISCRIMINATOR, .loss = GAN_LOSS_BCE, .r1 = 1.0f, .real_label = 0.9f,
     .opt = GAN_OPTIM_ADAM, .lr = 2e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .n_critic = 1,
     .expected = 0x81b5e383c250f921ull},
    {.name = "cgan", .g = GAN_PRESET_CGAN_GENERATOR, .d = GAN_PRESET_CGAN_DISCRIMINATOR,
     .loss = GAN_LOSS_HINGE, .opt = GAN_OPTIM_ADAM, .lr = 2e-4f, .beta1 = 0.5f,
     .beta2 = 0.999f, .n_critic = 1, .labeled = 1, .expected = 0x607a276d83946dcaull},
    {.name = "style", .g = GAN_PRESET_STYLE_GENERATOR, .d = GAN_PRESET_WGAN_CRITIC,
     .loss = GAN_LOSS_WASSERSTEIN, .gp = 10.0f, .opt = GAN_OPTIM_ADAM, .lr = 1e-4f,
     .beta1 = 0.0f, .beta2 = 0.9f, .n_critic = 2, .expected = 0x31a339efc9a96f4aull},
};
#define N_RECIPES (sizeof recipes / sizeof recipes[0])

/* FNV-1a over bytes, chained. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Every layer's parameters, then its state, in layer order. */
static uint64_t hash_model(uint64_t h, const gan_model *m)
{
    size_t layers = 0;
    ck_assert_int_eq(gan_model_layer_count(m, &layers), GAN_OK);
    for (size_t i = 0; i < layers; i++) {
        size_t np = 0, ns = 0;
        ck_assert_int_eq(gan_model_layer_sizes(m, i, &np, &ns), GAN_OK);
        float *buf = tu_alloc(np + ns + 1);
        if (np)
            ck_assert_int_eq(gan_model_get_params(m, i, buf, np), GAN_OK);
        if (ns)
            ck_assert_int_eq(gan_model_get_state(m, i, buf + np, ns), GAN_OK);
        h = fnv1a(h, buf, (np + ns) * sizeof(float));
        free(buf);
    }
    return h;
}

/* A reducer of one worker: every sum is the value itself. */
static gan_status one_start(float *buf, size_t count, void *user)
{
    (void)buf, (void)count;
    ++*(int *)user;
    return GAN_OK;
}

static gan_status one_wait(void *user)
{
    (void)user;
    return GAN_OK;
}

static gan_status one_doubles(double *buf, size_t count, void *user)
{
    (void)buf, (void)count, (void)user;
    return GAN_OK;
}

static int with_reducer;    /* run_recipe attaches the one-worker reducer */
static int bucket_starts;   /* how many buckets it was asked to sum */

static uint64_t run_recipe(const recipe *r)
{
    tu_pair p;
    tu_pair_config c;
    gan_model *g = tu_preset(r->g), *d = tu_preset(r->d);
    gan_trainer *t;

    if (r->spectral_norm) {
        size_t layers = 0;
        ck_assert_int_eq(gan_model_layer_count(d, &layers), GAN_OK);
        for (size_t i = 0; i < layers; i++) {
            gan_layer_kind k;
            ck_assert_int_eq(gan_model_layer_kind(d, i, &k), GAN_OK);
            if (k == GAN_LAYER_DENSE || k == GAN_LAYER_CONV2D || k == GAN_LAYER_CONV2D_TRANSPOSE)
                ck_assert_int_eq(gan_model_set_spectral_norm(d, i, 1), GAN_OK);
        }
    }
    tu_pair_config_init(&c);
    c.opt.kind = r->opt;
    c.opt.lr = r->lr;
    if (r->opt == GAN_OPTIM_ADAM) {
        c.opt.beta1 = r->beta1;
        c.opt.beta2 = r->beta2;
    }
    c.loss.kind = r->loss;
    c.loss.clip = r->clip;
    c.loss.gradient_penalty = r->gp;
    c.loss.r1_gamma = r->r1;
    if (r->real_label > 0.0f)
        c.loss.real_label = r->real_label;
    c.trainer.n_critic = r->n_critic;
    c.trainer.seed = 42;
    c.trainer.ema_decay = r->ema;
    ck_assert_msg(tu_pair_create_models(&p, g, d, &c) == GAN_OK, "%s: %s", r->name,
                  gan_last_error());
    t = p.t;
    if (with_reducer) {
        gan_reducer_config rc;
        ck_assert_int_eq(GAN_REDUCER_CONFIG_INIT(&rc), GAN_OK);
        rc.sum_start = one_start;
        rc.sum_wait = one_wait;
        rc.sum_doubles = one_doubles;
        rc.bucket_bytes = 64 << 10;    /* several buckets per network */
        rc.user = &bucket_starts;
        ck_assert_int_eq(gan_trainer_set_reducer(t, &rc), GAN_OK);
    }

    size_t elems = tu_in_elems(d);
    size_t n = (size_t)r->n_critic * BATCH;
    float *real = tu_alloc(n * elems);
    int32_t *labels = calloc(n, sizeof *labels);
    ck_assert_ptr_nonnull(labels);
    for (int s = 0; s < STEPS; s++) {
        tu_fill(real, n * elems, 1000 + (uint64_t)s, -1.0f, 1.0f);
        for (size_t i = 0; i < n; i++)
            labels[i] = (int32_t)((i * 7 + (size_t)s) % 10);
        gan_status st = r->labeled
            ? gan_trainer_step_labeled(t, real, n * elems, labels, n, BATCH, NULL)
            : gan_trainer_step(t, real, n * elems, BATCH, NULL);
        ck_assert_msg(st == GAN_OK, "%s step %d: %s", r->name, s, gan_last_error());
    }
    uint64_t h = hash_model(0xcbf29ce484222325ull, g);
    h = hash_model(h, d);
    if (r->ema > 0.0f) {
        gan_model *e = NULL;
        ck_assert_int_eq(gan_trainer_ema_generator(t, &e), GAN_OK);
        h = hash_model(h, e);
        gan_model_free(e);
    }
    free(real);
    free(labels);
    tu_pair_free(&p);
    return h;
}

START_TEST(test_training_matches_baseline)
{
    const recipe *r = &recipes[_i];
    gan__blas_force_ref = 1;
    ck_assert_int_eq(gan_set_threads(1), GAN_OK);
    uint64_t h = run_recipe(r);
    gan__blas_force_ref = 0;
    if (getenv("GAN_BASELINE_PRINT"))
        printf("%-16s 0x%016llx\n", r->name, (unsigned long long)h);
    ck_assert_msg(h == r->expected, "%s: parameters hash to 0x%016llx, recorded 0x%016llx",
                  r->name, (unsigned long long)h, (unsigned long long)r->expected);
}
END_TEST

START_TEST(test_one_worker_reducer_matches_baseline)
{
    const recipe *r = &recipes[_i];
    /* Under GAN_TEST_SCALE=tiny (the sanitizer stage) five recipes cover
       batchnorm, dropout and EMA (mnist-gan), clipping with n_critic 3
       (wgan), the gradient penalty (wgan-gp), spectral normalisation
       (sngan) and labels (cgan). */
    const char *scale = getenv("GAN_TEST_SCALE");
    if (scale && strcmp(scale, "tiny") == 0 && _i != 0 && _i != 2 && _i != 3 && _i != 4 &&
        _i != 6)
        return;
    gan__blas_force_ref = 1;
    ck_assert_int_eq(gan_set_threads(1), GAN_OK);
    with_reducer = 1;
    bucket_starts = 0;
    uint64_t h = run_recipe(r);
    gan__blas_force_ref = 0;
    ck_assert_msg(bucket_starts >= 2 * STEPS, "%s: only %d buckets were summed", r->name,
                  bucket_starts);
    ck_assert_msg(h == r->expected, "%s with a one-worker reducer: parameters hash to 0x%016llx, "
                  "recorded 0x%016llx", r->name, (unsigned long long)h,
                  (unsigned long long)r->expected);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("baseline");
    TCase *tc = tcase_create("baseline");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_training_matches_baseline, 0, (int)N_RECIPES);
    tcase_add_loop_test(tc, test_one_worker_reducer_matches_baseline, 0, (int)N_RECIPES);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
