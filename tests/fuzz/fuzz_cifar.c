/* fuzz_cifar.c -- raw bytes to gan_dataset_load_cifar10_mem. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    gan_dataset *ds = NULL;
    gan_status st;
    if (!data)
        data = empty;
    st = gan_dataset_load_cifar10_mem(&ds, data, size);
    /* Only whole records can load; anything else is a format error. */
    if (size == 0 || size % 3073 != 0)
        FUZZ_CHECK(st == GAN_EFORMAT);
    if (fuzz_check_status(st, ds)) {
        size_t n = 0;
        int ncls = 0;
        FUZZ_CHECK(gan_dataset_size(ds, &n) == GAN_OK && n == size / 3073);
        FUZZ_CHECK(gan_dataset_labels_info(ds, NULL, &ncls) == GAN_OK && ncls >= 1 && ncls <= 10);
        fuzz_exercise(ds);
    }
    gan_dataset_free(ds);
    return 0;
}
