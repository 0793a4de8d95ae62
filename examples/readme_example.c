/* readme_example.c -- the example of README.md, built and run by ctest. */
#include <stdio.h>
#include <stdlib.h>
#include <gan.h>

int main(void)
{
    gan_model *g = NULL, *d = NULL;
    float z[4 * 100], score[4];
    const float *images;
    size_t n = 0;
    char summary[4096];

    for (int i = 0; i < 4 * 100; i++)              /* 4 latent vectors */
        z[i] = (float)rand() / RAND_MAX * 2.0f - 1.0f;
    if (gan_model_create_preset(&g, GAN_PRESET_MNIST_GENERATOR) != GAN_OK ||
        gan_model_create_preset(&d, GAN_PRESET_MNIST_DISCRIMINATOR) != GAN_OK ||
        gan_model_forward(g, z, 4 * 100, 4, GAN_MODE_INFER, NULL, 0) != GAN_OK ||
        gan_model_output(g, &images, &n) != GAN_OK ||   /* 4 x 28x28x1 */
        gan_model_forward(d, images, n, 4, GAN_MODE_INFER, score, 4) != GAN_OK) {
        fprintf(stderr, "libgan: %s\n", gan_last_error());
        return 1;
    }
    gan_model_summary(g, summary, sizeof summary, NULL);
    printf("%s\nD(G(z)) logits: %.4f %.4f %.4f %.4f\n", summary,
           score[0], score[1], score[2], score[3]);
    gan_model_free(g);
    gan_model_free(d);
    return 0;
}
