/*
 * dcgan_cifar10.c -- the first seed notebook's DCGAN, exactly: generator
 * 128 -> 4x4x512 -> ... -> 32x32x3, discriminator with dropout 0.3,
 * BCE on logits, Adam(1e-4, beta1 0.5) for both, batch 256 with
 * drop_remainder, one generator forward per step.
 *
 * Data: CIFAR-10 binary batches when --data names a .bin file or their
 * directory; otherwise Fashion-MNIST, padded to 32x32 with black and
 * replicated to 3 channels (the model needs 32x32x3 input).
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    ex_options o = {NULL, 1, 256, 0, 0, 1};
    gan_optimizer_config oc;
    gan_loss_config lc;
    ex_gan x;
    if (ex_parse(argc, argv, &o, "Trains the first notebook's CIFAR-10 DCGAN.\n"))
        return 2;
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    oc.lr = 1e-4f;
    oc.beta1 = 0.5f;
    GAN_LOSS_CONFIG_INIT(&lc);
    if (ex_build(&x, GAN_PRESET_DCGAN_CIFAR10_GENERATOR, GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR, &oc, &lc, 1, &o))
        return 1;
    return ex_run(&x, &o);
}
