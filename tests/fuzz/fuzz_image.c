/*
 * fuzz_image.c -- the PNG/JPEG decode and preprocessing path:
 * gan_dataset_load_images_mem over one buffer.
 *
 * Input: one control byte, then the file.  The control byte picks the
 * target (bits 0-1: keep the size, 8x8, 5x11, 16x16), the channels (bits
 * 2-3: 1, 3, 4, 4) and the fit (bits 4-5: crop, pad, stretch, crop).  The
 * pixel limit is 2^18 so a valid image stays small; a larger header must
 * be refused before its pixels are allocated (libFuzzer's -malloc_limit_mb
 * catches a decoder that allocates from the header).  Errors must be
 * GAN_EFORMAT (or GAN_ENOMEM) with a message naming the buffer.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int sizes[4][2] = { { 0, 0 }, { 8, 8 }, { 5, 11 }, { 16, 16 } };
    static const int chans[4] = { 1, 3, 4, 4 };
    static const gan_image_fit fits[4] = { GAN_IMAGE_FIT_CROP, GAN_IMAGE_FIT_PAD,
                                           GAN_IMAGE_FIT_STRETCH, GAN_IMAGE_FIT_CROP };
    static const uint8_t empty[1];
    gan_image_config cfg;
    gan_dataset *ds = NULL;
    const void *bufs[1];
    size_t lens[1];
    const char *names[1] = { "fuzz/input.img" };
    gan_status st;
    unsigned ctl;
    if (size == 0)
        return 0;
    ctl = data[0];
    FUZZ_CHECK(GAN_IMAGE_CONFIG_INIT(&cfg) == GAN_OK);
    cfg.height = sizes[ctl & 3][0];
    cfg.width = sizes[ctl & 3][1];
    cfg.channels = chans[(ctl >> 2) & 3];
    cfg.fit = fits[(ctl >> 4) & 3];
    cfg.background = 0x102030u * (ctl >> 6);
    cfg.max_pixels = (uint64_t)1 << 18;
    bufs[0] = size > 1 ? data + 1 : empty;
    lens[0] = size - 1;
    st = gan_dataset_load_images_mem(&ds, bufs, lens, names, 1, &cfg);
    if (st != GAN_OK) {
        FUZZ_CHECK(st == GAN_EFORMAT || st == GAN_ENOMEM);
        FUZZ_CHECK(strstr(gan_last_error(), "fuzz/input.img") != NULL);
    }
    if (fuzz_check_status(st, ds)) {
        size_t n = 0, nd = 0;
        int d[3];
        FUZZ_CHECK(gan_dataset_size(ds, &n) == GAN_OK && n == 1);
        FUZZ_CHECK(gan_dataset_shape(ds, &nd, d) == GAN_OK && nd == 3);
        FUZZ_CHECK(d[2] == cfg.channels);
        if (cfg.height)
            FUZZ_CHECK(d[0] == cfg.height && d[1] == cfg.width);
        else
            FUZZ_CHECK((uint64_t)d[0] * (uint64_t)d[1] <= cfg.max_pixels);
        fuzz_exercise(ds);
    }
    gan_dataset_free(ds);
    return 0;
}
