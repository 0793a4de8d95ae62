/*
 * dataset_io.c -- whole-file reads and bounded gzip inflation for the
 * dataset loaders.
 *
 * Files are read completely into memory (fopen/fread, every call checked,
 * at most GAN__DATA_MAX_BYTES) and then parsed from memory, so the file and
 * the _mem loaders share one parser.  Gzip is inflated with zlib's inflate()
 * on the buffer, never with gzread(), whose silent EOF on a truncated file
 * (testing.md pitfall 8) would hide errors.  The output buffer grows by
 * doubling up to a hard cap (a gzip bomb stops there), and its first size is
 * bounded by the compressed length, so a forged ISIZE trailer cannot make us
 * allocate a gigabyte up front.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "io/io.h"

void gan__blob_free(gan__blob *b)
{
    gan__free(b->owned);
    b->owned = NULL;
    b->data = NULL;
    b->len = 0;
    b->inflated = 0;
}

static void gan__errno_str(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "errno %d", e);
}

gan_status gan__read_file(const char *path, gan__blob *b)
{
    char es[128];
    FILE *f;
    struct stat st;
    unsigned char *buf = NULL, *nb;
    size_t cap = 64 << 10, len = 0, got;
    const size_t hard = GAN__DATA_MAX_BYTES + 1;   /* one more byte detects "too large" */

    memset(b, 0, sizeof *b);
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        gan__errno_str(e, es, sizeof es);
        return gan__err(GAN_EIO, "%s: cannot open: %s", path, es);
    }
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(f);
            return gan__err(GAN_EIO, "%s: is a directory, expected a file", path);
        }
        if (S_ISREG(st.st_mode)) {
            if ((unsigned long long)st.st_size > GAN__DATA_MAX_BYTES) {
                fclose(f);
                return gan__err(GAN_EFORMAT, "%s: offset 0: file is %lld bytes, more than the "
                                "limit of %zu", path, (long long)st.st_size,
                                (size_t)GAN__DATA_MAX_BYTES);
            }
            cap = (size_t)st.st_size + 1;   /* +1: see EOF in the same read */
        }
    }
    buf = gan__malloc(cap);
    if (!buf) {
        fclose(f);
        return gan__err(GAN_ENOMEM, "%s: out of memory reading the file", path);
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap * 2 < hard ? cap * 2 : hard;
            if (len >= hard) {
                gan__free(buf);
                fclose(f);
                return gan__err(GAN_EFORMAT, "%s: offset %zu: file is larger than the limit "
                                "of %zu bytes", path, len, (size_t)GAN__DATA_MAX_BYTES);
            }
            nb = gan__realloc(buf, ncap);
            if (!nb) {
                gan__free(buf);
                fclose(f);
                return gan__err(GAN_ENOMEM, "%s: out of memory reading the file", path);
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0 || len < cap) {
            if (ferror(f)) {
                int e = errno;
                gan__errno_str(e, es, sizeof es);
                gan__free(buf);
                fclose(f);
                return gan__err(GAN_EIO, "%s: offset %zu: read error: %s", path, len, es);
            }
            if (feof(f))
                break;
        }
    }
    if (len > GAN__DATA_MAX_BYTES) {
        gan__free(buf);
        fclose(f);
        return gan__err(GAN_EFORMAT, "%s: offset %zu: file is larger than the limit of %zu bytes",
                        path, len, (size_t)GAN__DATA_MAX_BYTES);
    }
    if (fclose(f) != 0) {
        int e = errno;
        gan__errno_str(e, es, sizeof es);
        gan__free(buf);
        return gan__err(GAN_EIO, "%s: close failed: %s", path, es);
    }
    b->owned = buf;
    b->data = buf;
    b->len = len;
    return GAN_OK;
}

int gan__is_gzip(const unsigned char *buf, size_t len)
{
    return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

/* zlib allocates through the library's allocator too. */
static voidpf gan__zalloc(voidpf opaque, uInt items, uInt size)
{
    size_t bytes;
    (void)opaque;
    if (gan__mul_size(items, size, &bytes) != 0)
        return Z_NULL;
    return gan__malloc(bytes);
}

static void gan__zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    gan__free(p);
}

/* Input and output are handed to zlib in pieces of at most 1 GiB (uInt). */
#define GAN__Z_CHUNK ((size_t)1 << 30)

