/* save_preset.c -- save a preset network as a model file (a fixture for
   tests/png/check_embed.sh).   save_preset PRESET-NAME OUT.gan */
#include <stdio.h>

#include "gan.h"

int main(int argc, char **argv)
{
    gan_preset p;
    gan_model *m = NULL;
    if (argc != 3) {
        fprintf(stderr, "usage: save_preset PRESET-NAME OUT.gan\n");
        return 2;
    }
    if (gan_preset_from_name(argv[1], &p) != GAN_OK || gan_model_create_preset(&m, p) != GAN_OK ||
        gan_model_save(m, argv[2]) != GAN_OK) {
        fprintf(stderr, "save_preset: %s\n", gan_last_error());
        gan_model_free(m);
        return 1;
    }
    gan_model_free(m);
    return 0;
}
