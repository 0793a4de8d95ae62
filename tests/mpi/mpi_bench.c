/*
 * mpi_bench.c -- the loopback measurements of docs/distributed.md (not a
 * test; ctest only builds it).
 *
 *   mpi_bench PRESET BATCH STEPS [THREADS [BUCKET_BYTES [thread]]]
 *       Under mpirun: every rank trains the preset pair (mnist-gan,
 *       dcgan-cifar10, wgan-gp) on BATCH random images per step (the
 *       GLOBAL batch; each rank gets its share).  STEPS times (after
 *       warm-up) it makes three kinds of step, interleaved so that the load
 *       of a shared machine weighs on each alike: a second pair alone (no
 *       reducer: the compute of a step, every rank computing at once), the
 *       pair through libgan_mpi with overlap (MPI_Iallreduce per bucket as
 *       the backward pass finishes it) and without (a blocking
 *       MPI_Allreduce per bucket at the same points), and it times the
 *       reduction alone (gan_mpi_time_reduction).  Rank 0 prints each
 *       kind's median step (each step's slowest rank), images/s, what it
 *       adds to compute alone, the reduction alone and the share of the
 *       reduced bytes whose sums had completed when the update's wait
 *       began (hidden behind compute; gan_mpi_stats.hidden_bytes).
 *   mpi_bench PRESET BATCH STEPS THREADS plain
 *       The same pair in one process without MPI, THREADS threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gan.h"
#include "gan_mpi.h"

#define CHECK(call)                                                                      \
    do {                                                                                 \
        gan_status st_ = (call);                                                         \
        if (st_ != GAN_OK) {                                                             \
            fprintf(stderr, "%s: %s\n", #call, gan_last_error());                        \
            exit(2);                                                                     \
        }                                                                                \
    } while (0)

typedef struct bench_pair {
    gan_model *g, *d;
    gan_optimizer *go, *dop;
    gan_loss *loss;
    gan_trainer *t;
    int n_critic;
    size_t sample;
} bench_pair;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void make_pair(bench_pair *p, const char *preset)
{
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_trainer_config tc;
    gan_preset gp = GAN_PRESET_MNIST_GENERATOR, dp = GAN_PRESET_MNIST_DISCRIMINATOR;
    size_t ndim;
    int dims[3];
    memset(p, 0, sizeof *p);
    CHECK(GAN_OPTIMIZER_CONFIG_INIT(&oc));
    CHECK(GAN_LOSS_CONFIG_INIT(&lc));
    CHECK(GAN_TRAINER_CONFIG_INIT(&tc));
    oc.lr = 2e-4f;
    oc.beta1 = 0.5f;
    if (strcmp(preset, "dcgan-cifar10") == 0) {
        gp = GAN_PRESET_DCGAN_CIFAR10_GENERATOR;
        dp = GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR;
    } else if (strcmp(preset, "wgan-gp") == 0) {
        dp = GAN_PRESET_WGAN_CRITIC;
        lc.kind = GAN_LOSS_WASSERSTEIN;
        lc.gradient_penalty = 10.0f;
        tc.n_critic = 5;
        oc.beta1 = 0.0f;
        oc.beta2 = 0.9f;
    } else if (strcmp(preset, "mnist-gan") != 0) {
        fprintf(stderr, "unknown preset %s\n", preset);
        exit(2);
    }
    CHECK(gan_model_create_preset(&p->g, gp));
    CHECK(gan_model_create_preset(&p->d, dp));
    CHECK(gan_model_init_params(p->g, 1));
    CHECK(gan_model_init_params(p->d, 2));
    CHECK(gan_optimizer_create(&p->go, p->g, &oc));
    CHECK(gan_optimizer_create(&p->dop, p->d, &oc));
    CHECK(gan_loss_create(&p->loss, &lc));
    CHECK(gan_trainer_create(&p->t, p->g, p->d, p->go, p->dop, p->loss, &tc));
    p->n_critic = tc.n_critic;
    CHECK(gan_model_shape(p->d, GAN_MODEL_INPUT, &ndim, dims));
    p->sample = (size_t)dims[0] * (size_t)(ndim > 1 ? dims[1] : 1) * (size_t)(ndim > 2 ? dims[2] : 1);
}

static void free_pair(bench_pair *p)
{
    gan_trainer_free(p->t);
    gan_loss_free(p->loss);
    gan_optimizer_free(p->go);
    gan_optimizer_free(p->dop);
    gan_model_free(p->g);
    gan_model_free(p->d);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* steps steps on b random images each (n_critic batches); with mpi, each
   step starts at a barrier and takes the slowest rank's time.  The times
   go to out[0..steps) (may be NULL); returns their median. */
