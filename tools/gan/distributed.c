/*
 * distributed.c -- `gan train --distributed` over libgan_mpi (see
 * distributed.h).  Without GAN_HAVE_MPI the same functions refuse the flag.
 */
#include "distributed.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *CMD = "train";

int dist_take_flag(int *argc, char **argv)
{
    int found = 0, j = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], "--distributed") == 0) {
            found = 1;
            continue;
        }
        argv[j++] = argv[i];
    }
    *argc = j;
    argv[j] = NULL;
    return found;
}

#ifdef GAN_HAVE_MPI

#include "gan_mpi.h"

static int on;       /* --distributed, MPI initialised */
static int rank, size;
static gan_mpi *mpi;

int dist_init(void)
{
    int provided = 0;
    /* MULTIPLE lets libgan_mpi drive the gradient sums from its progress
       thread; with less it drives them between layers. */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS)
        return cli_error(CMD, "--distributed: MPI_Init failed");
    on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank != 0) {
        /* Only rank 0 talks: the others' progress lines go nowhere. */
        int fd = open("/dev/null", O_WRONLY);
        fflush(stdout);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
    }
    return 0;
}

uint64_t dist_default_threads(void)
{
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    long cores = sysconf(_SC_NPROCESSORS_ONLN), per;
    long ranks = local ? atol(local) : 0;
    if (!on)
        return 0;
    if (ranks <= 0) {
        /* Not Open MPI's mpirun: the ranks sharing this node. */
        MPI_Comm node;
        int n = 1;
        if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
            MPI_SUCCESS) {
            MPI_Comm_size(node, &n);
            MPI_Comm_free(&node);
        }
        ranks = n;
    }
    per = cores > 0 ? cores / ranks : 1;
    return (uint64_t)(per > 0 ? per : 1);
}

int dist_writer(void)
{
    return !on || rank == 0;
}

int dist_agree_rc(int rc)
{
    int worst = rc, first = size;
    int mine = rc ? rank : size;
    if (!on)
        return rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (worst != 0 && rank == 0 && first != 0)
        fprintf(stderr, "gan %s: rank %d of %d failed (its message is above); stopping every "
                "rank\n", CMD, first, size);
    return worst;
}

int dist_attach(gan_trainer *t, gan_dataset *ds)
{
    if (!on)
        return 0;
    if (gan_mpi_attach(&mpi, t, ds, MPI_COMM_WORLD) != GAN_OK) {
        if (rank == 0)
            cli_lib_error(CMD, "--distributed");
        return CLI_EXIT_RUNTIME;
    }
    printf("distributed: %d ranks; each trains its share of every batch, rank 0 writes the "
           "outputs\n", size);
    return 0;
}

int dist_any(int flag)
{
    int any = flag != 0;
    if (on)
        MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return any;
}

int dist_print_error(void)
{
    return !on || rank == 0 || !gan_mpi_in_step(mpi);
}

int dist_finish(int rc)
{
    if (!on)
        return rc;
    fflush(stdout);
    fflush(stderr);
    if (mpi && !gan_mpi_in_step(mpi))
        MPI_Abort(MPI_COMM_WORLD, rc ? rc : CLI_EXIT_RUNTIME);
    gan_mpi_free(mpi);
    mpi = NULL;
    MPI_Finalize();
    return rc;
}

#else /* !GAN_HAVE_MPI */

int dist_init(void)
{
    return cli_usage_error(CMD, "--distributed: this gan was built without MPI (install "
                           "libopenmpi-dev and rebuild; docs/distributed.md)");
}

uint64_t dist_default_threads(void)
{
    return 0;
}

int dist_writer(void)
{
    return 1;
}

int dist_agree_rc(int rc)
{
    return rc;
}

int dist_attach(gan_trainer *t, gan_dataset *ds)
{
    (void)t;
    (void)ds;
    return 0;
}

int dist_any(int flag)
{
    return flag != 0;
}

int dist_print_error(void)
{
    return 1;
}

int dist_finish(int rc)
{
    return rc;
}

#endif
