/*
 * check_reduce.c -- data-parallel training through the reducer hook
 * (gan_trainer_set_reducer, gan_dataset_set_shard, gan_trainer_fail_step),
 * with no MPI: a "team" of worker threads in one process, each with its own
 * trainer, summing through shared memory and barriers.  The same
 * properties are checked over MPI by tests/mpi/.
 *
 *   - K workers with b_k samples each make the step of one process with
 *     the sum of them (the same global batch and noise), to float
 *     tolerance, for BCE, WGAN-GP (n_critic 2) and a conditional pair, with
 *     equal (2 x 32) and unequal (3 workers: 22 + 21 + 21) shares;
 *   - every worker ends with the same weights, statistics and streams, bit
 *     for bit, also with batchnorm and dropout;
 *   - one worker is bit-identical to no reducer;
 *   - the bucket size does not change a bit;
 *   - a worker that fails before a step (gan_trainer_fail_step) or whose
 *     data are NaN stops every worker with its message, and nothing moves;
 *   - workers whose trainers differ are refused;
 *   - shards of a dataset are the global batches' slices, and fit over
 *     shards equals fit over whole batches.
 */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"   /* the noise stream's jumps */
#include "gan.h"
#include "test_util.h"

#define MAX_WORKERS 4

/* ---- a team of worker threads that sum through shared memory --------------------- */

typedef struct team {
    int size;
    pthread_barrier_t bar;
    void *buf[MAX_WORKERS];
    size_t count[MAX_WORKERS];
    long starts[MAX_WORKERS];       /* buckets each worker started */
    int out_of_step[MAX_WORKERS];
} team;

typedef struct member {
    team *tm;
    int rank;
} member;

/* Sum in rank order, so every worker gets the same bits. */
static gan_status team_sum(member *m, void *buf, size_t count, int is_double)
{
    team *tm = m->tm;
    void *tmp = tu_malloc(count * (is_double ? sizeof(double) : sizeof(float)));
    tm->buf[m->rank] = buf;
    tm->count[m->rank] = count;
    pthread_barrier_wait(&tm->bar);
    for (int r = 0; r < tm->size; r++)
        ck_assert_uint_eq(tm->count[r], count);
    for (size_t i = 0; i < count; i++) {
        if (is_double) {
            double a = 0.0;
            for (int r = 0; r < tm->size; r++)
                a += ((double *)tm->buf[r])[i];
            ((double *)tmp)[i] = a;
        } else {
            float a = 0.0f;
            for (int r = 0; r < tm->size; r++)
                a += ((float *)tm->buf[r])[i];
            ((float *)tmp)[i] = a;
        }
    }
    pthread_barrier_wait(&tm->bar);   /* everyone has read every buffer */
    memcpy(buf, tmp, count * (is_double ? sizeof(double) : sizeof(float)));
    free(tmp);
    return GAN_OK;
}

static gan_status team_start(float *buf, size_t count, void *user)
{
    member *m = user;
    m->tm->starts[m->rank]++;
    return team_sum(m, buf, count, 0);
}

static gan_status team_wait(void *user)
{
    (void)user;
    return GAN_OK;
}

static gan_status team_doubles(double *buf, size_t count, void *user)
{
    return team_sum(user, buf, count, 1);
}

static void team_out_of_step(gan_status st, void *user)
{
    member *m = user;
    (void)st;
    m->tm->out_of_step[m->rank] = 1;
}

static void attach(gan_trainer *t, member *m, size_t bucket_bytes)
{
    gan_reducer_config rc;
    OK(GAN_REDUCER_CONFIG_INIT(&rc));
    rc.rank = m->rank;
    rc.size = m->tm->size;
    rc.sum_start = team_start;
    rc.sum_wait = team_wait;
    rc.sum_doubles = team_doubles;
    rc.out_of_step = team_out_of_step;
    if (bucket_bytes)
        rc.bucket_bytes = bucket_bytes;
    rc.user = m;
    OK(gan_trainer_set_reducer(t, &rc));
}

/* ---- the pairs under test ---------------------------------------------------------- */

enum { PAIR_BCE, PAIR_WGAN_GP, PAIR_CONDITIONAL, PAIR_BN_DROPOUT, PAIR_FEATURE };

#define GLOBAL 64
#define DIM 6

