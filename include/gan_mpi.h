/**
 * @file gan_mpi.h
 * gan_mpi.h -- data-parallel training of a libgan trainer over MPI
 * (libgan_mpi.so, built when CMake finds MPI: -DGAN_WITH_MPI).
 *
 * libgan.so itself knows no MPI: its trainer takes a reducer
 * (gan_reducer_config in gan.h), and this small library is one, over an
 * MPI communicator.  Every rank runs the same program:
 *
 *     MPI_Init(&argc, &argv);
 *     ... build or load the same trainer and data set on every rank ...
 *     gan_mpi *m = NULL;
 *     if (gan_mpi_attach(&m, trainer, ds, MPI_COMM_WORLD) != GAN_OK) {
 *         fprintf(stderr, "%s\n", gan_last_error());   // on every rank alike
 *         MPI_Abort(MPI_COMM_WORLD, 1);
 *     }
 *     st = gan_trainer_fit(trainer, ds, epochs, on_step, on_epoch, user);
 *     if (rank == 0) gan_mpi_save(...) ...            // or gan_mpi_save on all
 *     gan_mpi_free(m);                                 // before gan_trainer_free
 *     MPI_Finalize();
 *
 * gan_mpi_attach copies rank 0's whole training state (weights, batchnorm
 * statistics, optimizer moments, step, random streams, EMA, and the data
 * set's batching and position) to every rank, makes the data set read
 * this rank's shard of every global batch (gan_dataset_set_shard: the
 * batch size is the GLOBAL batch) and installs the reducer: gradient
 * buckets summed with MPI_Iallreduce while the backward pass goes on, the
 * losses and scores summed with MPI_Allreduce.  docs/distributed.md tells
 * how to launch, what scales, and what is bit-exact.
 *
 * Conventions are gan.h's: statuses, gan_last_error() (set on every rank
 * when a collective call fails on any rank: "rank K of N: <its message>"),
 * no printing, no aborting.  MPI's own errors follow the communicator's
 * error handler (MPI_ERRORS_ARE_FATAL unless the program changed it).
 * Every call marked collective must be made by every rank of the
 * communicator, in the same order.  MPI must be initialised; calls come
 * from the thread that makes the trainer's calls (MPI_THREAD_FUNNELED is
 * enough, MPI_THREAD_MULTIPLE for gan_mpi_set_progress_thread).
 */
#ifndef GAN_MPI_H
#define GAN_MPI_H

#include <mpi.h>

#include "gan.h"

#if defined(__GNUC__) && (__GNUC__ >= 4)
#  define GAN_MPI_API __attribute__((visibility("default")))
#else
#  define GAN_MPI_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** One trainer attached to one communicator.  Opaque. */
typedef struct gan_mpi gan_mpi;

/**
 * Constructor, collective over comm: attach trainer t (and data set ds,
 * which may be NULL) to comm's ranks as described above.  comm is
 * duplicated, so the training's messages never mix with the program's.
 * Every rank must hold a trainer of the same architecture (the same
 * networks, optimizer kinds, loss and n_critic) and, when ds is given, a
 * data set of the same samples; rank 0's state wins.
 * Returns GAN_OK on every rank, or on every rank the first failing rank's
 * error: GAN_EINVAL (bad arguments, MPI not initialised), GAN_ESHAPE or
 * GAN_EFORMAT (a rank's trainer or data differ from rank 0's), GAN_ENOMEM.
 */
GAN_MPI_API gan_status gan_mpi_attach(gan_mpi **out, gan_trainer *t, gan_dataset *ds,
                                      MPI_Comm comm);

/**
 * The same with the communicator's Fortran handle, as language bindings
 * hold it (mpi4py: comm.py2f()).
 */
GAN_MPI_API gan_status gan_mpi_attach_f(gan_mpi **out, gan_trainer *t, gan_dataset *ds,
                                        MPI_Fint comm);

/**
 * Destructor, collective: remove the reducer from the trainer (which then
 * trains alone again) and free the duplicated communicator.  Call it
 * before freeing the trainer.  The data set stays sharded
 * (gan_dataset_set_shard(ds, 0, 1) reads whole batches again).  NULL is a
 * no-op.
 */
GAN_MPI_API void gan_mpi_free(gan_mpi *m);

/** This rank and the communicator's size.  Either pointer may be NULL. */
GAN_MPI_API gan_status gan_mpi_rank(const gan_mpi *m, int *rank, int *size);

/**
 * Collective: agree on the outcome of something every rank did (loading
 * data, rank 0 saving a file).  Returns `status` where every rank passed a
 * non-negative status; otherwise, on every rank, the error of the lowest
 * failing rank, with its gan_last_error() message prefixed "rank K of N: "
 * (that rank keeps its own message).
 */