static double step_times(bench_pair *p, size_t b, int steps, float *x, int mpi, double *out)
{
    const size_t n = (size_t)p->n_critic * b * p->sample;
    double *t = malloc((size_t)steps * sizeof *t), med;
    for (int s = 0; s < steps; s++) {
        double t0;
        if (mpi)
            MPI_Barrier(MPI_COMM_WORLD);
        t0 = wall();
        CHECK(gan_trainer_step(p->t, x, n, b, NULL));
        t[s] = wall() - t0;
        if (mpi)
            MPI_Allreduce(MPI_IN_PLACE, &t[s], 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (out)
            out[s] = t[s];
    }
    med = median(t, steps);
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    bench_pair p;
    size_t global, b, params_g = 0, params_d = 0;
    int steps, threads, rank = 0, size = 1;
    float *x;
    if (argc < 4) {
        fprintf(stderr, "usage: mpi_bench PRESET BATCH STEPS [THREADS [plain]]\n");
        return 2;
    }
    global = (size_t)atol(argv[2]);
    steps = atoi(argv[3]);
    threads = argc > 4 ? atoi(argv[4]) : 1;
    CHECK(gan_set_threads(threads));
    make_pair(&p, argv[1]);
    gan_model_param_count(p.g, NULL, &params_g);
    gan_model_param_count(p.d, NULL, &params_d);
    if (argc > 5 && strcmp(argv[5], "plain") == 0) {
        double dt;
        x = malloc((size_t)p.n_critic * global * p.sample * sizeof *x);
        for (size_t i = 0; i < (size_t)p.n_critic * global * p.sample; i++)
            x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
        step_times(&p, global, 2, x, 0, NULL);
        dt = step_times(&p, global, steps, x, 0, NULL);
        printf("%s plain 1 process x %d thread(s), batch %zu: %.1f ms/step, %.0f img/s "
               "(G %zu + D %zu parameters)\n", argv[1], threads, global, 1e3 * dt,
               (double)global * p.n_critic / dt, params_g, params_d);
        free(x);
        free_pair(&p);
        return 0;
    }
    {
        int provided;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    {
        /* Three kinds of step, interleaved so that the load of a shared
           machine weighs on all three alike: q alone (no reducer: the
           compute), p through libgan_mpi with overlap, p without. */
        gan_mpi *m = NULL;
        gan_mpi_stats s0, s1;
        bench_pair q;
        double *t[3], med[3], *comm, wait = 0.0, window = 0.0, bytes = 0.0, hid = 0.0, sent = 0.0;
        const char *names[3] = {"compute alone (no reducer)", "overlap on", "overlap off"};
        make_pair(&q, argv[1]);
        b = global / (size_t)size + ((size_t)rank < global % (size_t)size);
        x = malloc((size_t)p.n_critic * b * p.sample * sizeof *x);
        for (size_t i = 0; i < (size_t)p.n_critic * b * p.sample; i++)
            x[i] = (float)((i * 2654435761u + (size_t)rank) % 2001) / 1000.0f - 1.0f;
        CHECK(gan_mpi_attach(&m, p.t, NULL, MPI_COMM_WORLD));
        if (argc > 5)
            CHECK(gan_mpi_set_bucket_bytes(m, (size_t)atol(argv[5])));
        if (argc > 6 && strcmp(argv[6], "thread") == 0)
            CHECK(gan_mpi_set_progress_thread(m, 1));
        if (rank == 0)
            printf("(gradient sums driven by %s)\n", gan_mpi_progress_thread(m)
                   ? "libgan_mpi's progress thread" : "MPI_Testall between layers");
        for (int k = 0; k < 3; k++)
            t[k] = malloc((size_t)steps * sizeof(double));
        comm = malloc((size_t)steps * sizeof(double));
        step_times(&q, b, 1, x, 1, NULL);
        step_times(&p, b, 2, x, 1, NULL);
        for (int i = 0; i < steps; i++) {
            step_times(&q, b, 1, x, 1, &t[0][i]);
            CHECK(gan_mpi_set_overlap(m, 1));
            GAN_MPI_STATS_INIT(&s0);
            CHECK(gan_mpi_get_stats(m, &s0));
            step_times(&p, b, 1, x, 1, &t[1][i]);
            GAN_MPI_STATS_INIT(&s1);
            CHECK(gan_mpi_get_stats(m, &s1));
            wait += s1.wait_seconds - s0.wait_seconds;
            window += s1.window_seconds - s0.window_seconds;
            hid += s1.hidden_bytes - s0.hidden_bytes;
            sent += s1.bytes - s0.bytes;
            CHECK(gan_mpi_set_overlap(m, 0));
            step_times(&p, b, 1, x, 1, &t[2][i]);
            CHECK(gan_mpi_time_reduction(m, 1, &comm[i], &bytes));
        }
        for (int k = 0; k < 3; k++)
            med[k] = median(t[k], steps);
        {
            /* One step reduces G once and D n_critic times. */
            const double scale = (params_g + (double)p.n_critic * params_d) /
                                 (double)(params_g + params_d);
            const double c = median(comm, steps) * scale;
            MPI_Allreduce(MPI_IN_PLACE, &wait, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            MPI_Allreduce(MPI_IN_PLACE, &window, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            /* What overlap hid: the buckets whose sum had arrived when the
               wait began (gan_mpi_stats.hidden_bytes; the slowest rank's). */
            double hidden = sent > 0.0 ? hid / sent : 0.0;
            MPI_Allreduce(MPI_IN_PLACE, &hidden, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
            for (int k = 0; rank == 0 && k < 3; k++) {
                printf("%s %d ranks x %d thread(s), global batch %zu, %s: %.1f ms/step, %.0f img/s",
                       argv[1], size, threads, global, names[k], 1e3 * med[k],
                       (double)global * p.n_critic / med[k]);
                if (k > 0)
                    printf("; %.1f ms more than compute alone", 1e3 * (med[k] - med[0]));
                if (k == 1)
                    printf("; reduction alone %.1f ms (%.2f MB/step), hidden %.0f%%; waiting "
                           "%.1f ms, window %.1f ms per step", 1e3 * c, bytes * scale / 1e6,
                           100.0 * hidden, 1e3 * wait / steps, 1e3 * window / steps);
                printf("\n");
            }
            fflush(stdout);
        }
        for (int k = 0; k < 3; k++)
            free(t[k]);
        free(comm);
        gan_mpi_free(m);
        free_pair(&q);
    }
    free(x);
    free_pair(&p);
    MPI_Finalize();
    return 0;
}
