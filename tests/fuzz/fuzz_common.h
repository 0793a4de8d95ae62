/*
 * fuzz_common.h -- shared by the libFuzzer harnesses of the dataset parsers.
 *
 * After a successful load the harness walks the whole dataset through the
 * public API (get, an epoch of batches, convert) and traps if what it reads
 * contradicts what the library reported, so a parser that accepts a file
 * but builds an inconsistent dataset is a crash too.
 */
#ifndef GAN_FUZZ_COMMON_H
#define GAN_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"

#define FUZZ_CHECK(cond)            \
    do {                            \
        if (!(cond))                \
            __builtin_trap();       \
    } while (0)

/* A failed load must leave *out NULL and a message; returns 1 if loaded. */
static int fuzz_check_status(gan_status st, gan_dataset *ds)
{
    if (st != GAN_OK) {
        FUZZ_CHECK(st < 0);
        FUZZ_CHECK(ds == NULL);
        FUZZ_CHECK(gan_last_error()[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(ds != NULL);
    return 1;
}

static void fuzz_exercise(gan_dataset *ds)
{
    size_t n = 0, nd = 0, elems = 1, got = 0, seen = 0, ep = 0;
    int d[3] = { 0, 0, 0 }, has = 0, ncls = 0;
    float *x;
    int32_t label, lb[4];
    gan_batch_config c;
    gan_dataset *cv = NULL;
    gan_status st;

    FUZZ_CHECK(gan_dataset_size(ds, &n) == GAN_OK && n >= 1);
    FUZZ_CHECK(gan_dataset_shape(ds, &nd, d) == GAN_OK && (nd == 1 || nd == 3));
    FUZZ_CHECK(gan_dataset_labels_info(ds, &has, &ncls) == GAN_OK);
    for (size_t i = 0; i < nd; i++) {
        FUZZ_CHECK(d[i] >= 1);
        elems *= (size_t)d[i];
    }
    x = malloc(4 * elems * sizeof(float));
    FUZZ_CHECK(x != NULL);
    FUZZ_CHECK(gan_dataset_get(ds, 0, x, elems, &label) == GAN_OK);
    FUZZ_CHECK(gan_dataset_get(ds, n - 1, x, elems, &label) == GAN_OK);
    FUZZ_CHECK(has ? (label >= 0 && label < ncls) : label == -1);
    for (size_t k = 0; k < elems; k++)
        FUZZ_CHECK(x[k] >= -1.0f && x[k] <= 1.0f);
    FUZZ_CHECK(gan_dataset_get(ds, n, x, elems, NULL) == GAN_EINVAL);

    /* One epoch of batches of 4 with the remainder: every sample once. */
    GAN_BATCH_CONFIG_INIT(&c);
    c.batch_size = 4;
    c.drop_remainder = 0;
    c.seed = n;
    FUZZ_CHECK(gan_dataset_set_batching(ds, &c) == GAN_OK);
    while ((st = gan_dataset_next_batch(ds, x, 4 * elems, lb, &got, &ep)) == GAN_OK) {
        FUZZ_CHECK(got >= 1 && got <= 4 && ep == 0);
        seen += got;
    }
    FUZZ_CHECK(st == GAN_DONE && got == 0 && seen == n);
    free(x);

    /* Convert images to a small fixed shape (pad/crop, channels 1 <-> c). */
    if (nd == 3) {
        st = gan_dataset_convert(&cv, ds, 5, 7, d[2] == 1 ? 3 : 1);
        FUZZ_CHECK(st == GAN_OK || st == GAN_ENOMEM);
        if (st == GAN_OK) {
            size_t m = 0;
            FUZZ_CHECK(gan_dataset_size(cv, &m) == GAN_OK && m == n);
        }
        gan_dataset_free(cv);
    }
}

#endif /* GAN_FUZZ_COMMON_H */
