/*
 * pool.c -- libgan's worker threads: run the parts of one job at a time.
 *
 * A job is fn(ctx, p) for p in [0, parts): the caller and gan__threads - 1
 * workers take parts until none is left, and the caller returns when all
 * are done.  GEMM blocks (blas.c) and the element-wise and lowering
 * kernels between them (im2col, col2im, activations, batchnorm, the
 * optimiser's update: gan__parallel_range) run on the same threads, one
 * level: a part never starts another job (a nested call, like a call that
 * finds the pool busy with another caller's job, runs its parts in order
 * on its own thread -- the same parts, hence the same bits).
 *
 * Not OpenMP's team: libgomp busy-waits between jobs for milliseconds
 * (stealing the core from other processes) and cannot start threads in a
 * child forked after its threads started; this pool polls for 50 us, then
 * sleeps on a condition variable, and restarts after fork.
 *
 * Builds with OpenBLAS have the pool (OpenBLAS itself then runs one
 * thread per call: its own spinning workers would compete with the
 * pool's); builds without it (the naive GEMM, WebAssembly) run every part
 * on the caller's thread.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

#ifdef GAN_HAVE_OPENBLAS
#  include <pthread.h>

#  define GAN__POOL_MAX 64

typedef struct gan__pool_job {
    gan__part_fn fn;
    void *ctx;
    int parts;
} gan__pool_job;

static pthread_mutex_t gan__pool_call = PTHREAD_MUTEX_INITIALIZER; /* one job at a time */
static pthread_mutex_t gan__pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gan__pool_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gan__pool_done = PTHREAD_COND_INITIALIZER;
static int gan__pool_workers;           /* started */
/* gan__pool_gen and gan__pool_left change under gan__pool_mu, and are
   also polled without it while a thread spins (gan__pool_spin): atomics. */
static unsigned long gan__pool_gen;     /* bumped per job */
static int gan__pool_next, gan__pool_left; /* next part to take, parts not finished */
static gan__pool_job gan__pool_cur;
static int gan__pool_forkhook;          /* pthread_atfork registered */

/*
 * Before sleeping on a condition variable, a thread polls for up to 50 us:
 * waking a sleeping thread took 0.2-0.5 ms here (a virtual machine), which
 * made batch-1 sampling with 2 threads bimodal (1.4 or 2.0 ms a sample).
 * Bounded, so an idle pool costs at most 50 us of one core per job.
 * Returns when done() holds or the time is up; mu is not held.
 */
#  define GAN__POOL_SPIN_NS 50000L
static int gan__pool_spin(int (*done)(const void *), const void *arg)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (done(arg))
                return 1;
#  if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#  endif
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > GAN__POOL_SPIN_NS)
            return 0;
    }
}

static int gan__pool_new_job(const void *seen)
{
    return __atomic_load_n(&gan__pool_gen, __ATOMIC_ACQUIRE) != *(const unsigned long *)seen;
}

static int gan__pool_finished(const void *unused)
{
    (void)unused;
    return __atomic_load_n(&gan__pool_left, __ATOMIC_ACQUIRE) == 0;
}

/* Take and run parts of the current job until none is left; mu held. */
static void gan__pool_drain(void)
{
    while (gan__pool_next < gan__pool_cur.parts) {
        const int p = gan__pool_next++;
        pthread_mutex_unlock(&gan__pool_mu);
        gan__pool_cur.fn(gan__pool_cur.ctx, p);
        pthread_mutex_lock(&gan__pool_mu);
        if (__atomic_sub_fetch(&gan__pool_left, 1, __ATOMIC_ACQ_REL) == 0)
            pthread_cond_signal(&gan__pool_done);
    }
}

static void *gan__pool_main(void *arg)
{
    unsigned long seen = (unsigned long)(uintptr_t)arg;
    pthread_mutex_lock(&gan__pool_mu);
    for (;;) {
        if (gan__pool_gen == seen) {
            pthread_mutex_unlock(&gan__pool_mu);
            gan__pool_spin(gan__pool_new_job, &seen);
            pthread_mutex_lock(&gan__pool_mu);
        }
        while (gan__pool_gen == seen)
            pthread_cond_wait(&gan__pool_work, &gan__pool_mu);
        seen = gan__pool_gen;
        gan__pool_drain();
    }
    return NULL;
}