GAN_MPI_API gan_status gan_mpi_agree(gan_mpi *m, gan_status status);

/**
 * 1 while the ranks are in step; 0 after this rank failed in the middle of
 * a training step on its own (out of memory, an MPI error with
 * MPI_ERRORS_RETURN): the other ranks are then waiting in a collective
 * this one will never join, and the program must end the job
 * (MPI_Abort).  Errors that every rank sees alike (a rank failing before a
 * step, NaN anywhere: gan.h, gan_trainer_fail_step) keep the ranks in step.
 */
GAN_MPI_API int gan_mpi_in_step(const gan_mpi *m);

/**
 * Collective: rank 0 saves the training checkpoint (gan_trainer_save,
 * atomic), then every rank returns its outcome (gan_mpi_agree).  ds as in
 * gan_trainer_save: the position it holds is the global one, the same on
 * every rank, so the file resumes on any number of ranks.
 */
GAN_MPI_API gan_status gan_mpi_save(gan_mpi *m, const gan_dataset *ds, const char *path);

/**
 * Overlap on (the default) starts each bucket's MPI_Iallreduce as soon as
 * the backward pass has finished it; off sums each bucket with a blocking
 * MPI_Allreduce at the same point, for comparison.  Collective in effect:
 * set it alike on every rank.
 */
GAN_MPI_API gan_status gan_mpi_set_overlap(gan_mpi *m, int on);

/**
 * Collective: drive the buckets from a progress thread (on) or from the
 * trainer's thread, MPI_Testall between layers (off, the default).  The
 * thread posts each bucket's MPI_Iallreduce and polls it every 50 us while
 * the trainer computes, so the sums advance even inside a long layer; it
 * wants a core of its own (on the 2-core test machine, 2 ranks and no spare
 * core, it hid 11-20% of the reduced bytes against 8-15% without it, within
 * that machine's noise: docs/distributed.md) and MPI_THREAD_MULTIPLE on
 * every rank (MPI_Init_thread; mpi4py asks for it): GAN_EUNSUPPORTED
 * without it.
 */
GAN_MPI_API gan_status gan_mpi_set_progress_thread(gan_mpi *m, int on);

/** 1 while the progress thread runs.  Not collective. */
GAN_MPI_API int gan_mpi_progress_thread(const gan_mpi *m);

/** Collective: gradient bucket size in bytes (default 4 MiB; 4 .. 2^30). */
GAN_MPI_API gan_status gan_mpi_set_bucket_bytes(gan_mpi *m, size_t bytes);

/**
 * What the reducer did since attach or the last gan_mpi_reset_stats, on
 * this rank.  The library writes struct_size bytes (GAN_MPI_STATS_INIT).
 */
typedef struct gan_mpi_stats {
    uint32_t struct_size;
    uint64_t buckets;          /**< gradient (and statistics) sums started */
    double bytes;              /**< their size in bytes */
    double start_seconds;      /**< time inside sum_start (blocking sums when overlap is off) */
    double progress_seconds;   /**< time in MPI_Testall between layers */
    double wait_seconds;       /**< time blocked waiting for the buckets: the
                                  communication that compute did not hide */
    uint64_t waits;            /**< waits (one per optimizer update) */
    uint64_t scalar_sums;      /**< blocking sums of doubles (agreement, losses) */
    double scalar_seconds;     /**< their time */
    double window_seconds;     /**< from each update's first bucket to its wait: the
                                  compute that communication can hide behind */
    double hidden_bytes;       /**< bytes of the buckets whose sum had completed
                                  when the wait began (with overlap): the share
                                  of the reduction hidden behind compute is
                                  hidden_bytes / bytes */
    /* new fields are only ever appended here */
} gan_mpi_stats;

#define GAN_MPI_STATS_INIT(s) (memset((s), 0, sizeof *(s)), (s)->struct_size = (uint32_t)sizeof *(s))

GAN_MPI_API gan_status gan_mpi_get_stats(const gan_mpi *m, gan_mpi_stats *stats);
GAN_MPI_API gan_status gan_mpi_reset_stats(gan_mpi *m);

/**
 * Collective: the communication alone, for comparison with wait_seconds.
 * Sums the generator's and the discriminator's gradients once each, in the
 * trainer's buckets, with blocking MPI_Allreduce and nothing to overlap,
 * `reps` times; *seconds gets the mean time of one such round (the
 * slowest rank's) and *bytes (may be NULL) its size.  One training step
 * reduces the discriminator n_critic times.
 */
GAN_MPI_API gan_status gan_mpi_time_reduction(gan_mpi *m, int reps, double *seconds,
                                              double *bytes);

#ifdef __cplusplus
}
#endif

#endif /* GAN_MPI_H */