gan_status gan__gunzip(gan__blob *b, const char *name, size_t cap)
{
    const unsigned char *in = b->data;
    const size_t len = b->len;
    const size_t hard = cap + 1;      /* one byte more than allowed: detects the overflow */
    size_t fed = 0;                   /* input bytes handed to zlib so far */
    size_t out_len = 0, out_cap, consumed;
    unsigned char *out, *nb;
    gan_status st = GAN_OK;
    z_stream zs;
    int zr;

    /* A deflate stream expands at most ~1032:1: bound the first buffer by
       the input, whatever the ISIZE trailer claims. */
    out_cap = len <= hard / 4 ? len * 4 : hard;
    if (len >= 4) {
        /* ISIZE (the size mod 2^32) is only a hint: used when it is possible
           for this input length, the +1 leaves room to see the end marker. */
        size_t isize = (size_t)in[len - 4] | (size_t)in[len - 3] << 8 |
                       (size_t)in[len - 2] << 16 | (size_t)in[len - 1] << 24;
        size_t most;
        if (gan__mul_size(len, 1040, &most) != 0)
            most = SIZE_MAX;
        if (isize < hard && isize <= most)
            out_cap = isize + 1;
    }
    if (out_cap < 4096)
        out_cap = hard < 4096 ? hard : 4096;
    if (out_cap > hard)
        out_cap = hard;

    memset(&zs, 0, sizeof zs);
    zs.zalloc = gan__zalloc;
    zs.zfree = gan__zfree;
    zr = inflateInit2(&zs, 15 + 16);      /* gzip wrapper only */
    if (zr != Z_OK)
        return gan__err(zr == Z_MEM_ERROR ? GAN_ENOMEM : GAN_EINTERNAL,
                        "%s: cannot start zlib inflate (%d)", name, zr);
    out = gan__malloc(out_cap);
    if (!out) {
        inflateEnd(&zs);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu decompressed bytes", name, out_cap);
    }

    for (;;) {
        size_t room, before_out;
        if (zs.avail_in == 0 && fed < len) {
            size_t chunk = len - fed < GAN__Z_CHUNK ? len - fed : GAN__Z_CHUNK;
            zs.next_in = (Bytef *)(uintptr_t)(in + fed);
            zs.avail_in = (uInt)chunk;
            fed += chunk;
        }
        if (out_len == out_cap) {
            size_t ncap;
            if (out_cap >= hard) {
                st = gan__err(GAN_EFORMAT, "%s: offset %zu: gzip data inflates to more than the "
                              "limit of %zu bytes", name, fed - zs.avail_in, cap);
                break;
            }
            ncap = out_cap <= hard / 2 ? out_cap * 2 : hard;
            nb = gan__realloc(out, ncap);
            if (!nb) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory for %zu decompressed bytes", name,
                              ncap);
                break;
            }
            out = nb;
            out_cap = ncap;
        }
        room = out_cap - out_len;
        if (room > GAN__Z_CHUNK)
            room = GAN__Z_CHUNK;
        zs.next_out = out + out_len;
        zs.avail_out = (uInt)room;
        before_out = room;
        zr = inflate(&zs, Z_NO_FLUSH);
        out_len += before_out - zs.avail_out;
        consumed = fed - zs.avail_in;
        if (zr == Z_STREAM_END) {
            if (consumed == len)
                break;                          /* the whole input was gzip */
            if (len - consumed >= 2 && in[consumed] == 0x1f && in[consumed + 1] == 0x8b) {
                inflateReset(&zs);              /* another gzip member follows */
                continue;
            }
            st = gan__err(GAN_EFORMAT, "%s: offset %zu: %zu bytes of trailing garbage after the "
                          "gzip stream, expected end of file or another member (1f 8b)", name,
                          consumed, len - consumed);
            break;
        }
        if (zr == Z_OK)
            continue;
        if (zr == Z_BUF_ERROR) {
            if (zs.avail_out == 0)
                continue;                       /* output full: grown above */
            /* No progress with room to write: the input has run out. */
            st = gan__err(GAN_EFORMAT, "%s: offset %zu: gzip data is truncated (the stream "
                          "ends before its end marker and checksum; %zu bytes inflated)",
                          name, consumed, out_len);
            break;
        }
        if (zr == Z_MEM_ERROR) {
            st = gan__err(GAN_ENOMEM, "%s: out of memory in zlib inflate", name);
            break;
        }
        st = gan__err(GAN_EFORMAT, "%s: offset %zu: corrupt gzip data: %s", name, consumed,
                      zs.msg ? zs.msg : "invalid stream");
        break;
    }
    inflateEnd(&zs);
    if (st != GAN_OK) {
        gan__free(out);
        return st;
    }
    if (out_len > cap) {        /* cannot happen (the loop stops at hard), kept as a guard */
        gan__free(out);
        return gan__err(GAN_EFORMAT, "%s: gzip data inflates to more than %zu bytes", name, cap);
    }
    gan__blob_free(b);
    b->owned = out;
    b->data = out;
    b->len = out_len;
    b->inflated = 1;
    return GAN_OK;
}

gan_status gan__maybe_gunzip(gan__blob *b, const char *name)
{
    if (!gan__is_gzip(b->data, b->len))
        return GAN_OK;
    return gan__gunzip(b, name, GAN__DATA_MAX_BYTES);
}
