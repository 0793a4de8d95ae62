/* embed_sampler.c -- all a game or tool needs: load a generator, draw 16
   images at a seed and write them as one PNG grid (4 x 4, 2 px apart;
   RGBA sprites keep their transparency).  A conditional generator draws
   the class named CLASS (gan train --images DIR --classes keeps the
   sub-folders' names), or its classes in turn.
       embed_sampler GENERATOR.gan [OUT.png] [SEED] [CLASS]                */
#include <stdio.h>
#include <stdlib.h>

#include "gan.h"

int main(int argc, char **argv)
{
    const char *out = argc > 2 ? argv[2] : "samples.png";
    gan_model *g = NULL;
    gan_sampler *s = NULL;
    uint8_t *px = NULL;
    int32_t labels[16];
    size_t layers, ndim = 0, latent, image;
    int d[3], classes = 0, k = -1;
    gan_status st;
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: %s GENERATOR.gan [OUT.png] [SEED] [CLASS]\n", argv[0]);
        return 2;
    }
    if ((st = gan_model_load(&g, argv[1])) == GAN_OK &&
        (st = gan_model_num_classes(g, &classes)) == GAN_OK &&
        (argc < 5 || (st = gan_model_class_from_name(g, argv[4], &k)) == GAN_OK) &&
        (st = gan_model_layer_count(g, &layers)) == GAN_OK &&
        (st = gan_model_shape(g, layers - 1, &ndim, d)) == GAN_OK &&
        (st = gan_sampler_create(&s, g, argc > 3 ? strtoull(argv[3], NULL, 0) : 0, 16)) == GAN_OK &&
        (st = gan_sampler_dims(s, &latent, &image)) == GAN_OK && ndim == 3 &&
        (px = malloc(16 * image)) != NULL) {
        for (int i = 0; i < 16; i++)
            labels[i] = k >= 0 ? k : classes ? i % classes : 0;
        st = classes ? gan_sampler_generate_labeled_u8(s, NULL, 0, labels, 16, px, 16 * image)
                     : gan_sampler_generate_u8(s, NULL, 0, 16, px, 16 * image);
        if (st == GAN_OK)
            st = gan_png_write_grid(out, px, 16, d[0], d[1], d[2], 0, 2);
    }
    if (st == GAN_OK && px)
        printf("wrote 16 %dx%dx%d images from %zu-d latents to %s\n", d[0], d[1], d[2], latent, out);
    else if (st != GAN_OK)
        fprintf(stderr, "%s: %s\n", gan_status_str(st), gan_last_error());
    else
        fprintf(stderr, "%s\n", ndim != 3 ? "the model does not output images" : "out of memory");
    free(px);
    gan_sampler_free(s);
    gan_model_free(g);
    return st == GAN_OK && px ? 0 : 1;
}
