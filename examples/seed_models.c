/*
 * seed_models.c -- build the networks of both seed notebooks, print their
 * summaries, and run one forward pass of each generator/discriminator pair.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gan.h"

static int show(gan_preset p)
{
    gan_model *m = NULL;
    size_t len = 0;
    char *text;
    if (gan_model_create_preset(&m, p) != GAN_OK) {
        fprintf(stderr, "%s: %s\n", gan_preset_name(p), gan_last_error());
        return 1;
    }
    gan_model_summary(m, NULL, 0, &len);
    text = malloc(len + 1);
    if (!text) {
        gan_model_free(m);
        return 1;
    }
    gan_model_summary(m, text, len + 1, NULL);
    printf("== %s\n%s\n", gan_preset_name(p), text);
    free(text);
    gan_model_free(m);
    return 0;
}

/* Generate 4 samples with g and score them with d. */
static int pair(gan_preset gp, gan_preset dp)
{
    gan_model *g = NULL, *d = NULL;
    int rc = 1, latent = gan_preset_latent_dim(gp);
    size_t n = 4, count = 0;
    const float *img = NULL;
    float z[4 * 128], logits[4];
    for (size_t i = 0; i < n * (size_t)latent; i++)
        z[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    if (gan_model_create_preset(&g, gp) == GAN_OK && gan_model_create_preset(&d, dp) == GAN_OK &&
        gan_model_forward(g, z, n * (size_t)latent, n, GAN_MODE_INFER, NULL, 0) == GAN_OK &&
        gan_model_output(g, &img, &count) == GAN_OK &&
        gan_model_forward(d, img, count, n, GAN_MODE_INFER, logits, n) == GAN_OK) {
        printf("%s -> %s: logits %.4f %.4f %.4f %.4f\n", gan_preset_name(gp), gan_preset_name(dp),
               logits[0], logits[1], logits[2], logits[3]);
        rc = 0;
    } else {
        fprintf(stderr, "error: %s\n", gan_last_error());
    }
    gan_model_free(g);
    gan_model_free(d);
    return rc;
}

int main(void)
{
    int rc = 0;
    printf("libgan %s\n\n", gan_version());
    for (int p = GAN_PRESET_DCGAN_CIFAR10_GENERATOR; p <= GAN_PRESET_WGAN_CRITIC; p++)
        rc |= show((gan_preset)p);
    rc |= pair(GAN_PRESET_DCGAN_CIFAR10_GENERATOR, GAN_PRESET_DCGAN_CIFAR10_DISCRIMINATOR);
    rc |= pair(GAN_PRESET_MNIST_GENERATOR, GAN_PRESET_MNIST_DISCRIMINATOR);
    return rc;
}