/* Fork: the child has none of the workers; it starts its own when needed. */
static void gan__pool_after_fork(void)
{
    pthread_mutex_init(&gan__pool_call, NULL);
    pthread_mutex_init(&gan__pool_mu, NULL);
    pthread_cond_init(&gan__pool_work, NULL);
    pthread_cond_init(&gan__pool_done, NULL);
    gan__pool_workers = 0;
    gan__pool_next = gan__pool_left = 0;
}

void gan__pool_run(int threads, int parts, gan__part_fn fn, void *ctx)
{
    if (threads > GAN__POOL_MAX)
        threads = GAN__POOL_MAX;
    if (threads <= 1 || parts <= 1 || pthread_mutex_trylock(&gan__pool_call) != 0) {
        /* Serial: one thread, one part, a nested call, or another thread's
           job holds the pool (several samplers at once: waiting would
           serialise the callers). */
        for (int p = 0; p < parts; p++)
            fn(ctx, p);
        return;
    }
    pthread_mutex_lock(&gan__pool_mu);
    if (!gan__pool_forkhook) {
        pthread_atfork(NULL, NULL, gan__pool_after_fork);
        gan__pool_forkhook = 1;
    }
    const int want = (parts < threads ? parts : threads) - 1;
    while (gan__pool_workers < want) {
        pthread_t t;
        pthread_attr_t at;
        int ok;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        ok = pthread_create(&t, &at, gan__pool_main, (void *)(uintptr_t)gan__pool_gen) == 0;
        pthread_attr_destroy(&at);
        if (!ok)
            break; /* fewer helpers: the caller takes more parts, same parts */
        gan__pool_workers++;
    }
    gan__pool_cur.fn = fn;
    gan__pool_cur.ctx = ctx;
    gan__pool_cur.parts = parts;
    gan__pool_next = 0;
    __atomic_store_n(&gan__pool_left, parts, __ATOMIC_RELEASE);
    __atomic_add_fetch(&gan__pool_gen, 1, __ATOMIC_ACQ_REL);
    pthread_cond_broadcast(&gan__pool_work);
    gan__pool_drain();
    if (gan__pool_left > 0) {
        pthread_mutex_unlock(&gan__pool_mu);
        gan__pool_spin(gan__pool_finished, NULL);
        pthread_mutex_lock(&gan__pool_mu);
    }
    while (gan__pool_left > 0)
        pthread_cond_wait(&gan__pool_done, &gan__pool_mu);
    pthread_mutex_unlock(&gan__pool_mu);
    pthread_mutex_unlock(&gan__pool_call);
}

#else /* no pool: libgan threads nothing itself */

void gan__pool_run(int threads, int parts, gan__part_fn fn, void *ctx)
{
    (void)threads;
    for (int p = 0; p < parts; p++)
        fn(ctx, p);
}

#endif

/* ---- ranges ----------------------------------------------------------------- */

typedef struct gan__range_job {
    gan__range_fn fn;
    void *ctx;
    size_t n, step;
} gan__range_job;

static void gan__range_part(void *ctx, int p)
{
    const gan__range_job *j = ctx;
    const size_t lo = (size_t)p * j->step, hi = lo + j->step < j->n ? lo + j->step : j->n;
    if (lo < hi)
        j->fn(j->ctx, lo, hi);
}

void gan__parallel_range(size_t n, size_t grain, size_t min_n, gan__range_fn fn, void *ctx)
{
    const int threads = gan__pool_threads();
    gan__range_job j = {fn, ctx, n, n};
    if (n == 0)
        return;
    if (threads <= 1 || n < min_n) {
        fn(ctx, 0, n);
        return;
    }
    if (grain < 1)
        grain = 1;
    /* Equal slices, each a whole number of grains (a cache line of floats
       keeps two threads off one line). */
    j.step = (n + (size_t)threads - 1) / (size_t)threads;
    j.step = (j.step + grain - 1) / grain * grain;
    gan__pool_run(threads, (int)((n + j.step - 1) / j.step), gan__range_part, &j);
}

static void gan__zero_slice(void *ctx, size_t lo, size_t hi)
{
    memset((float *)ctx + lo, 0, (hi - lo) * sizeof(float));
}

void gan__parallel_zero(float *x, size_t n)
{
    gan__parallel_range(n, 16, 4 * GAN__PAR_MIN_FLOATS, gan__zero_slice, x);
}
