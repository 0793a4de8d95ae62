/*
 * fid_tool.c -- the C side of tests/fid_reference.py: reads two feature
 * sets (raw little-endian float32, rows of `dim`), accumulates each with
 * gan_fid_stats_add in uneven batches, and prints the Frechet distance
 * with 17 significant digits.
 *
 *   fid_tool A.f32 B.f32 DIM
 */
#include <stdio.h>
#include <stdlib.h>

#include "gan.h"

static float *read_all(const char *path, size_t *n_floats)
{
    FILE *f = fopen(path, "rb");
    long len;
    float *x;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    x = malloc((size_t)len + 1);
    if (!x || fread(x, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(x);
        return NULL;
    }
    fclose(f);
    *n_floats = (size_t)len / sizeof(float);
    return x;
}

static int add(gan_fid_stats *s, const float *x, size_t n, size_t dim)
{
    size_t i = 0, step = 1;
    while (i < n) {
        size_t nb = step < n - i ? step : n - i;
        if (gan_fid_stats_add(s, x + i * dim, nb * dim, nb) != GAN_OK)
            return 1;
        i += nb;
        step = step * 3 + 1; /* 1, 4, 13, 40, ...: uneven batches */
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t na, nb, dim;
    float *a, *b;
    gan_fid_stats *sa = NULL, *sb = NULL;
    double fid;
    if (argc != 4) {
        fprintf(stderr, "usage: %s A.f32 B.f32 DIM\n", argv[0]);
        return 2;
    }
    dim = strtoul(argv[3], NULL, 10);
    a = read_all(argv[1], &na);
    b = read_all(argv[2], &nb);
    if (!a || !b || dim == 0 || na % dim || nb % dim) {
        fprintf(stderr, "fid_tool: cannot read the feature files\n");
        return 1;
    }
    if (gan_fid_stats_create(&sa, dim) != GAN_OK || gan_fid_stats_create(&sb, dim) != GAN_OK ||
        add(sa, a, na / dim, dim) || add(sb, b, nb / dim, dim) ||
        gan_frechet_distance(sa, sb, &fid) != GAN_OK) {
        fprintf(stderr, "fid_tool: %s\n", gan_last_error());
        return 1;
    }
    printf("%.17g\n", fid);
    gan_fid_stats_free(sa);
    gan_fid_stats_free(sb);
    free(a);
    free(b);
    return 0;
}
