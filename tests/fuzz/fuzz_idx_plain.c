/*
 * fuzz_idx_plain.c -- structure-aware IDX fuzzing through gzip: the fuzz
 * input is the *decompressed* IDX file; the harness gzip-compresses it with
 * zlib and loads the result, so mutations reach the IDX parser instead of
 * dying in deflate's checksum (testing.md pitfall 12).  The first byte
 * picks the compression level and whether the stream is split into two
 * gzip members; the rest is the IDX data.
 */
#include <zlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Append the gzip of in[0..len) to out (room for cap bytes); returns bytes or 0. */
static size_t fuzz_gzip(const uint8_t *in, size_t len, int level, uint8_t *out, size_t cap)
{
    z_stream zs;
    size_t n;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&zs);
        return 0;
    }
    n = zs.total_out;
    deflateEnd(&zs);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gan_dataset *ds = NULL;
    uint8_t *gz;
    size_t cap, n, split;
    int level;
    gan_status st;
    if (size < 1)
        return 0;
    level = data[0] % 10;
    split = (data[0] & 0x80) ? (size - 1) / 2 : size - 1;
    data++;
    size--;
    cap = 2 * compressBound((uLong)size) + 64;
    gz = malloc(cap);
    FUZZ_CHECK(gz != NULL);
    n = fuzz_gzip(data, split, level, gz, cap);
    FUZZ_CHECK(n > 0);
    if (split < size) {
        size_t m = fuzz_gzip(data + split, size - split, level, gz + n, cap - n);
        FUZZ_CHECK(m > 0);
        n += m;
    }
    st = gan_dataset_load_idx_mem(&ds, gz, n, NULL, 0);
    if (fuzz_check_status(st, ds))
        fuzz_exercise(ds);
    gan_dataset_free(ds);
    ds = NULL;
    /* The same bytes uncompressed must give the same verdict. */
    {
        gan_status st2 = gan_dataset_load_idx_mem(&ds, data, size, NULL, 0);
        if (!(size >= 2 && data[0] == 0x1f && data[1] == 0x8b))
            FUZZ_CHECK((st == GAN_OK) == (st2 == GAN_OK));
        gan_dataset_free(ds);
    }
    free(gz);
    return 0;
}
