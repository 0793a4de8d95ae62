/*
 * config.c -- the size handshake of public config structs (zlib's sizeof
 * check, libgit2's *_options_init).
 *
 * A program compiled against an older gan.h passes the smaller struct size
 * it knows; the library fills only those bytes with defaults, and reads only
 * struct_size bytes when the config comes back, using defaults for the
 * fields the program does not know.  Sizes below the first release's or
 * above this library's are refused.
 */
#include "core/core.h"

gan_status gan__config_init(void *cfg, size_t size, const void *defaults, size_t full,
                            size_t min, const char *func)
{
    uint32_t sz = (uint32_t)size;
    if (cfg == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: 'cfg != NULL'", func);
    if (size < min || size > full)
        return gan__err(GAN_EINVAL, "%s: struct size %zu not supported (this library accepts "
                        "%zu..%zu); initialise it with its *_INIT macro", func, size, min, full);
    memcpy(cfg, defaults, size);
    memcpy(cfg, &sz, sizeof sz);
    return GAN_OK;
}
