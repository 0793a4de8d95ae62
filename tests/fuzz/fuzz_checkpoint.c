/*
 * fuzz_checkpoint.c -- raw bytes to the model-file and checkpoint loaders
 * (the container: headers, CRCs, zlib streams; fuzz_ganc_struct.c reaches
 * the contents behind valid CRCs).  The checks are in fuzz_ganc.h.
 */
#include "fuzz_ganc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    fuzz_ganc_loaders(data ? data : empty, size);
    return 0;
}
