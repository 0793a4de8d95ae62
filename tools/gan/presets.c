/*
 * presets.c -- the training presets of `gan train`: the seed notebooks'
 * networks with the hyper-parameters the notebooks train them with (see
 * /work/shared/seeds and examples/).  Flags override any field.
 */
#include <string.h>

#include "cli.h"

static const cli_preset presets[] = {
    {"mnist-gan",
     "second notebook's GAN, generator corrected to 28x28; BCE, Adam 1e-4, batch 256",
     GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_MNIST_DISCRIMINATOR, GAN_OPTIM_ADAM, 1e-4f, 0.9f, 0.999f,
     GAN_LOSS_BCE, 0.0f, 0.0f, 1, 256, 0, 1.0f, 0.0f, 0, 0.0f},
    {"dcgan-cifar10",
     "first notebook's DCGAN, 32x32x3; BCE, Adam 1e-4 beta1 0.5, batch 256 "
     "(Fashion-MNIST padded to 32x32, 3 channels, unless CIFAR-10 .bin files are given)",
     GAN_PRESET_DCGAN_CIFAR10_GENERATOR, GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR, GAN_OPTIM_ADAM,
     1e-4f, 0.5f, 0.999f, GAN_LOSS_BCE, 0.0f, 0.0f, 1, 256, 1, 1.0f, 0.0f, 0, 0.0f},
    {"wgan",
     "second notebook's WGAN critic with the 28x28 generator; Wasserstein loss, "
     "RMSprop 5e-5, n_critic 5, clip 0.01, batch 64",
     GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_WGAN_CRITIC, GAN_OPTIM_RMSPROP, 5e-5f, 0.9f, 0.999f,
     GAN_LOSS_WASSERSTEIN, 0.01f, 0.0f, 5, 64, 1, 1.0f, 0.0f, 0, 0.0f},
    {"wgan-gp",
     "the WGAN critic with the gradient penalty (Gulrajani et al.): Wasserstein loss, "
     "lambda 10, Adam 1e-4 beta 0/0.9, n_critic 5, batch 64",
     GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_WGAN_CRITIC, GAN_OPTIM_ADAM, 1e-4f, 0.0f, 0.9f,
     GAN_LOSS_WASSERSTEIN, 0.0f, 10.0f, 5, 64, 1, 1.0f, 0.0f, 0, 0.0f},
    {"mnist-gan-r1",
     "the 28x28 GAN with an R1 penalty on real images (Mescheder et al.), gamma 1; BCE, "
     "Adam 2e-4 beta1 0.5, batch 64",
     GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_MNIST_DISCRIMINATOR, GAN_OPTIM_ADAM, 2e-4f, 0.5f, 0.999f,
     GAN_LOSS_BCE, 0.0f, 0.0f, 1, 64, 1, 1.0f, 1.0f, 0, 0.0f},
    {"mnist-gan-ls",
     "the 28x28 GAN with one-sided label smoothing (Salimans et al.), real target 0.9; BCE, "
     "Adam 2e-4 beta1 0.5, batch 64",
     GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_MNIST_DISCRIMINATOR, GAN_OPTIM_ADAM, 2e-4f, 0.5f, 0.999f,
     GAN_LOSS_BCE, 0.0f, 0.0f, 1, 64, 1, 0.9f, 0.0f, 0, 0.0f},
    {"style",
     "style-based generator (mapping network, learned constant, AdaIN; examples/style_gan.c) "
     "with the WGAN critic and gradient penalty, as wgan-gp: lambda 10, Adam 1e-4 beta 0/0.9, "
     "n_critic 5, batch 64",
     GAN_PRESET_STYLE_GENERATOR, GAN_PRESET_WGAN_CRITIC, GAN_OPTIM_ADAM, 1e-4f, 0.0f, 0.9f,
     GAN_LOSS_WASSERSTEIN, 0.0f, 10.0f, 5, 64, 1, 1.0f, 0.0f, 0, 0.0f},
    {"cgan",
     "conditional GAN on Fashion-MNIST with its labels: class embedding + noise "
     "generator, projection discriminator with minibatch discrimination; BCE, "
     "Adam 2e-4 beta1 0.5, batch 64",
     GAN_PRESET_CGAN_GENERATOR, GAN_PRESET_CGAN_DISCRIMINATOR, GAN_OPTIM_ADAM, 2e-4f, 0.5f,
     0.999f, GAN_LOSS_BCE, 0.0f, 0.0f, 1, 64, 0, 1.0f, 0.0f, 0, 0.0f},
    {"sngan",
     "SN-GAN (Miyato et al.): the 28x28 generator against the WGAN critic (no dropout) "
     "with spectral normalisation in every layer; hinge loss, Adam beta 0/0.9, G lr 1e-4, "
     "D lr 4e-4 (two time-scale), batch 64",
     GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_WGAN_CRITIC, GAN_OPTIM_ADAM, 1e-4f, 0.0f, 0.9f,
     GAN_LOSS_HINGE, 0.0f, 0.0f, 1, 64, 0, 1.0f, 0.0f, 1, 4e-4f},
};

const cli_preset *cli_preset_at(size_t i)
{
    return i < sizeof presets / sizeof presets[0] ? &presets[i] : NULL;
}

const cli_preset *cli_preset_find(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}
