/*
 * mnist_gan.c -- the second seed notebook's "Practical 1" GAN with its
 * generator corrected to 28x28 (the notebook's outputs 14x14; see
 * GAN_PRESET_MNIST_NOTEBOOK_GENERATOR): BCE on logits, Adam(1e-4) for
 * both, batch 256, on Fashion-MNIST by default or any MNIST-format
 * directory given with --data.
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    ex_options o = {NULL, 1, 256, 0, 0, 0};
    gan_optimizer_config oc;
    gan_loss_config lc;
    ex_gan x;
    if (ex_parse(argc, argv, &o, "Trains the second notebook's MNIST-style GAN (28x28).\n"))
        return 2;
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    oc.lr = 1e-4f;
    GAN_LOSS_CONFIG_INIT(&lc);
    if (ex_build(&x, GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_MNIST_DISCRIMINATOR, &oc, &lc, 1, &o))
        return 1;
    return ex_run(&x, &o);
}
