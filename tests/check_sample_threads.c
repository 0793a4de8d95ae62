/*
 * check_sample_threads.c -- the sampler's thread-safety promise: 4 threads,
 * each with its own gan_sampler, sample from ONE shared generator at the
 * same time and get exactly the images one thread gets.
 *
 * Built and run under ThreadSanitizer by the `tsan` stage of
 * scripts/test.sh (build-tsan, TSAN_OPTIONS=halt_on_error=1:exitcode=66),
 * which turns any data race on the model into a failure.  OpenBLAS is not
 * instrumented (its accesses are invisible to TSan, and it reported no
 * race inside itself, so no suppression file is needed); gan_set_threads(1)
 * keeps it from starting threads of its own.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

enum { THREADS = 4, IMAGES = 5, MAX_BATCH = 2, ROUNDS = 2 };

typedef struct job {
    const gan_model *g;
    uint64_t seed;
    size_t image;
    float *out;        /* (ROUNDS, IMAGES, image) */
    uint8_t *px;       /* (IMAGES, image) */
    gan_status st;
    char err[256];
} job;

/* What one thread does: create its sampler, then several rounds of float
   and u8 sampling with chunking (IMAGES > MAX_BATCH). */
static void run_job(job *j)
{
    gan_sampler *s = NULL;
    j->st = gan_sampler_create(&s, j->g, j->seed, MAX_BATCH);
    for (int r = 0; r < ROUNDS && j->st == GAN_OK; r++)
        j->st = gan_sampler_generate(s, NULL, 0, IMAGES, j->out + (size_t)r * IMAGES * j->image,
                                     IMAGES * j->image);
    if (j->st == GAN_OK)
        j->st = gan_sampler_generate_u8(s, NULL, 0, IMAGES, j->px, IMAGES * j->image);
    if (j->st != GAN_OK)
        strncpy(j->err, gan_last_error(), sizeof j->err - 1);
    gan_sampler_free(s);
}

static void *thread_main(void *arg)
{
    run_job(arg);
    return NULL;
}

/* The MNIST generator with random weights and running statistics that are
   not the identity. */
static gan_model *shared_generator(void)
{
    gan_model *g = tu_preset(GAN_PRESET_MNIST_GENERATOR);
    tu_randomize_params(g, 3, 0.1f);
    tu_randomize_bn_state(g, 10);
    return g;
}

START_TEST(test_threads_match_single_thread)
{
    gan_model *g;
    job ref[THREADS], par[THREADS];
    pthread_t th[THREADS];
    size_t image = 0;
    gan_sampler *probe = NULL;

    ck_assert_int_eq(gan_set_threads(1), GAN_OK);
    g = shared_generator();
    ck_assert_int_eq(gan_sampler_create(&probe, g, 0, 1), GAN_OK);
    ck_assert_int_eq(gan_sampler_dims(probe, NULL, &image), GAN_OK);
    gan_sampler_free(probe);

    for (int t = 0; t < THREADS; t++) {
        job *js[2] = {&ref[t], &par[t]};
        for (int k = 0; k < 2; k++) {
            memset(js[k], 0, sizeof *js[k]);
            js[k]->g = g;
            js[k]->seed = 1000 + (uint64_t)t;
            js[k]->image = image;
            js[k]->out = tu_alloc(ROUNDS * IMAGES * image);
            js[k]->px = calloc(IMAGES * image, 1);
            ck_assert_ptr_nonnull(js[k]->px);
        }
    }
    /* One thread, one after the other... */
    for (int t = 0; t < THREADS; t++) {
        run_job(&ref[t]);
        ck_assert_msg(ref[t].st == GAN_OK, "%s", ref[t].err);
    }
    /* ...then all at once on the same model. */
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, thread_main, &par[t]), 0);
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < THREADS; t++) {
        ck_assert_msg(par[t].st == GAN_OK, "thread %d: %s", t, par[t].err);
        ck_assert_msg(memcmp(ref[t].out, par[t].out, ROUNDS * IMAGES * image * sizeof(float)) == 0,
                      "thread %d: images differ from the single-threaded run", t);
        ck_assert(memcmp(ref[t].px, par[t].px, IMAGES * image) == 0);
        if (t > 0)
            ck_assert(memcmp(par[0].out, par[t].out, IMAGES * image * sizeof(float)) != 0);
    }
    for (int t = 0; t < THREADS; t++) {
        free(ref[t].out);
        free(ref[t].px);
        free(par[t].out);
        free(par[t].px);
    }
    gan_model_free(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sample_threads");
    TCase *t = tcase_create("threads");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, test_threads_match_single_thread);
    suite_add_tcase(s, t);
    return tu_run_suite(s);
}
