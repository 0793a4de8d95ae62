/*
 * distributed.h -- `gan train --distributed`: the run spread over the ranks
 * of an MPI job (mpirun -np N gan train --distributed ...), through
 * libgan_mpi (docs/distributed.md).  Rank 0 prints and writes every output;
 * the other ranks train silently.  Every call below is collective when the
 * run is distributed and a no-op (or the identity) otherwise, so the
 * single-process path of cmd_train.c is unchanged.  Built with stubs when
 * this gan has no MPI: --distributed then fails with a usage error.
 */
#ifndef GAN_CLI_DISTRIBUTED_H
#define GAN_CLI_DISTRIBUTED_H

#include "cli.h"

/* Remove --distributed from argv (getopt never sees it); 1 if it was
   there. */
int dist_take_flag(int *argc, char **argv);
/* MPI_Init; ranks other than 0 send stdout to /dev/null.  0 or an exit
   code. */
int dist_init(void);
/* Threads per rank when --threads is not given: the cores shared by the
   ranks on this node (at least 1); 0 when not distributed. */
uint64_t dist_default_threads(void);
/* 1 in the process that prints and writes files: rank 0, or any process
   of a run that is not distributed. */
int dist_writer(void);
/* The largest of every rank's rc (0 when not distributed: rc). Rank 0
   says when another rank failed. */
int dist_agree_rc(int rc);
/* Attach the trainer and the data set (rank 0's state everywhere, the data
   sharded).  0 or an exit code. */
int dist_attach(gan_trainer *t, gan_dataset *ds);
/* Whether any rank's flag is set: the callbacks' stop decisions, so every
   rank stops after the same step. */
int dist_any(int flag);
/* 1 if this rank should print a training error: rank 0 always, another
   rank only when the error is its own (the ranks are out of step). */
int dist_print_error(void);
/* Leave MPI: MPI_Finalize, or MPI_Abort when this rank failed on its own in
   a step (the others wait for it in a collective).  Returns rc. */
int dist_finish(int rc);

#endif /* GAN_CLI_DISTRIBUTED_H */
