/*
 * mpi_bench.c -- the loopback measurements of docs/distributed.md (not a
 * test; ctest only builds it).
 *
 *   mpi_bench PRESET BATCH STEPS [THREADS]
 *       Under mpirun: every rank trains the preset pair (mnist-gan,
 *       dcgan-cifar10, wgan-gp) on BATCH random images per step (the
 *       GLOBAL batch; each rank gets its share) for STEPS steps after 2
 *       warm-up steps, once with overlap (MPI_Iallreduce per bucket as the
 *       backward pass finishes it) and once without (a blocking
 *       MPI_Allreduce per bucket at the same point), then times the
 *       reduction alone (gan_mpi_time_reduction).  Rank 0 prints one line
 *       per mode: seconds per step (the slowest rank's), images/s, the
 *       time blocked waiting for the buckets, the reduction alone, the
 *       share of it hidden behind compute, bytes per step.
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

/* steps steps on b random images each (n_critic batches); seconds. */
static double run(bench_pair *p, size_t b, int steps, float *x)
{
    const size_t n = (size_t)p->n_critic * b * p->sample;
    double t0 = wall();
    for (int s = 0; s < steps; s++)
        CHECK(gan_trainer_step(p->t, x, n, b, NULL));
    return wall() - t0;
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
        run(&p, global, 2, x);
        dt = run(&p, global, steps, x) / steps;
        printf("%s plain 1 process x %d thread(s), batch %zu: %.1f ms/step, %.0f img/s "
               "(G %zu + D %zu parameters)\n", argv[1], threads, global, 1e3 * dt,
               (double)global * p.n_critic / dt, params_g, params_d);
        free(x);
        free_pair(&p);
        return 0;
    }
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    {
        gan_mpi *m = NULL;
        gan_mpi_stats s;
        double comm = 0.0, bytes = 0.0;
        b = global / (size_t)size + ((size_t)rank < global % (size_t)size);
        x = malloc((size_t)p.n_critic * b * p.sample * sizeof *x);
        for (size_t i = 0; i < (size_t)p.n_critic * b * p.sample; i++)
            x[i] = (float)((i * 2654435761u + (size_t)rank) % 2001) / 1000.0f - 1.0f;
        CHECK(gan_mpi_attach(&m, p.t, NULL, MPI_COMM_WORLD));
        if (argc > 5)
            CHECK(gan_mpi_set_bucket_bytes(m, (size_t)atol(argv[5])));
        CHECK(gan_mpi_time_reduction(m, 3, &comm, &bytes));
        CHECK(gan_mpi_time_reduction(m, 10, &comm, &bytes));
        for (int overlap = 1; overlap >= 0; overlap--) {
            double dt, worst = 0.0, wait = 0.0;
            CHECK(gan_mpi_set_overlap(m, overlap));
            run(&p, b, 2, x);
            CHECK(gan_mpi_reset_stats(m));
            MPI_Barrier(MPI_COMM_WORLD);
            dt = run(&p, b, steps, x) / steps;
            MPI_Allreduce(&dt, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            GAN_MPI_STATS_INIT(&s);
            CHECK(gan_mpi_get_stats(m, &s));
            wait = overlap ? s.wait_seconds / steps : s.start_seconds / steps;
            MPI_Allreduce(MPI_IN_PLACE, &wait, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (rank == 0) {
                /* One step reduces G once and D n_critic times. */
                const double per_step = comm * (params_g + (double)p.n_critic * params_d) /
                                        (double)(params_g + params_d);
                printf("%s %d ranks x %d thread(s), global batch %zu, overlap %s: %.1f ms/step, "
                       "%.0f img/s; %s %.2f ms/step, reduction alone %.2f ms/step (%.2f MB), "
                       "hidden %.0f%%; %.1f buckets/step, agreement+loss sums %.2f ms/step\n",
                       argv[1], size, threads, global, overlap ? "on" : "off", 1e3 * worst,
                       (double)global * p.n_critic / worst,
                       overlap ? "waiting" : "blocking sums", 1e3 * wait, 1e3 * per_step,
                       bytes * (params_g + (double)p.n_critic * params_d) /
                           (double)(params_g + params_d) / 1e6,
                       overlap ? 100.0 * (1.0 - wait / per_step) : 0.0,
                       (double)s.buckets / steps, 1e3 * s.scalar_seconds / steps);
                fflush(stdout);
            }
        }
        gan_mpi_free(m);
    }
    free(x);
    free_pair(&p);
    MPI_Finalize();
    return 0;
}
