/* gan_web.c -- the few entry points the web page (app.js) calls, over
   libgan's public API: one generator loaded from bytes in memory
   (gan_model_load_mem), one sampler, latents from libgan's own stream and
   8-bit images from gan_sampler_generate[_labeled]_u8, exactly as a native
   program would call them.  Every call returns a gan_status (0 = GAN_OK);
   ganw_error() is the message of the last failure.  Built by build.sh. */
#include <emscripten/emscripten.h>
#include <stdio.h>
#include <stdlib.h>

#include "gan.h"

#define GANW_MAX_BATCH 16

static gan_model *model;
static gan_sampler *sampler;
static char message[512];

static int fail(gan_status st)
{
    snprintf(message, sizeof message, "%s: %s", gan_status_str(st), gan_last_error());
    return (int)st;
}

/* The generator's file bytes (buf, len), copied by libgan: the caller may
   free buf afterwards.  Replaces any generator loaded before. */
EMSCRIPTEN_KEEPALIVE int ganw_load(const void *buf, size_t len)
{
    gan_model *m = NULL;
    gan_sampler *s = NULL;
    gan_status st;
    if ((st = gan_model_load_mem(&m, buf, len)) != GAN_OK)
        return fail(st);
    if ((st = gan_sampler_create(&s, m, 0, GANW_MAX_BATCH)) != GAN_OK) {
        gan_model_free(m);
        return fail(st);
    }
    gan_sampler_free(sampler);
    gan_model_free(model);
    model = m;
    sampler = s;
    return GAN_OK;
}

/* info[0..4] = latent size, height, width, channels, classes (0: not
   conditional). */
EMSCRIPTEN_KEEPALIVE int ganw_info(int *info)
{
    size_t layers, ndim = 0, latent, image;
    int d[3], classes;
    gan_status st;
    if (!model)
        return fail(gan_sampler_dims(NULL, &latent, &image));
    if ((st = gan_sampler_dims(sampler, &latent, &image)) != GAN_OK ||
        (st = gan_model_layer_count(model, &layers)) != GAN_OK ||
        (st = gan_model_shape(model, layers - 1, &ndim, d)) != GAN_OK ||
        (st = gan_model_num_classes(model, &classes)) != GAN_OK)
        return fail(st);
    if (ndim != 3 || (d[2] != 1 && d[2] != 3)) {
        snprintf(message, sizeof message, "the generator does not output gray or RGB images");
        return (int)GAN_ESHAPE;
    }
    info[0] = (int)latent;
    info[1] = d[0];
    info[2] = d[1];
    info[3] = d[2];
    info[4] = classes;
    return GAN_OK;
}

/* n latent vectors N(0, 1) from libgan's stream at seed (lo + 2^32 hi):
   the same numbers gan_sampler_latent gives a native program. */
EMSCRIPTEN_KEEPALIVE int ganw_latent(unsigned lo, unsigned hi, size_t n, float *z, size_t z_count)
{
    gan_status st;
    if ((st = gan_sampler_set_seed(sampler, (uint64_t)hi << 32 | lo)) != GAN_OK ||
        (st = gan_sampler_latent(sampler, n, z, z_count)) != GAN_OK)
        return fail(st);
    return GAN_OK;
}

/* n images as 8-bit pixels (HWC, gray or RGB) from n latents; label < 0 for
   an unconditional generator, else every image's class. */
EMSCRIPTEN_KEEPALIVE int ganw_generate(const float *z, size_t z_count, size_t n, int label,
                                       uint8_t *out, size_t out_count)
{
    int32_t labels[GANW_MAX_BATCH];
    gan_status st;
    if (label < 0)
        st = gan_sampler_generate_u8(sampler, z, z_count, n, out, out_count);
    else {
        for (size_t i = 0; i < n && i < GANW_MAX_BATCH; i++)
            labels[i] = label;
        st = gan_sampler_generate_labeled_u8(sampler, z, z_count, labels, n, out, out_count);
    }
    return st == GAN_OK ? GAN_OK : fail(st);
}

/* steps latents from z0 to z1 (spherical or linear), gan_latent_interpolate. */
EMSCRIPTEN_KEEPALIVE int ganw_interpolate(const float *z0, const float *z1, size_t dim,
                                          size_t steps, int spherical, float *out,
                                          size_t out_count)
{
    gan_status st = gan_latent_interpolate(z0, z1, dim, steps, spherical, out, out_count);
    return st == GAN_OK ? GAN_OK : fail(st);
}

EMSCRIPTEN_KEEPALIVE const char *ganw_error(void)
{
    return message;
}

/* 1 when this module was built with WebAssembly SIMD (GAN_WEB_SIMD). */
EMSCRIPTEN_KEEPALIVE int ganw_simd(void)
{
#if defined(__wasm_simd128__)
    return 1;
#else
    return 0;
#endif
}

EMSCRIPTEN_KEEPALIVE const char *ganw_version(void)
{
    return gan_version();
}
