/*
 * fuzz_fid_stats.c -- FID statistics files (docs/metrics.md) with a valid
 * CRC: the input is the file without its last 4 bytes and the harness
 * appends the CRC-32, so mutations reach the checks behind it (length for
 * the dimension, finite values, variances, symmetry, the network id).
 * Whatever loads must save to a file of the same length that loads to the
 * same dimension, count and id, and give a finite distance to itself.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gan.h"

#define FUZZ_CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *b = malloc(size + 4);
    uint32_t crc;
    gan_fid_stats *s = NULL;
    FUZZ_CHECK(b != NULL);
    if (size)
        memcpy(b, data, size);
    crc = (uint32_t)crc32(0L, size ? data : (const Bytef *)"", (uInt)size);
    for (int i = 0; i < 4; i++)
        b[size + (size_t)i] = (unsigned char)(crc >> (8 * i));
    if (gan_fid_stats_load_mem(&s, b, size + 4) == GAN_OK) {
        void *again = NULL;
        size_t alen = 0;
        size_t dim = 0;
        double fid = -1.0;
        gan_status st;
        FUZZ_CHECK(s != NULL);
        FUZZ_CHECK(gan_fid_stats_save_mem(s, &again, &alen) == GAN_OK);
        /* The same length, and it loads to the same dimension, count and
           id (the covariance is kept as a co-moment sum, n - 1 times the
           file's values, so the doubles need not come back bit for bit). */
        FUZZ_CHECK(alen == size + 4);
        {
            gan_fid_stats *s2 = NULL;
            uint64_t n1 = 0, n2 = 0;
            uint32_t id1 = 0, id2 = 0;
            size_t d2 = 0;
            FUZZ_CHECK(gan_fid_stats_load_mem(&s2, again, alen) == GAN_OK);
            FUZZ_CHECK(gan_fid_stats_info(s, &dim, &n1, &id1) == GAN_OK);
            FUZZ_CHECK(gan_fid_stats_info(s2, &d2, &n2, &id2) == GAN_OK);
            FUZZ_CHECK(d2 == dim && n2 == n1 && id2 == id1);
            gan_fid_stats_free(s2);
        }
        gan_free(again);
        /* Bounded work: the distance needs an eigen-solve of d x d. */
        if (dim <= 64) {
            st = gan_frechet_distance(s, s, &fid);
            FUZZ_CHECK(st != GAN_OK || isfinite(fid));
        }
        gan_fid_stats_free(s);
    } else {
        FUZZ_CHECK(s == NULL && gan_last_error()[0] != '\0');
    }
    free(b);
    return 0;
}