static void pair_config(int kind, tu_pair_config *c)
{
    tu_pair_config_init(c);
    c->latent = 5;
    c->dim = DIM;
    c->hidden = 24;
    c->depth = 2;
    c->g_leaky = 0.2f;
    c->g_seed = 11;
    c->d_seed = 12;
    c->trainer.seed = 99;
    c->opt.lr = 1e-2f;
    switch (kind) {
    case PAIR_WGAN_GP:
        c->loss.kind = GAN_LOSS_WASSERSTEIN;
        c->loss.gradient_penalty = 10.0f;
        c->trainer.n_critic = 2;
        /* Not Adam: the critic's output bias has a gradient of exactly 0
           (mean D(fake) - mean D(real)) that summation order turns into
           +-1e-8, and Adam's first step moves it by +-lr either way. */
        c->opt.kind = GAN_OPTIM_SGD;
        c->opt.momentum = 0.9f;
        break;
    case PAIR_CONDITIONAL:
        c->g_classes = 3;
        c->d_classes = 3;
        c->loss.kind = GAN_LOSS_HINGE;
        break;
    case PAIR_BN_DROPOUT:
        c->g_batchnorm = 1;
        c->d_dropout = 0.3f;
        c->trainer.ema_decay = 0.9f;
        break;
    case PAIR_FEATURE:
        c->loss.kind = GAN_LOSS_FEATURE_MATCHING;
        break;
    default:
        break;
    }
}

/* The real data of step s: n_critic * GLOBAL samples and their classes. */
static void step_data(int s, int n_critic, float *x, int32_t *labels)
{
    const size_t n = (size_t)n_critic * GLOBAL;
    tu_fill(x, n * DIM, 500 + (uint64_t)s, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++)
        labels[i] = (int32_t)((i * 5 + (size_t)s) % 3);
}

/* Worker `rank` of `size`'s slice of a global batch of GLOBAL: as
   gan_dataset_set_shard cuts it. */
static size_t slice(int rank, int size, size_t *first)
{
    const size_t q = GLOBAL / (size_t)size, rem = GLOBAL % (size_t)size, r = (size_t)rank;
    *first = r * q + (r < rem ? r : rem);
    return q + (r < rem);
}

/* steps steps of the pair's trainer on worker rank's slices (size 0: no
   reducer, the whole batch). */
static gan_status train_steps(tu_pair *p, int kind, int steps, int rank, int size,
                              gan_step_stats *last)
{
    tu_pair_config c;
    int nc;
    size_t first = 0, b = GLOBAL;
    pair_config(kind, &c);
    nc = c.trainer.n_critic;
    float *x = tu_alloc((size_t)nc * GLOBAL * DIM), *xs = tu_alloc((size_t)nc * GLOBAL * DIM);
    int32_t *lab = tu_malloc((size_t)nc * GLOBAL * sizeof *lab);
    int32_t *ls = tu_malloc((size_t)nc * GLOBAL * sizeof *ls);
    gan_status st = GAN_OK;
    if (size)
        b = slice(rank, size, &first);
    for (int s = 0; s < steps && st == GAN_OK; s++) {
        step_data(s, nc, x, lab);
        /* Critic update i takes its slice of global batch i. */
        for (int i = 0; i < nc; i++) {
            memcpy(xs + (size_t)i * b * DIM, x + ((size_t)i * GLOBAL + first) * DIM,
                   b * DIM * sizeof(float));
            memcpy(ls + (size_t)i * b, lab + (size_t)i * GLOBAL + first, b * sizeof *ls);
        }
        if (last)
            GAN_STEP_STATS_INIT(last);
        st = c.g_classes ? gan_trainer_step_labeled(p->t, xs, (size_t)nc * b * DIM, ls,
                                                    (size_t)nc * b, b, last)
                         : gan_trainer_step(p->t, xs, (size_t)nc * b * DIM, b, last);
    }
    free(x);
    free(xs);
    free(lab);
    free(ls);
    return st;
}

/* Both networks' gradients (of the last update), concatenated. */
static float *grads_of(const tu_pair *p, size_t *n)
{
    size_t ng, nd;
    float *gg = tu_all_grads(p->g, &ng), *gd = tu_all_grads(p->d, &nd);
    float *all = tu_alloc(ng + nd + 1);
    memcpy(all, gg, ng * sizeof *all);
    memcpy(all + ng, gd, nd * sizeof *all);
    *n = ng + nd;
    free(gg);
    free(gd);
    return all;
}

/* Parameters, state and EMA of both networks, concatenated. */
static float *snapshot(const tu_pair *p, size_t *n)
{
    size_t ng, nd, sg, sd, ne = 0;
    float *pg = tu_all_params(p->g, &ng), *pd = tu_all_params(p->d, &nd);
    float *qg = tu_all_state(p->g, &sg), *qd = tu_all_state(p->d, &sd), *pe = NULL;
    gan_model *e = NULL;
    if (gan_trainer_ema_generator(p->t, &e) == GAN_OK) {
        pe = tu_all_params(e, &ne);
        gan_model_free(e);
    }
    *n = ng + nd + sg + sd + ne;
    float *all = tu_alloc(*n + 1);
    memcpy(all, pg, ng * sizeof *all);
    memcpy(all + ng, pd, nd * sizeof *all);
    memcpy(all + ng + nd, qg, sg * sizeof *all);
    memcpy(all + ng + nd + sg, qd, sd * sizeof *all);
    if (ne)
        memcpy(all + ng + nd + sg + sd, pe, ne * sizeof *all);
    free(pg);
    free(pd);
    free(qg);
    free(qd);
    free(pe);
    return all;
}

