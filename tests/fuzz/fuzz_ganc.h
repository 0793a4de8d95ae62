/*
 * fuzz_ganc.h -- the checks shared by the GANC fuzz harnesses
 * (fuzz_checkpoint: raw bytes; fuzz_ganc_struct: sections with valid CRCs).
 * Whatever loads must be consistent: saving it again and loading that gives
 * back the same bytes (the round-trip property); a failed load leaves no
 * handle and a message.
 */
#ifndef GAN_FUZZ_GANC_H
#define GAN_FUZZ_GANC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gan.h"

#define FUZZ_CHECK(c) do { if (!(c)) abort(); } while (0)

static void round_trip_model(gan_model *m)
{
    void *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    gan_model *again = NULL;
    FUZZ_CHECK(gan_model_save_mem(m, &a, &la) == GAN_OK);
    FUZZ_CHECK(gan_model_load_mem(&again, a, la) == GAN_OK);
    FUZZ_CHECK(gan_model_save_mem(again, &b, &lb) == GAN_OK);
    FUZZ_CHECK(la == lb && memcmp(a, b, la) == 0);
    gan_free(a);
    gan_free(b);
    gan_model_free(again);
}

static void fuzz_ganc_loaders(const uint8_t *data, size_t size)
{
    gan_model *m = NULL;
    gan_trainer *t = NULL;
    if (gan_model_load_mem(&m, data, size) == GAN_OK) {
        size_t total = 0;
        FUZZ_CHECK(m != NULL && gan_model_param_count(m, &total, NULL) == GAN_OK);
        /* Bounded work: only small models are run. */
        if (total < 100000)
            round_trip_model(m);
        gan_model_free(m);
    } else {
        FUZZ_CHECK(m == NULL && gan_last_error()[0] != '\0');
    }
    if (gan_trainer_load_mem(&t, NULL, data, size) == GAN_OK) {
        void *a = NULL;
        size_t la = 0;
        FUZZ_CHECK(gan_trainer_save_mem(t, NULL, &a, &la) == GAN_OK);
        gan_free(a);
        gan_trainer_free(t);
    } else {
        FUZZ_CHECK(t == NULL);
    }
}

#endif /* GAN_FUZZ_GANC_H */
