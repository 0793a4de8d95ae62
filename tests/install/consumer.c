/*
 * consumer.c -- a program outside the libgan tree, built against an
 * installed libgan by tests/install/check_install.sh, once through
 * pkg-config and once through CMake's find_package(gan).
 */
#include <stdio.h>

#include <gan.h>

int main(void)
{
    gan_model *g = NULL;
    size_t total = 0;

    printf("libgan %s (header %s)\n", gan_version(), GAN_VERSION_STRING);
    if (gan_version_number() != GAN_VERSION_NUMBER) {
        fprintf(stderr, "version mismatch: library %ld, header %ld\n", gan_version_number(),
                (long)GAN_VERSION_NUMBER);
        return 1;
    }
    if (gan_model_create_preset(&g, GAN_PRESET_MNIST_GENERATOR) != GAN_OK ||
        gan_model_param_count(g, &total, NULL) != GAN_OK) {
        fprintf(stderr, "error: %s\n", gan_last_error());
        gan_model_free(g);
        return 1;
    }
    printf("%s: %zu parameters\n", gan_preset_name(GAN_PRESET_MNIST_GENERATOR), total);
    gan_model_free(g);
    return 0;
}