/* ---- running a team ------------------------------------------------------------------ */

typedef struct job {
    member m;
    int kind, steps;
    size_t bucket_bytes;
    /* What the worker ends with. */
    gan_status st;
    char msg[512];
    float *snap, *grads;
    size_t n_snap, n_grads;
    gan_step_stats stats;
    uint64_t seed_offset;      /* a different trainer seed (the refusal test) */
    int fail_first;            /* worker calls gan_trainer_fail_step instead of step 1 */
    int nan_data;              /* this worker's data are NaN */
} job;

static void *worker(void *arg)
{
    job *j = arg;
    tu_pair p;
    tu_pair_config c;
    pair_config(j->kind, &c);
    c.trainer.seed += j->seed_offset;
    OK(tu_pair_create(&p, &c));
    attach(p.t, &j->m, j->bucket_bytes);
    if (j->fail_first) {
        gan_clear_error();
        j->st = gan_trainer_fail_step(p.t, GAN_EIO);
    } else if (j->nan_data) {
        float *x = tu_alloc(GLOBAL * DIM);
        size_t first, b = slice(j->m.rank, j->m.tm->size, &first);
        for (size_t i = 0; i < b * DIM; i++)
            x[i] = NAN;
        j->st = gan_trainer_step(p.t, x, b * DIM, b, NULL);
        free(x);
    } else {
        j->st = train_steps(&p, j->kind, j->steps, j->m.rank, j->m.tm->size, &j->stats);
    }
    snprintf(j->msg, sizeof j->msg, "%s", gan_last_error());
    j->snap = snapshot(&p, &j->n_snap);
    j->grads = grads_of(&p, &j->n_grads);
    tu_pair_free(&p);
    return NULL;
}

static void run_team(team *tm, job *jobs, int size)
{
    pthread_t th[MAX_WORKERS];
    tm->size = size;
    ck_assert_int_eq(pthread_barrier_init(&tm->bar, NULL, (unsigned)size), 0);
    for (int r = 0; r < size; r++) {
        jobs[r].m.tm = tm;
        jobs[r].m.rank = r;
        ck_assert_int_eq(pthread_create(&th[r], NULL, worker, &jobs[r]), 0);
    }
    for (int r = 0; r < size; r++)
        pthread_join(th[r], NULL);
    pthread_barrier_destroy(&tm->bar);
}

/* The pair trained without a reducer on whole batches. */
static float *reference(int kind, int steps, size_t *n, gan_step_stats *stats, float **grads,
                        size_t *n_grads)
{
    tu_pair p;
    tu_pair_config c;
    pair_config(kind, &c);
    OK(tu_pair_create(&p, &c));
    OK(train_steps(&p, kind, steps, 0, 0, stats));
    float *s = snapshot(&p, n);
    if (grads)
        *grads = grads_of(&p, n_grads);
    tu_pair_free(&p);
    return s;
}

static void free_jobs(job *jobs, int size)
{
    for (int r = 0; r < size; r++) {
        free(jobs[r].snap);
        free(jobs[r].grads);
    }
}

/* max_i |a - b| / max_i |b|: gradients that are 0 in one sum and 1e-9 in
   another are equal to float tolerance. */
static double scaled_err(const float *a, const float *b, size_t n)
{
    double e = 0.0, m = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        e = d > e ? d : e;
        m = fabs((double)b[i]) > m ? fabs((double)b[i]) : m;
    }
    return e / m;
}

/* Every worker holds the same bits. */
static void assert_replicas_equal(const job *jobs, int size)
{
    for (int r = 1; r < size; r++) {
        ck_assert_uint_eq(jobs[r].n_snap, jobs[0].n_snap);
        ck_assert_msg(memcmp(jobs[r].snap, jobs[0].snap, jobs[0].n_snap * sizeof(float)) == 0,
                      "worker %d's networks differ from worker 0's", r);
    }
}

/* ---- tests ----------------------------------------------------------------------------- */

static const int equal_kinds[] = {PAIR_BCE, PAIR_WGAN_GP, PAIR_CONDITIONAL, PAIR_FEATURE};
static const char *const kind_names[] = {"BCE", "WGAN-GP", "conditional", "batchnorm+dropout",
                                         "feature matching"};

