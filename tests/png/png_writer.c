/*
 * png_writer.c -- writes PNG grids with libgan for tests/png/check_png.sh,
 * which decodes them with independent readers (pngcheck, Python PIL).
 *
 *   png_writer OUTDIR
 *
 * For each case it writes OUTDIR/NAME.png (gan_png_write_grid), and
 * OUTDIR/NAME.raw: the grid's pixels as this program lays them out itself
 * (row-major, interleaved, black padding and empty cells), and a line
 * "NAME WIDTH HEIGHT CHANNELS" in OUTDIR/manifest.txt.  It also checks that
 * gan_png_encode_grid gives the same bytes as the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"

static int fail(const char *what)
{
    fprintf(stderr, "png_writer: %s: %s\n", what, gan_last_error());
    return 1;
}

static uint64_t rng_state = 88172645463325252ull;

static unsigned rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state >> 24);
}

/* kind 0: noise, 1: smooth gradients, 2: flat blocks */
static void fill(uint8_t *p, size_t n, int h, int w, int c, int kind)
{
    for (size_t k = 0; k < n; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++) {
                    size_t i = (((k * h) + y) * w + x) * c + ch;
                    p[i] = kind == 0 ? (uint8_t)rnd()
                         : kind == 1 ? (uint8_t)(x * 7 + y * 3 + ch * 50 + k * 13)
                                     : (uint8_t)(((x / 4 + y / 4 + k) % 2) * 200 + ch * 20);
                }
}

/* The expected grid, laid out independently of libgan's row writer. */
static uint8_t *layout(const uint8_t *img, size_t n, int h, int w, int c, int cols, int pad,
                       int *W, int *H)
{
    int rows, gx, gy;
    uint8_t *g;
    if (cols == 0)
        for (cols = 1; (size_t)cols * cols < n; cols++)
            ;
    rows = (int)((n + cols - 1) / cols);
    *W = cols * w + (cols + 1) * pad;
    *H = rows * h + (rows + 1) * pad;
    g = calloc((size_t)*W * *H * c, 1);
    for (size_t k = 0; k < n; k++) {
        gy = (int)(k / cols);
        gx = (int)(k % cols);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < c; ch++) {
                    int X = pad + gx * (w + pad) + x, Y = pad + gy * (h + pad) + y;
                    g[((size_t)Y * *W + X) * c + ch] = img[(((k * h) + y) * w + x) * c + ch];
                }
    }
    return g;
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : 1;
}

static int one_case(const char *dir, FILE *man, const char *name, const uint8_t *img, size_t n,
                    int h, int w, int c, int cols, int pad)
{
    char path[1024];
    void *buf = NULL;
    size_t len = 0, flen;
    uint8_t *grid, *file;
    int W, H;
    FILE *f;
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    if (gan_png_write_grid(path, img, n, h, w, c, cols, pad) != GAN_OK)
        return fail(name);
    if (gan_png_encode_grid(img, n, h, w, c, cols, pad, &buf, &len) != GAN_OK)
        return fail(name);
    /* The file holds exactly the encoded bytes. */
    f = fopen(path, "rb");
    file = malloc(len + 1);
    flen = f ? fread(file, 1, len + 1, f) : 0;
    if (f)
        fclose(f);
    if (flen != len || memcmp(file, buf, len) != 0) {
        fprintf(stderr, "png_writer: %s: file (%zu bytes) != encoded buffer (%zu)\n", name, flen,
                len);
        return 1;
    }
    free(file);
    gan_free(buf);
    grid = layout(img, n, h, w, c, cols, pad, &W, &H);
    snprintf(path, sizeof path, "%s/%s.raw", dir, name);
    if (write_file(path, grid, (size_t)W * H * c) != 0) {
        fprintf(stderr, "png_writer: cannot write %s\n", path);
        return 1;
    }
    free(grid);
    fprintf(man, "%s %d %d %d\n", name, W, H, c);
    printf("%-14s %zu images %dx%dx%d cols %d pad %d -> %dx%d, %zu bytes\n", name, n, h, w, c,
           cols, pad, W, H, len);
    return 0;
}

int main(int argc, char **argv)
{
    static uint8_t img[8 * 200 * 200 * 4];
    char path[1024];
    FILE *man;
    int bad = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: png_writer OUTDIR\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/manifest.txt", argv[1]);
    man = fopen(path, "w");
    if (!man) {
        perror(path);
        return 1;
    }
    fill(img, 3, 5, 4, 1, 0);
    bad |= one_case(argv[1], man, "gray_noise", img, 3, 5, 4, 1, 0, 2);
    fill(img, 16, 32, 32, 3, 1);
    bad |= one_case(argv[1], man, "rgb_gradient", img, 16, 32, 32, 3, 0, 2);
    fill(img, 5, 7, 9, 4, 2);
    bad |= one_case(argv[1], man, "rgba_row", img, 5, 7, 9, 4, 5, 0);
    fill(img, 4, 200, 200, 3, 0);
    bad |= one_case(argv[1], man, "rgb_noise_big", img, 4, 200, 200, 3, 0, 3);
    fill(img, 1, 1, 1, 1, 0);
    bad |= one_case(argv[1], man, "gray_1x1", img, 1, 1, 1, 1, 0, 0);
    fill(img, 2, 6, 5, 3, 2);
    bad |= one_case(argv[1], man, "rgb_empty", img, 2, 6, 5, 3, 4, 1);
    fill(img, 7, 10, 3, 4, 0);
    bad |= one_case(argv[1], man, "rgba_column", img, 7, 10, 3, 4, 1, 1);
    /* Images from a sampler, as an embedding program writes them. */
    {
        gan_model *g = NULL;
        gan_sampler *s = NULL;
        if (gan_model_create_preset(&g, GAN_PRESET_MNIST_GENERATOR) != GAN_OK ||
            gan_sampler_create(&s, g, 7, 0) != GAN_OK ||
            gan_sampler_generate_u8(s, NULL, 0, 8, img, 8 * 28 * 28) != GAN_OK)
            return fail("sampler");
        bad |= one_case(argv[1], man, "sampled_gray", img, 8, 28, 28, 1, 0, 2);
        gan_sampler_free(s);
        gan_model_free(g);
    }
    if (fclose(man) != 0)
        bad = 1;
    return bad;
}
