/*
 * consumer_mpi.c -- a program outside the libgan tree that trains over MPI
 * with an installed libgan_mpi, built by tests/install/check_install.sh
 * through pkg-config (gan_mpi) and through find_package(gan COMPONENTS mpi),
 * and run under mpirun on 2 ranks.  Every rank trains the same small pair
 * on its shard of each global batch: every update must go through the
 * reducer (its statistics) and the ranks must end with the same weights
 * (docs/distributed.md).
 */
#include <stdio.h>
#include <string.h>

#include <gan_mpi.h>

#define N 64 /* samples */
#define F 8  /* features */

#define TRY(call)                                                                          \
    do {                                                                                   \
        if ((st = (call)) != GAN_OK) {                                                     \
            fprintf(stderr, "rank %d: %s: %s\n", rank, #call, gan_last_error());          \
            goto done;                                                                     \
        }                                                                                  \
    } while (0)

static gan_status add_dense(gan_model *m, int units)
{
    gan_dense_config dc;
    gan_status st = GAN_DENSE_CONFIG_INIT(&dc);
    dc.units = units;
    return st != GAN_OK ? st : gan_model_add_dense(m, &dc);
}

int main(int argc, char **argv)
{
    gan_model *g = NULL, *d = NULL;
    gan_optimizer *go = NULL, *dopt = NULL;
    gan_loss *loss = NULL;
    gan_trainer *t = NULL;
    gan_dataset *ds = NULL;
    gan_mpi *m = NULL;
    gan_batch_config bc;
    gan_optimizer_config oc;
    gan_loss_config lc;
    gan_status st = GAN_OK;
    int rank = -1, size = 0, zin[1] = {4}, xin[1] = {F};
    float x[N * F], w[4096];
    size_t nw = 0;
    unsigned s = 12345;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (int i = 0; i < N * F; i++) { /* the same data on every rank */
        s = s * 1103515245u + 12345u;
        x[i] = (float)((s >> 16) % 2001) / 1000.0f - 1.0f;
    }
    TRY(gan_model_create(&g, 1, zin));
    TRY(add_dense(g, 16));
    TRY(gan_model_add_leaky_relu(g, 0.2f));
    TRY(add_dense(g, F));
    TRY(gan_model_add_tanh(g));
    TRY(gan_model_create(&d, 1, xin));
    TRY(add_dense(d, 16));
    TRY(gan_model_add_leaky_relu(d, 0.2f));
    TRY(add_dense(d, 1));
    TRY(gan_model_init_params(g, 1));
    TRY(gan_model_init_params(d, 2));
    TRY(GAN_OPTIMIZER_CONFIG_INIT(&oc)); /* Adam */
    TRY(GAN_LOSS_CONFIG_INIT(&lc));      /* BCE */
    TRY(gan_optimizer_create(&go, g, &oc));
    TRY(gan_optimizer_create(&dopt, d, &oc));
    TRY(gan_loss_create(&loss, &lc));
    TRY(gan_trainer_create(&t, g, d, go, dopt, loss, NULL));
    TRY(gan_dataset_create_float(&ds, x, N, 1, xin, NULL, 1));
    TRY(GAN_BATCH_CONFIG_INIT(&bc));
    bc.batch_size = 16; /* the global batch */
    TRY(gan_dataset_set_batching(ds, &bc));

    TRY(gan_mpi_attach(&m, t, ds, MPI_COMM_WORLD));
    TRY(gan_mpi_rank(m, &rank, &size));
    TRY(gan_trainer_fit(t, ds, 2, NULL, NULL, NULL));
    /* The steps went through the reducer: one wait per update. */
    {
        gan_mpi_stats ms;
        GAN_MPI_STATS_INIT(&ms);
        TRY(gan_mpi_get_stats(m, &ms));
        if (ms.waits != 2 * N / 16 || ms.buckets < ms.waits) {
            fprintf(stderr, "rank %d: %llu waits and %llu buckets for %d steps\n", rank,
                    (unsigned long long)ms.waits, (unsigned long long)ms.buckets, 2 * N / 16);
            st = GAN_ESTATE;
            goto done;
        }
    }
    /* Every rank ends with rank 0's weights. */
    {
        size_t layers = 0;
        TRY(gan_model_layer_count(d, &layers));
        for (size_t layer = 0; layer < layers; layer++) {
            size_t n = 0;
            TRY(gan_model_layer_sizes(d, layer, &n, NULL));
            if (n > sizeof w / sizeof w[0] - nw) {
                fprintf(stderr, "rank %d: more weights than expected\n", rank);
                st = GAN_ESHAPE;
                goto done;
            }
            if (n)
                TRY(gan_model_get_params(d, layer, w + nw, n));
            nw += n;
        }
    }
    {
        float w0[4096];
        int same;
        memcpy(w0, w, nw * sizeof(float));
        MPI_Bcast(w0, (int)nw, MPI_FLOAT, 0, MPI_COMM_WORLD);
        same = nw > 0 && memcmp(w0, w, nw * sizeof(float)) == 0;
        MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
        if (!same) {
            fprintf(stderr, "rank %d: the ranks' weights differ (%zu compared)\n", rank, nw);
            st = GAN_ESTATE;
        } else if (rank == 0) {
            printf("libgan_mpi %s: %d ranks, 2 epochs, %zu discriminator weights equal\n",
                   gan_version(), size, nw);
        }
    }
done:
    gan_mpi_free(m);
    gan_trainer_free(t);
    gan_dataset_free(ds);
    gan_loss_free(loss);
    gan_optimizer_free(go);
    gan_optimizer_free(dopt);
    gan_model_free(g);
    gan_model_free(d);
    MPI_Finalize();
    return st == GAN_OK ? 0 : 1;
}