/* K workers x slices of the global batch == one process x the global batch. */
static void check_equals_one_process(int kind, int size)
{
    team tm;
    job jobs[MAX_WORKERS];
    gan_step_stats ref_stats;
    size_t n, n_grads;
    const int steps = 3;
    float *ref_grads;
    float *ref = reference(kind, steps, &n, &ref_stats, &ref_grads, &n_grads);
    memset(&tm, 0, sizeof tm);
    memset(jobs, 0, sizeof jobs);
    for (int r = 0; r < size; r++) {
        jobs[r].kind = kind;
        jobs[r].steps = steps;
    }
    run_team(&tm, jobs, size);
    for (int r = 0; r < size; r++)
        ck_assert_msg(jobs[r].st == GAN_OK, "%s, worker %d of %d: %s", kind_names[kind], r, size,
                      jobs[r].msg);
    assert_replicas_equal(jobs, size);
    ck_assert_uint_eq(jobs[0].n_snap, n);
    double err = tu_max_rel_err(jobs[0].snap, ref, n, 1e-3);
    ck_assert_uint_eq(jobs[0].n_grads, n_grads);
    double gerr = scaled_err(jobs[0].grads, ref_grads, n_grads);
    if (getenv("TU_VERBOSE"))
        printf("%s, %d workers: max relative difference %.3g (weights), %.3g (gradients), "
               "d_loss %.6f vs %.6f\n", kind_names[kind], size, err, gerr,
               (double)jobs[0].stats.d_loss, (double)ref_stats.d_loss);
    ck_assert_msg(gerr < 1e-5, "%s, %d workers vs one process: gradients differ by %g (of the "
                  "largest)", kind_names[kind], size, gerr);
    ck_assert_msg(err < 1e-4, "%s, %d workers vs one process: weights differ by %g (relative)",
                  kind_names[kind], size, err);
    ck_assert_msg(fabsf(jobs[0].stats.d_loss - ref_stats.d_loss) <= 1e-4f * (1 + fabsf(ref_stats.d_loss)) &&
                  fabsf(jobs[0].stats.g_loss - ref_stats.g_loss) <= 1e-4f * (1 + fabsf(ref_stats.g_loss)) &&
                  fabsf(jobs[0].stats.d_real - ref_stats.d_real) <= 1e-5f &&
                  fabsf(jobs[0].stats.d_fake - ref_stats.d_fake) <= 1e-5f,
                  "%s: step figures %g %g %g %g vs one process %g %g %g %g", kind_names[kind],
                  (double)jobs[0].stats.d_loss, (double)jobs[0].stats.g_loss,
                  (double)jobs[0].stats.d_real, (double)jobs[0].stats.d_fake,
                  (double)ref_stats.d_loss, (double)ref_stats.g_loss, (double)ref_stats.d_real,
                  (double)ref_stats.d_fake);
    free(ref);
    free(ref_grads);
    free_jobs(jobs, size);
}

START_TEST(test_two_workers_equal_one_process)
{
    check_equals_one_process(equal_kinds[_i], 2);
}
END_TEST

START_TEST(test_three_uneven_workers_equal_one_process)
{
    check_equals_one_process(equal_kinds[_i], 3);
}
END_TEST

/* One worker: bit for bit the step without a reducer, dropout and
   batchnorm included. */
START_TEST(test_one_worker_is_exact)
{
    static const int kinds[] = {PAIR_BCE, PAIR_WGAN_GP, PAIR_CONDITIONAL, PAIR_BN_DROPOUT,
                                PAIR_FEATURE};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        team tm;
        job jobs[1];
        size_t n;
        float *ref = reference(kinds[k], 3, &n, NULL, NULL, NULL);
        memset(&tm, 0, sizeof tm);
        memset(jobs, 0, sizeof jobs);
        jobs[0].kind = kinds[k];
        jobs[0].steps = 3;
        jobs[0].bucket_bytes = 256;   /* many buckets */
        run_team(&tm, jobs, 1);
        ck_assert_msg(jobs[0].st == GAN_OK, "%s", jobs[0].msg);
        ck_assert_uint_eq(jobs[0].n_snap, n);
        ck_assert_msg(memcmp(jobs[0].snap, ref, n * sizeof(float)) == 0,
                      "%s: one worker differs from no reducer", kind_names[kinds[k]]);
        ck_assert_int_gt(tm.starts[0], 3 * 2);
        free(ref);
        free_jobs(jobs, 1);
    }
}
END_TEST

/* Batchnorm statistics and dropout: per-worker masks and statistics, but
   every worker ends identical; and many small buckets change nothing. */
