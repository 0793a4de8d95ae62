/*
 * example_common.h -- what the training examples share: command-line
 * options, loading the data (Fashion-MNIST by default, CIFAR-10 files when
 * given) in the shape the discriminator wants, and the epoch loop that
 * prints the seed notebooks' per-epoch lines.
 */
#ifndef EXAMPLE_COMMON_H
#define EXAMPLE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "gan.h"

typedef struct ex_options {
    const char *data;      /* NULL: Fashion-MNIST from GAN_FASHION_MNIST_DIR */
    unsigned epochs;
    size_t batch;
    size_t limit;          /* first N samples; 0 = all */
    uint64_t seed;
    int drop_remainder;
} ex_options;

/* Parse --data, --epochs, --batch, --limit, --seed over the defaults in
   *o.  Returns 0, or prints usage and returns 1. */
int ex_parse(int argc, char **argv, ex_options *o, const char *usage);

/*
 * Load o->data (a CIFAR-10 .bin file or a directory of them, else an
 * MNIST-format directory), converted to (h, w, c) when its samples differ
 * (Fashion-MNIST is padded to 32x32 and replicated to 3 channels for the
 * CIFAR model), limited and batched as o says.  Prints what it did.
 */
gan_dataset *ex_load(const ex_options *o, int h, int w, int c);

/* Train for o->epochs, printing "Epoch i/N | G Loss: ... | D Loss: ..." and
   throughput.  Returns 0 on success. */
int ex_fit(gan_trainer *t, gan_dataset *ds, const ex_options *o);

/* The handles of one GAN run. */
typedef struct ex_gan {
    gan_model *g, *d;
    gan_optimizer *g_opt, *d_opt;
    gan_loss *loss;
    gan_trainer *trainer;
} ex_gan;

/* Build preset G and D (weights from o->seed), one optimizer config for
   both, the loss and a trainer with n_critic.  Returns 0, or prints the
   error, frees what was made and returns 1. */
int ex_build(ex_gan *x, gan_preset gp, gan_preset dp, const gan_optimizer_config *oc,
             const gan_loss_config *lc, int n_critic, const ex_options *o);
void ex_free(ex_gan *x);

/* Load the data for x's discriminator, train, free everything: the whole
   main() after ex_build.  Returns the process exit code. */
int ex_run(ex_gan *x, const ex_options *o);

/* Print the message of a failed call and return 1. */
int ex_fail(const char *what);

#endif
