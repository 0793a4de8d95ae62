/*
 * images_cache.c -- how fast a folder of sprites loads, the first time
 * (decode every PNG, resize, write the cache) and the second time (from
 * the cache), against issue 15's goal: a second start "well under a
 * second" for 10,000 images.
 *
 *   images_cache [--images N] [--size S] [--dir D]
 *
 * Writes N (10,000) RGBA PNG sprites of S x S (32) pixels in two class
 * folders under D (a new folder in $TMPDIR), loads them twice with
 * gan_dataset_load_images and a cache file, prints the three times and the
 * ratio of the cached load to the goal, then removes the folder.  Timing
 * is the job of this program, not of the unit tests: the machine is
 * shared and noisy, so a time is only meaningful next to the other times
 * of the same run.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gan.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fail(const char *what, gan_status st)
{
    fprintf(stderr, "images_cache: %s: %s (%s)\n", what, gan_status_str(st), gan_last_error());
    return 1;
}

static gan_status load(const char *dir, const char *cache, int size, gan_image_cache_state *state,
                       double *secs)
{
    gan_image_config cfg;
    gan_image_report r;
    gan_dataset *ds = NULL;
    gan_status st;
    double t0 = now_s();
    GAN_IMAGE_CONFIG_INIT(&cfg);
    cfg.height = cfg.width = size;
    cfg.channels = 4;
    cfg.cache_path = cache;
    st = gan_dataset_load_images(&ds, dir, &cfg);
    *secs = now_s() - t0;
    if (st != GAN_OK)
        return st;
    GAN_IMAGE_REPORT_INIT(&r);
    st = gan_dataset_image_report(ds, &r);
    *state = r.cache;
    gan_dataset_free(ds);
    return st;
}

int main(int argc, char **argv)
{
    int n = 10000, size = 32;
    const char *parent = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[4096], path[4200];
    uint8_t *px;
    gan_image_cache_state s1 = GAN_IMAGE_CACHE_OFF, s2 = GAN_IMAGE_CACHE_OFF;
    double t0, t_write, t_first, t_second;
    gan_status st;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--images") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            parent = argv[++i];
        else {
            fprintf(stderr, "usage: images_cache [--images N] [--size S] [--dir D]\n");
            return 2;
        }
    }
    if (n < 1 || size < 1 || size > 1024) {
        fprintf(stderr, "images_cache: --images must be >= 1 and --size 1..1024\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s/gan-images-cache-XXXXXX", parent);
    if (!mkdtemp(dir)) {
        perror("images_cache: mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/odd", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/even", dir);
    mkdir(path, 0755);
    px = malloc((size_t)size * size * 4);
    if (!px)
        return 1;
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        /* smooth colours and a sparse transparent lattice: compressible
           like real sprites, different in every file */
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int k = 0; k < 4; k++)
                    px[((size_t)y * size + x) * 4 + k] =
                        k == 3 ? ((x + y + i) % 4 == 0 ? 0 : 255)
                               : (uint8_t)((x * (k + 1) * 7 + y * (3 - k) * 5 + i * 11) & 255);
        snprintf(path, sizeof path, "%s/%s/%05d.png", dir, i % 2 ? "odd" : "even", i);
        if ((st = gan_png_write_grid(path, px, 1, size, size, 4, 1, 0)) != GAN_OK)
            return fail(path, st);
    }
    t_write = now_s() - t0;
    snprintf(path, sizeof path, "%s.cache", dir);
    if ((st = load(dir, path, size, &s1, &t_first)) != GAN_OK)
        return fail("first load", st);
    if ((st = load(dir, path, size, &s2, &t_second)) != GAN_OK)
        return fail("second load", st);
    printf("images_cache: %d PNG sprites of %dx%d RGBA (written in %.2f s)\n", n, size, size,
           t_write);
    printf("  first load  (decode, resize, write the cache): %7.3f s  %8.0f images/s  cache %s\n",
           t_first, n / t_first, s1 == GAN_IMAGE_CACHE_WRITTEN ? "written" : "NOT written");
    printf("  second load (from the cache):                  %7.3f s  %8.0f images/s  cache %s\n",
           t_second, n / t_second, s2 == GAN_IMAGE_CACHE_HIT ? "hit" : "NOT hit");
    printf("  cached load / first load: %.3f; cached load / the 1 s goal (for 10,000): %.3f\n",
           t_second / t_first, t_second / (n / 10000.0));
    remove(path);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s/%05d.png", dir, i % 2 ? "odd" : "even", i);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/odd", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/even", dir);
    remove(path);
    if (remove(dir) != 0)
        fprintf(stderr, "images_cache: could not remove %s\n", dir);
    free(px);
    return s1 == GAN_IMAGE_CACHE_WRITTEN && s2 == GAN_IMAGE_CACHE_HIT ? 0 : 1;
}