START_TEST(test_replicas_stay_identical)
{
    team tm;
    job jobs[2], big[2];
    memset(&tm, 0, sizeof tm);
    memset(jobs, 0, sizeof jobs);
    memset(big, 0, sizeof big);
    for (int r = 0; r < 2; r++) {
        jobs[r].kind = big[r].kind = PAIR_BN_DROPOUT;
        jobs[r].steps = big[r].steps = 4;
        jobs[r].bucket_bytes = 128;
    }
    run_team(&tm, jobs, 2);
    ck_assert_msg(jobs[0].st == GAN_OK && jobs[1].st == GAN_OK, "%s / %s", jobs[0].msg,
                  jobs[1].msg);
    assert_replicas_equal(jobs, 2);
    ck_assert_int_gt(tm.starts[0], 4 * 4);
    memset(&tm, 0, sizeof tm);
    run_team(&tm, big, 2);
    ck_assert_int_eq(big[0].st, GAN_OK);
    ck_assert_uint_eq(big[0].n_snap, jobs[0].n_snap);
    ck_assert_msg(memcmp(big[0].snap, jobs[0].snap, jobs[0].n_snap * sizeof(float)) == 0,
                  "the bucket size changed the result");
    free_jobs(jobs, 2);
    free_jobs(big, 2);
}
END_TEST

/* Two BCE workers, worker 0 set for one step; returns the pair's initial
   parameters (n floats) to compare a refused step against. */
static float *two_bce_workers(team *tm, job jobs[2], size_t *n)
{
    tu_pair p;
    tu_pair_config c;
    float *init;
    pair_config(PAIR_BCE, &c);
    OK(tu_pair_create(&p, &c));
    init = snapshot(&p, n);
    tu_pair_free(&p);
    memset(tm, 0, sizeof *tm);
    memset(jobs, 0, 2 * sizeof *jobs);
    jobs[0].kind = jobs[1].kind = PAIR_BCE;
    jobs[0].steps = 1;
    return init;
}

/* Worker 1 cannot step: worker 0's step returns its status and message. */
START_TEST(test_failed_worker_stops_all)
{
    team tm;
    job jobs[2];
    size_t n;
    float *init = two_bce_workers(&tm, jobs, &n);
    jobs[1].fail_first = 1;
    run_team(&tm, jobs, 2);
    ck_assert_int_eq(jobs[1].st, GAN_EIO);
    ck_assert_int_eq(jobs[0].st, GAN_EIO);
    ck_assert_msg(strstr(jobs[0].msg, "worker 1 of 2 failed") != NULL, "%s", jobs[0].msg);
    ck_assert_msg(memcmp(jobs[0].snap, init, n * sizeof(float)) == 0, "worker 0 moved");
    ck_assert(!tm.out_of_step[0] && !tm.out_of_step[1]);
    free(init);
    free_jobs(jobs, 2);
}
END_TEST

/* NaN data on worker 1: the sums are NaN on both, both undo the step. */
START_TEST(test_nan_on_one_worker_stops_all)
{
    team tm;
    job jobs[2];
    size_t n;
    float *init = two_bce_workers(&tm, jobs, &n);
    jobs[1].nan_data = 1;
    run_team(&tm, jobs, 2);
    for (int r = 0; r < 2; r++) {
        ck_assert_msg(jobs[r].st == GAN_ENUMERIC, "worker %d: %d %s", r, jobs[r].st, jobs[r].msg);
        ck_assert_msg(strstr(jobs[r].msg, "diverged") != NULL, "%s", jobs[r].msg);
        ck_assert_msg(memcmp(jobs[r].snap, init, n * sizeof(float)) == 0, "worker %d moved", r);
    }
    free(init);
    free_jobs(jobs, 2);
}
END_TEST

/* Trainers with different noise seeds are refused by every worker. */
START_TEST(test_different_trainers_refused)
{
    team tm;
    job jobs[2];
    memset(&tm, 0, sizeof tm);
    memset(jobs, 0, sizeof jobs);
    jobs[0].kind = jobs[1].kind = PAIR_BCE;
    jobs[0].steps = jobs[1].steps = 1;
    jobs[1].seed_offset = 1;
    run_team(&tm, jobs, 2);
    for (int r = 0; r < 2; r++) {
        ck_assert_int_eq(jobs[r].st, GAN_ESTATE);
        ck_assert_msg(strstr(jobs[r].msg, "worker 1's trainer is not worker 0's") != NULL, "%s",
                      jobs[r].msg);
    }
    free_jobs(jobs, 2);
}
END_TEST

