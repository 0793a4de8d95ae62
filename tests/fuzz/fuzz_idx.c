/*
 * fuzz_idx.c -- raw bytes (IDX, or gzip of IDX: detected from the magic) to
 * gan_dataset_load_idx_mem, as images and as the labels of a fixed valid
 * 2-image file.
 */
#include "fuzz_common.h"

/* A valid uint8 IDX of 2 images of 2x2. */
static const unsigned char fuzz_images2[] = {
    0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2,
    0, 64, 128, 255, 1, 2, 3, 4
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    gan_dataset *ds = NULL;
    gan_status st;
    if (!data)
        data = empty;
    st = gan_dataset_load_idx_mem(&ds, data, size, NULL, 0);
    if (fuzz_check_status(st, ds))
        fuzz_exercise(ds);
    gan_dataset_free(ds);
    ds = NULL;
    st = gan_dataset_load_idx_mem(&ds, fuzz_images2, sizeof fuzz_images2, data, size);
    if (fuzz_check_status(st, ds)) {
        int has = 0;
        FUZZ_CHECK(gan_dataset_labels_info(ds, &has, NULL) == GAN_OK && has == 1);
        fuzz_exercise(ds);
    }
    gan_dataset_free(ds);
    return 0;
}
