/*
 * wgan.c -- the second notebook's WGAN practical: its critic (the MNIST
 * discriminator without dropout, linear score) with Wasserstein losses,
 * trained as the original WGAN: RMSprop(5e-5), 5 critic updates per
 * generator update, critic weights clipped to [-0.01, 0.01].  The
 * generator is the corrected 28x28 MNIST generator.
 */
#include "example_common.h"

int main(int argc, char **argv)
{
    ex_options o = {NULL, 1, 64, 0, 0, 1};
    gan_optimizer_config oc;
    gan_loss_config lc;
    ex_gan x;
    if (ex_parse(argc, argv, &o, "Trains a WGAN (weight clipping) with the notebook's critic.\n"))
        return 2;
    GAN_OPTIMIZER_CONFIG_INIT(&oc);
    oc.kind = GAN_OPTIM_RMSPROP;
    oc.lr = 5e-5f;
    GAN_LOSS_CONFIG_INIT(&lc);
    lc.kind = GAN_LOSS_WASSERSTEIN;
    lc.clip = 0.01f;
    if (ex_build(&x, GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_WGAN_CRITIC, &oc, &lc, 5, &o))
        return 1;
    return ex_run(&x, &o);
}
