/*
 * dataset_cifar.c -- CIFAR-10 binary batches
 * (https://www.cs.toronto.edu/~kriz/cifar.html, "binary version").
 *
 * A batch file is a sequence of 3073-byte records with no header:
 *   byte 0          label 0..9
 *   bytes 1..1024   red plane, 32 rows of 32, top row first
 *   bytes 1025..    green plane, then 1024 bytes of blue
 * Samples become 32x32x3 NHWC floats x / 127.5 - 1.  The length must be a
 * non-zero multiple of 3073 and every label must be 0..9, checked before
 * anything is allocated.  A directory means data_batch_1..5.bin (train) or
 * test_batch.bin (test).
 */
#include <stdio.h>
#include <sys/stat.h>

#include "data/data.h"

static const gan__shape gan__cifar_shape = { 3, { 32, 32, 3 } };

gan_status gan__cifar_check(const unsigned char *buf, size_t len, const char *name)
{
    size_t n = len / GAN__CIFAR_RECORD, rest = len % GAN__CIFAR_RECORD;
    if (len == 0)
        return gan__err(GAN_EFORMAT, "%s: offset 0: empty, expected CIFAR-10 records of %d "
                        "bytes", name, GAN__CIFAR_RECORD);
    if (rest != 0)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: truncated CIFAR-10 record: %zu bytes is "
                        "%zu records and %zu bytes, expected a multiple of %d", name,
                        len - rest, len, n, rest, GAN__CIFAR_RECORD);
    for (size_t i = 0; i < n; i++) {
        unsigned l = buf[i * GAN__CIFAR_RECORD];
        if (l > 9)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: label %u of record %zu, expected "
                            "0..9", name, i * GAN__CIFAR_RECORD, l, i);
    }
    return GAN_OK;
}

void gan__cifar_convert(const unsigned char *buf, size_t n, float *x, int32_t *labels)
{
    float t[256];
    gan__u8_table(t);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *rec = buf + i * GAN__CIFAR_RECORD;
        const unsigned char *r = rec + 1, *g = r + 1024, *b = g + 1024;
        float *o = x + i * GAN__CIFAR_PIXELS;
        labels[i] = rec[0];
        for (size_t p = 0; p < 1024; p++) {
            o[3 * p + 0] = t[r[p]];
            o[3 * p + 1] = t[g[p]];
            o[3 * p + 2] = t[b[p]];
        }
    }
}

/* Validate, then convert the records of several buffers into one dataset. */
static gan_status gan__cifar_build(gan_dataset **out, const gan__blob *parts, const char **names,
                                   size_t n_parts, const char *func)
{
    size_t n = 0, total, done = 0;
    float *x;
    int32_t *lb;
    gan_status st;
    for (size_t i = 0; i < n_parts; i++) {
        if ((st = gan__cifar_check(parts[i].data, parts[i].len, names[i])) != GAN_OK)
            return st;
        n += parts[i].len / GAN__CIFAR_RECORD;
    }
    if (gan__mul_size(n, GAN__CIFAR_PIXELS * sizeof(float), &total) != 0)
        return gan__err(GAN_EFORMAT, "%s: %zu records overflow size_t", func, n);
    x = gan__malloc(total);
    lb = gan__malloc(n * sizeof(int32_t));
    if (!x || !lb) {
        gan__free(x);
        gan__free(lb);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu CIFAR-10 images", func, n);
    }
    for (size_t i = 0; i < n_parts; i++) {
        size_t k = parts[i].len / GAN__CIFAR_RECORD;
        gan__cifar_convert(parts[i].data, k, x + done * GAN__CIFAR_PIXELS, lb + done);
        done += k;
    }
    return gan__dataset_wrap(out, &gan__cifar_shape, n, x, lb, func);
}

gan_status gan_dataset_load_cifar10_mem(gan_dataset **out, const void *buf, size_t len)
{
    gan__blob b;
    const char *name = GAN__MEM_NAME;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(buf != NULL);
    memset(&b, 0, sizeof b);
    b.data = buf;
    b.len = len;
    return gan__cifar_build(out, &b, &name, 1, __func__);
}

#define GAN__CIFAR_TRAIN_FILES 5

gan_status gan_dataset_load_cifar10(gan_dataset **out, const char *path, int train)
{
    struct stat sb;
    gan__blob parts[GAN__CIFAR_TRAIN_FILES];
    char *names[GAN__CIFAR_TRAIN_FILES];
    size_t n_parts, i;
    gan_status st = GAN_OK;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(path != NULL);
    memset(parts, 0, sizeof parts);
    memset(names, 0, sizeof names);
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        size_t len = strlen(path) + 32;
        n_parts = train ? GAN__CIFAR_TRAIN_FILES : 1;
        for (i = 0; i < n_parts && st == GAN_OK; i++) {
            names[i] = gan__malloc(len);
            if (!names[i]) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
                break;
            }
            if (train)
                snprintf(names[i], len, "%s/data_batch_%zu.bin", path, i + 1);
            else
                snprintf(names[i], len, "%s/test_batch.bin", path);
            st = gan__read_file(names[i], &parts[i]);
            if (st == GAN_OK)   /* report the first bad file before reading the next */
                st = gan__cifar_check(parts[i].data, parts[i].len, names[i]);
        }
    } else {
        n_parts = 1;
        names[0] = gan__strdup(path);
        if (!names[0])
            st = gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
        else
            st = gan__read_file(path, &parts[0]);
    }
    if (st == GAN_OK)
        st = gan__cifar_build(out, parts, (const char **)names, n_parts, __func__);
    for (i = 0; i < GAN__CIFAR_TRAIN_FILES; i++) {
        gan__blob_free(&parts[i]);
        gan__free(names[i]);
    }
    return st;
}
