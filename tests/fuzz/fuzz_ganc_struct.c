/*
 * fuzz_ganc_struct.c -- structure-aware fuzzing of model files and
 * checkpoints: the input is a list of sections in the clear, and the
 * harness builds a valid GANC container around them (zlib streams, every
 * CRC computed), so mutations reach the semantic validators behind the
 * checksums (architecture records, size checks against the architecture,
 * batchnorm statistics, optimizer/trainer/dataset/EMA records).
 *
 * Input: byte 0 is the control byte: bit 0 the file kind (0 model,
 * 1 checkpoint), bit 1 the spectral-normalisation header flag, bit 2 a
 * lying raw size (the next section's declared raw size is off by the
 * byte after the control byte, still under its CRCs).  Then records, each:
 *   u8 type (taken mod 8), u8 slot (mod 2), u16 LE length, length raw bytes
 * up to 64 records; a short last record takes what is left.
 * tests/fuzz/make_corpus.py turns the committed .gan seeds into this form.
 */
#include <zlib.h>

#include "fuzz_ganc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rec[64];
    size_t rlen[64];
    unsigned char ty[64], sl[64];
    uint32_t n = 0;
    size_t off = 2, cap, len;
    unsigned char *file, *p;
    uint8_t ctl, lie;
    if (size < 2)
        return 0;
    ctl = data[0];
    lie = data[1];
    while (off < size && n < 64) {
        size_t l;
        if (size - off < 4)
            break;
        ty[n] = data[off] % 8;
        sl[n] = data[off + 1] % 2;
        l = (size_t)data[off + 2] | (size_t)data[off + 3] << 8;
        off += 4;
        if (l > size - off)
            l = size - off;
        rec[n] = data + off;
        rlen[n] = l;
        off += l;
        n++;
    }
    if (n == 0)
        return 0;
    cap = 32;
    for (uint32_t i = 0; i < n; i++)
        cap += 32 + compressBound((uLong)rlen[i]);
    file = malloc(cap);
    FUZZ_CHECK(file != NULL);
    memcpy(file, "GANC", 4);
    put32(file + 4, 1);
    put32(file + 8, (ctl & 2) ? 1u : 0u);
    put32(file + 12, (ctl & 1) ? 2u : 1u);
    put32(file + 16, (uint32_t)GAN_VERSION_NUMBER);
    put32(file + 20, n);
    put32(file + 24, 0);
    put32(file + 28, (uint32_t)crc32(0L, file, 28));
    p = file + 32;
    for (uint32_t i = 0; i < n; i++) {
        uLongf stored = (uLongf)(cap - (size_t)(p + 32 - file));
        uint64_t raw = rlen[i];
        FUZZ_CHECK(compress2(p + 32, &stored, rlen[i] ? rec[i] : (const Bytef *)"", (uLong)rlen[i], 1) == Z_OK);
        if ((ctl & 4) && i == (uint32_t)(lie % n))
            raw = raw + (uint64_t)(int8_t)lie;   /* a lying raw size, valid CRCs */
        put32(p, ty[i]);
        put32(p + 4, sl[i]);
        put32(p + 8, (uint32_t)raw);
        put32(p + 12, (uint32_t)(raw >> 32));
        put32(p + 16, (uint32_t)stored);
        put32(p + 20, 0);
        put32(p + 24, (uint32_t)crc32(0L, rlen[i] ? rec[i] : (const Bytef *)"", (uInt)rlen[i]));
        put32(p + 28, (uint32_t)crc32(0L, p, 28));
        p += 32 + stored;
    }
    len = (size_t)(p - file);
    fuzz_ganc_loaders(file, len);
    free(file);
    return 0;
}
