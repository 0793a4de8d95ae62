/* compiled_in.c -- a generator compiled into the program: no model file on
   disk.  `gan export MODEL --format c --out embedded_generator` wrote
   embedded_generator.c/.h (the model file as a const byte array); this
   program links them and libgan statically (libgan_static.a), loads the
   model from the array and draws 16 images at a seed as one PNG grid (4 x 4,
   2 px apart: the same as examples/embed_sampler on the model file).
       compiled_in [OUT.png] [SEED]
       compiled_in --bench K     per-image latency: K batch-1 samples
   docs/embedding.md.                                                       */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded_generator.h"
#include "gan.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* K samples of one image each (after 10 warm-up ones): median and
   quartiles in milliseconds. */
static gan_status bench(gan_sampler *s, size_t image, long k)
{
    float *img = malloc(image * sizeof(float));
    double *t = malloc((size_t)k * sizeof(double));
    gan_status st = img && t ? GAN_OK : GAN_ENOMEM;
    for (long i = 0; i < 10 && st == GAN_OK; i++)
        st = gan_sampler_generate(s, NULL, 0, 1, img, image);
    for (long i = 0; i < k && st == GAN_OK; i++) {
        double t0 = now_ms();
        st = gan_sampler_generate(s, NULL, 0, 1, img, image);
        t[i] = now_ms() - t0;
    }
    if (st == GAN_OK) {
        qsort(t, (size_t)k, sizeof(double), cmp_double);
        printf("{\"bench_runs\": %ld, \"median_ms\": %.4f, \"q1_ms\": %.4f, \"q3_ms\": %.4f}\n", k,
               t[k / 2], t[k / 4], t[(3 * k) / 4]);
    }
    free(img);
    free(t);
    return st;
}

int main(int argc, char **argv)
{
    const char *out = argc > 1 ? argv[1] : "samples.png";
    const int benching = argc == 3 && strcmp(argv[1], "--bench") == 0;
    gan_model *g = NULL;
    gan_sampler *s = NULL;
    uint8_t *px = NULL;
    size_t layers, ndim = 0, latent, image;
    int d[3];
    gan_status st;
    if (argc > 3 || (argc > 1 && argv[1][0] == '-' && !benching)) {
        fprintf(stderr, "usage: %s [OUT.png] [SEED] | --bench K\n", argv[0]);
        return 2;
    }
    if ((st = gan_model_load_mem(&g, embedded_generator, embedded_generator_size)) == GAN_OK &&
        (st = gan_model_layer_count(g, &layers)) == GAN_OK &&
        (st = gan_model_shape(g, layers - 1, &ndim, d)) == GAN_OK &&
        (st = gan_sampler_create(&s, g, !benching && argc > 2 ? strtoull(argv[2], NULL, 0) : 0,
                                 16)) == GAN_OK &&
        (st = gan_sampler_dims(s, &latent, &image)) == GAN_OK && ndim == 3) {
        if (benching) {
            st = bench(s, image, atol(argv[2]) > 0 ? atol(argv[2]) : 100);
        } else if ((px = malloc(16 * image)) != NULL &&
                   (st = gan_sampler_generate_u8(s, NULL, 0, 16, px, 16 * image)) == GAN_OK &&
                   (st = gan_png_write_grid(out, px, 16, d[0], d[1], d[2], 0, 2)) == GAN_OK) {
            printf("wrote 16 %dx%dx%d images from the compiled-in generator (%zu bytes) to %s\n",
                   d[0], d[1], d[2], embedded_generator_size, out);
        } else if (!px) {
            st = GAN_ENOMEM;
        }
    }
    if (st != GAN_OK)
        fprintf(stderr, "%s: %s\n", gan_status_str(st), gan_last_error());
    else if (ndim != 3)
        fprintf(stderr, "the model does not output images\n");
    free(px);
    gan_sampler_free(s);
    gan_model_free(g);
    return st == GAN_OK && ndim == 3 ? 0 : 1;
}