START_TEST(test_reducer_arguments)
{
    tu_pair p;
    tu_pair_config c;
    gan_reducer_config rc;
    member m = {NULL, 0};
    pair_config(PAIR_BCE, &c);
    OK(tu_pair_create(&p, &c));
    OK(GAN_REDUCER_CONFIG_INIT(&rc));
    ck_assert_int_eq(rc.size, 1);
    ck_assert_uint_eq(rc.bucket_bytes, (size_t)4 << 20);
    ck_assert_int_eq(gan_trainer_set_reducer(p.t, &rc), GAN_EINVAL);   /* no callbacks */
    ck_assert_ptr_nonnull(strstr(gan_last_error(), "sum_start"));
    rc.sum_start = team_start;
    rc.sum_wait = team_wait;
    rc.sum_doubles = team_doubles;
    rc.user = &m;
    rc.rank = 2;
    rc.size = 2;
    ck_assert_int_eq(gan_trainer_set_reducer(p.t, &rc), GAN_EINVAL);
    rc.rank = 0;
    rc.bucket_bytes = 2;
    ck_assert_int_eq(gan_trainer_set_reducer(p.t, &rc), GAN_EINVAL);
    ck_assert_int_eq(gan_trainer_fail_step(p.t, GAN_EIO), GAN_ESTATE);   /* no reducer */
    rc.bucket_bytes = 4096;
    OK(gan_trainer_set_reducer(p.t, &rc));
    ck_assert_int_eq(gan_trainer_fail_step(p.t, GAN_OK), GAN_EINVAL);
    ck_assert_int_eq(gan_trainer_set_reducer(NULL, &rc), GAN_EINVAL);
    OK(gan_trainer_set_reducer(p.t, NULL));                              /* removed */
    ck_assert_int_eq(gan_trainer_fail_step(p.t, GAN_EIO), GAN_ESTATE);
    tu_pair_free(&p);
}
END_TEST

/* ---- the noise stream's jumps ---------------------------------------------------------- */

/* gan__rng_advance(n) == n draws, gan__rng_skip_normal(n) == n normals,
   spare and all, from states with and without a spare. */
START_TEST(test_rng_jumps)
{
    static const uint64_t ns[] = {0, 1, 2, 3, 127, 128, 129, 255, 256, 257, 1000, 65537,
                                  1234567, 5000011};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        for (int spare = 0; spare < 2; spare++) {
            gan__rng a, b;
            gan__rng_seed(&a, 17 + i);
            if (spare)
                gan__rng_normal(&a);
            b = a;
            for (uint64_t k = 0; k < ns[i]; k++)
                gan__rng_next(&a);
            gan__rng_advance(&b, ns[i]);
            ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "advance(%llu) differs",
                          (unsigned long long)ns[i]);
            gan__rng_seed(&a, 99 + i);
            if (spare)
                gan__rng_normal(&a);
            b = a;
            for (uint64_t k = 0; k < ns[i] && k < 300000; k++)
                gan__rng_normal(&a);
            gan__rng_skip_normal(&b, ns[i] < 300000 ? ns[i] : 300000);
            ck_assert_msg(memcmp(a.s, b.s, sizeof a.s) == 0 && a.has_spare == b.has_spare &&
                          memcmp(&a.spare, &b.spare, sizeof a.spare) == 0,
                          "skip_normal(%llu) differs (spare %d)", (unsigned long long)ns[i],
                          spare);
        }
    }
}
END_TEST

/* ---- shards ---------------------------------------------------------------------------- */

static gan_dataset *numbered(size_t n)
{
    float *x = tu_alloc(n);
    int32_t *lab = tu_malloc(n * sizeof *lab);
    int dims[1] = {1};
    gan_dataset *ds = NULL;
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)i;
        lab[i] = (int32_t)(i % 3);
    }
    OK(gan_dataset_create_float(&ds, x, n, 1, dims, lab, 1));
    free(x);
    free(lab);
    return ds;
}

static void batching(gan_dataset *ds, size_t batch, int drop)
{
    gan_batch_config bc;
    OK(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = batch;
    bc.drop_remainder = drop;
    bc.seed = 3;
    OK(gan_dataset_set_batching(ds, &bc));
}

/* The shards of every batch, in rank order, are the whole batch; a tail
   with fewer samples than shards ends the epoch. */
START_TEST(test_shards_are_slices)
{
    const size_t n = 103, batch = 10;
    for (size_t p = 1; p <= 4; p++) {
        gan_dataset *whole = numbered(n), *part[4];
        size_t batches = 0, pb = 0;
        batching(whole, batch, 0);
        for (size_t k = 0; k < p; k++) {
            part[k] = numbered(n);
            batching(part[k], batch, 0);
            OK(gan_dataset_set_shard(part[k], k, p));
        }
        OK(gan_dataset_batches_per_epoch(part[0], &pb));
        ck_assert_uint_eq(pb, p <= 3 ? 11 : 10);   /* the tail of 3 needs 3 or fewer shards */
        for (int e = 0; e < 2; e++) {
            for (;;) {
                float xw[10], xp[10];
                size_t nw = 0, got = 0;
                gan_status sw = gan_dataset_next_batch(whole, xw, 10, NULL, &nw, NULL);
                if (sw == GAN_OK && nw < p)
                    sw = gan_dataset_next_batch(whole, xw, 10, NULL, &nw, NULL);  /* dropped */
                for (size_t k = 0; k < p; k++) {
                    size_t np = 0;
                    gan_status sp = gan_dataset_next_batch(part[k], xp + got, 10 - got, NULL,
                                                           &np, NULL);
                    ck_assert_int_eq(sp, sw);
                    ck_assert_uint_le(np, (nw + p - 1) / p);
                    got += np;
                }
                if (sw == GAN_DONE)
                    break;
                ck_assert_uint_eq(got, nw);
                ck_assert(memcmp(xw, xp, nw * sizeof(float)) == 0);
                batches++;
            }
        }
        ck_assert_uint_eq(batches, 2 * pb);
        gan_dataset_free(whole);
        for (size_t k = 0; k < p; k++)
            gan_dataset_free(part[k]);
    }
}
END_TEST

START_TEST(test_shard_arguments)
{
    gan_dataset *ds = numbered(20);
    batching(ds, 4, 1);
    ck_assert_int_eq(gan_dataset_set_shard(ds, 2, 2), GAN_EINVAL);
    ck_assert_int_eq(gan_dataset_set_shard(ds, 0, 0), GAN_EINVAL);
    ck_assert_int_eq(gan_dataset_set_shard(ds, 0, 5), GAN_EINVAL);   /* more shards than samples */
    ck_assert_int_eq(gan_dataset_set_shard(NULL, 0, 1), GAN_EINVAL);
    OK(gan_dataset_set_shard(ds, 3, 4));
    batching(ds, 2, 1);                                              /* now too small */
    {
        float x[4];
        size_t n;
        ck_assert_int_eq(gan_dataset_next_batch(ds, x, 4, NULL, &n, NULL), GAN_ESTATE);
    }
    gan_dataset_free(ds);
}
END_TEST

/* fit over shards == fit over whole batches: n_critic 1 trains on the
   short last batch (10 samples: 4 + 3 + 3), n_critic 2 skips the
   incomplete last group on every worker alike. */
typedef struct fit_job {
    member m;
    int kind;
    gan_status st;
    char msg[512];
    float *snap;
    size_t n_snap;
    int steps;
} fit_job;

static int count_steps(const gan_step_stats *s, uint64_t step, void *user)
{
    (void)s, (void)step;
    ++*(int *)user;
    return 0;
}

static void fit_pair(int kind, tu_pair *p, gan_dataset **ds, int *steps)
{
    tu_pair_config c;
    const size_t n = 150;
    float *x = tu_alloc(n * DIM);
    int dims[1] = {DIM};
    pair_config(kind, &c);
    OK(tu_pair_create(p, &c));
    tu_fill(x, n * DIM, 77, -1.0f, 1.0f);
    OK(gan_dataset_create_float(ds, x, n, 1, dims, NULL, 1));
    free(x);
    batching(*ds, 20, 0);   /* 7 batches and one of 10 per epoch */
    *steps = 0;
}

static void *fit_worker(void *arg)
{
    fit_job *j = arg;
    tu_pair p;
    gan_dataset *ds;
    fit_pair(j->kind, &p, &ds, &j->steps);
    attach(p.t, &j->m, 0);
    OK(gan_dataset_set_shard(ds, (size_t)j->m.rank, (size_t)j->m.tm->size));
    j->st = gan_trainer_fit(p.t, ds, 2, count_steps, NULL, &j->steps);
    snprintf(j->msg, sizeof j->msg, "%s", gan_last_error());
    j->snap = snapshot(&p, &j->n_snap);
    gan_dataset_free(ds);
    tu_pair_free(&p);
    return NULL;
}

START_TEST(test_fit_over_shards)
{
    static const int kinds[2] = {PAIR_BCE, PAIR_WGAN_GP}, expect_steps[2] = {16, 6};
    const int kind = kinds[_i];
    team tm;
    fit_job jobs[3];
    pthread_t th[3];
    tu_pair p;
    gan_dataset *ds;
    int ref_steps;
    size_t n;
    fit_pair(kind, &p, &ds, &ref_steps);
    OK(gan_trainer_fit(p.t, ds, 2, count_steps, NULL, &ref_steps));
    float *ref = snapshot(&p, &n);
    gan_dataset_free(ds);
    tu_pair_free(&p);
    ck_assert_int_eq(ref_steps, expect_steps[_i]);
    memset(&tm, 0, sizeof tm);
    memset(jobs, 0, sizeof jobs);
    tm.size = 3;
    ck_assert_int_eq(pthread_barrier_init(&tm.bar, NULL, 3), 0);
    for (int r = 0; r < 3; r++) {
        jobs[r].m.tm = &tm;
        jobs[r].m.rank = r;
        jobs[r].kind = kind;
        ck_assert_int_eq(pthread_create(&th[r], NULL, fit_worker, &jobs[r]), 0);
    }
    for (int r = 0; r < 3; r++)
        pthread_join(th[r], NULL);
    pthread_barrier_destroy(&tm.bar);
    for (int r = 0; r < 3; r++) {
        ck_assert_msg(jobs[r].st == GAN_OK, "worker %d: %s", r, jobs[r].msg);
        ck_assert_int_eq(jobs[r].steps, ref_steps);
        ck_assert(memcmp(jobs[r].snap, jobs[0].snap, n * sizeof(float)) == 0);
    }
    ck_assert_uint_eq(jobs[0].n_snap, n);
    double err = tu_max_rel_err(jobs[0].snap, ref, n, 1e-3);
    ck_assert_msg(err < 1e-4, "fit over 3 shards vs whole batches: %g", err);
    free(ref);
    for (int r = 0; r < 3; r++)
        free(jobs[r].snap);
}
END_TEST

/* gan_trainer_restore_mem (what gan_mpi_attach broadcasts): the bytes of a
   saved checkpoint restore the same state as the file, the run goes on
   bit-identically; truncated or absent bytes are refused and change
   nothing.  And gan_set_error (a binding's message for the agreement). */
START_TEST(test_restore_mem_and_set_error)
{
    tu_pair a, b;
    tu_pair_config c;
    char path[] = "/tmp/check_reduce_ckpt_XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    long len;
    unsigned char *buf;
    size_t n, nb;
    ck_assert_int_ge(fd, 0);
    close(fd);
    pair_config(PAIR_BCE, &c);
    OK(tu_pair_create(&a, &c));
    OK(tu_pair_create(&b, &c));
    OK(train_steps(&a, PAIR_BCE, 2, 0, 0, NULL));
    OK(gan_trainer_save(a.t, NULL, path));
    ck_assert_ptr_nonnull(f = fopen(path, "rb"));
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    ck_assert_int_gt(len = ftell(f), 0);
    rewind(f);
    buf = tu_malloc((size_t)len);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    remove(path);

    float *before = snapshot(&b, &nb);
    const size_t cuts[] = {0, 1, 12, (size_t)len / 2, (size_t)len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        gan_status st = gan_trainer_restore_mem(b.t, NULL, cuts[i] ? buf : NULL, cuts[i]);
        ck_assert_msg(st != GAN_OK, "%zu of %ld bytes restored", cuts[i], len);
        ck_assert_msg(strlen(gan_last_error()) > 0, "no message for %zu bytes", cuts[i]);
        float *now = snapshot(&b, &n);
        ck_assert_uint_eq(n, nb);
        ck_assert_msg(memcmp(now, before, n * sizeof(float)) == 0,
                      "a refused restore of %zu bytes changed the trainer", cuts[i]);
        free(now);
    }
    ck_assert_int_ne(gan_trainer_restore_mem(NULL, NULL, buf, (size_t)len), GAN_OK);
    ck_assert_int_ne(gan_trainer_restore_mem(b.t, NULL, NULL, 5), GAN_OK);

    OK(gan_trainer_restore_mem(b.t, NULL, buf, (size_t)len));
    float *sa = snapshot(&a, &n), *sb = snapshot(&b, &nb);
    ck_assert_uint_eq(n, nb);
    ck_assert_msg(memcmp(sa, sb, n * sizeof(float)) == 0, "restored state differs");
    free(sa);
    free(sb);
    /* The streams and optimizer moments came along: one more step each. */
    OK(train_steps(&a, PAIR_BCE, 1, 0, 0, NULL));
    OK(train_steps(&b, PAIR_BCE, 1, 0, 0, NULL));
    sa = snapshot(&a, &n);
    sb = snapshot(&b, &nb);
    ck_assert_msg(memcmp(sa, sb, n * sizeof(float)) == 0, "the next step differs after restore");

    ck_assert_int_eq(gan_set_error(GAN_EFORMAT, "rank 1 of 2: bad data"), GAN_EFORMAT);
    ck_assert_str_eq(gan_last_error(), "rank 1 of 2: bad data");

    free(sa);
    free(sb);
    free(before);
    free(buf);
    tu_pair_free(&a);
    tu_pair_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reduce");
    TCase *tc = tcase_create("reduce");
    tcase_set_timeout(tc, 300);
    gan_set_threads(1);
    tcase_add_loop_test(tc, test_two_workers_equal_one_process, 0,
                        (int)(sizeof equal_kinds / sizeof equal_kinds[0]));
    tcase_add_loop_test(tc, test_three_uneven_workers_equal_one_process, 0,
                        (int)(sizeof equal_kinds / sizeof equal_kinds[0]));
    tcase_add_test(tc, test_one_worker_is_exact);
    tcase_add_test(tc, test_replicas_stay_identical);
    tcase_add_test(tc, test_failed_worker_stops_all);
    tcase_add_test(tc, test_nan_on_one_worker_stops_all);
    tcase_add_test(tc, test_different_trainers_refused);
    tcase_add_test(tc, test_reducer_arguments);
    tcase_add_test(tc, test_rng_jumps);
    tcase_add_test(tc, test_shards_are_slices);
    tcase_add_test(tc, test_shard_arguments);
    tcase_add_loop_test(tc, test_fit_over_shards, 0, 2);
    tcase_add_test(tc, test_restore_mem_and_set_error);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
