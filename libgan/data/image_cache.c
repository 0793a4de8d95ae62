/*
 * image_cache.c -- the cache of a preprocessed image set (gan.h, "THE
 * CACHE"): one file, little-endian, written atomically.
 *
 *   offset size
 *    0     4   magic "GIMC"
 *    4     4   u32 format version (1)
 *    8     8   u64 FNV-1a 64 of the key        the key is built by images.c
 *   16     4   u32 CRC-32 of the key           from the settings and the
 *   20     4   u32 key length                  file list (paths, sizes, times)
 *   24     8   u64 n, images
 *   32     4   u32 height
 *   36     4   u32 width
 *   40     4   u32 channels (1, 3 or 4)
 *   44     4   u32 classes (0: no labels)
 *   48     8   u64 candidate files
 *   56     8   u64 files skipped (n + skipped = files)
 *   64     4   u32 bytes of class names (each NUL-terminated)
 *   68     4   u32 bytes of the first skip error (no NUL; < 512)
 *   72     8   u64 raw payload bytes = names + error + 4 n (if classes) + n h w c
 *   80     8   u64 stored bytes (the zlib stream, to the end of the file)
 *   88     4   u32 CRC-32 of the raw payload
 *   92     4   u32 CRC-32 of bytes 0..91
 *   96         zlib stream of the payload: class names, error message,
 *              labels (u32 each), pixels (uint8 NHWC)
 *
 * Reading trusts nothing: the header CRC, every field's range, the
 * payload size against the fields (overflow-checked) and against the
 * stored size (deflate expands at most 1032:1) are checked before the
 * payload is allocated; the stream must inflate to exactly that size and
 * match its CRC; names and labels are checked after.  Any failure is a
 * "no usable cache" answer (GAN_DONE and a note), except running out of
 * memory.
 */
#include <stdio.h>

#include <zlib.h>

#include "data/image.h"

#define GAN__IMC_MAGIC "GIMC"
#define GAN__IMC_VERSION 1u
#define GAN__IMC_HEADER 96u
#define GAN__IMC_MAX_NAMES ((size_t)16 << 20)
#define GAN__IMC_MAX_ERROR 512u
#define GAN__IMC_MAX_SIDE 8192u

void gan__image_set_free(gan__image_set *s)
{
    gan__free(s->px);
    gan__free(s->labels);
    if (s->class_names)
        for (size_t i = 0; i < s->n_classes; i++)
            gan__free(s->class_names[i]);
    gan__free(s->class_names);
    gan__free(s->first_error);
    memset(s, 0, sizeof *s);
}

static uint64_t gan__fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* crc32 over any length (zlib takes uInt pieces). */
static uint32_t gan__crc(uint32_t crc, const unsigned char *p, size_t n)
{
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

static void gan__put_le64(unsigned char *p, uint64_t v)
{
    gan__put_le32(p, (uint32_t)v);
    gan__put_le32(p + 4, (uint32_t)(v >> 32));
}

static voidpf gan__imc_zalloc(voidpf opaque, uInt items, uInt size)
{
    size_t bytes;
    (void)opaque;
    if (gan__mul_size(items, size, &bytes) != 0)
        return Z_NULL;
    return gan__malloc(bytes);
}

static void gan__imc_zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    gan__free(p);
}

#define GAN__NOTE(...) (snprintf(note, note_cap, __VA_ARGS__), GAN_DONE)

/* Inflate exactly raw_len bytes from the stored stream; 0 or a note. */
static gan_status gan__imc_inflate(const unsigned char *in, size_t in_len, unsigned char *out,
                                   size_t raw_len, const char *path, char *note, size_t note_cap)
{
    z_stream zs;
    int zr;
    size_t fed = 0, made = 0;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = gan__imc_zalloc;
    zs.zfree = gan__imc_zfree;
    zr = inflateInit(&zs);
    if (zr != Z_OK)
        return zr == Z_MEM_ERROR ? gan__err(GAN_ENOMEM, "%s: out of memory in zlib", path)
                                 : GAN__NOTE("cannot start zlib (%d)", zr);
    for (;;) {
        size_t room;
        if (zs.avail_in == 0 && fed < in_len) {
            size_t k = in_len - fed > (1u << 30) ? (1u << 30) : in_len - fed;
            zs.next_in = (Bytef *)(uintptr_t)(in + fed);
            zs.avail_in = (uInt)k;
            fed += k;
        }
        room = raw_len - made > (1u << 30) ? (1u << 30) : raw_len - made;
        zs.next_out = out + made;
        zs.avail_out = (uInt)room;
        zr = inflate(&zs, Z_NO_FLUSH);
        made += room - zs.avail_out;
        if (zr == Z_STREAM_END)
            break;
        if (zr == Z_MEM_ERROR) {
            inflateEnd(&zs);
            return gan__err(GAN_ENOMEM, "%s: out of memory in zlib", path);
        }
        if (zr != Z_OK && !(zr == Z_BUF_ERROR && made < raw_len && zs.avail_in == 0 &&
                            fed < in_len)) {
            inflateEnd(&zs);
            if (made == raw_len && zs.avail_out == 0)
                return GAN__NOTE("corrupt: the payload inflates to more than %zu bytes",
                                 raw_len);
            return GAN__NOTE("corrupt: %s at payload byte %zu",
                             zr == Z_BUF_ERROR ? "the stream is truncated"
                                               : (zs.msg ? zs.msg : "bad zlib data"), made);
        }
    }
    inflateEnd(&zs);
    if (made != raw_len || fed - zs.avail_in != in_len)
        return GAN__NOTE("corrupt: the payload is %zu bytes of %zu, with %zu stored bytes left "
                         "over", made, raw_len, in_len - (fed - zs.avail_in));
    return GAN_OK;
}

gan_status gan__image_cache_read(const char *path, const unsigned char *key, size_t key_len,
                                 gan__image_set *out, char *note, size_t note_cap)
{
    gan__blob b;
    const unsigned char *h;
    uint64_t n, files, skipped, raw_len, stored, need, pixels;
    uint32_t hh, ww, cc, ncls, names_len, err_len;
    unsigned char *raw = NULL;
    gan__image_set s;
    gan_status st;

    memset(out, 0, sizeof *out);
    memset(&s, 0, sizeof s);
    st = gan__read_file(path, &b);
    if (st == GAN_ENOMEM)
        return st;
    if (st != GAN_OK)
        return GAN__NOTE("%s", gan_last_error());
    h = b.data;
    if (b.len < GAN__IMC_HEADER || memcmp(h, GAN__IMC_MAGIC, 4) != 0) {
        gan__blob_free(&b);
        return GAN__NOTE("%s: not a libgan image cache (%zu bytes)", path, b.len);
    }
    if (gan__get_le32(h + 4) != GAN__IMC_VERSION ||
        gan__get_le32(h + 92) != gan__crc(0, h, 92)) {
        gan__blob_free(&b);
        return GAN__NOTE("%s: corrupt header or another format version", path);
    }
    if (gan__get_le64(h + 8) != gan__fnv1a64(key, key_len) ||
        gan__get_le32(h + 16) != gan__crc(0, key, key_len) ||
        gan__get_le32(h + 20) != (uint32_t)key_len) {
        gan__blob_free(&b);
        return GAN__NOTE("%s: stale: made for other files or settings", path);
    }
    n = gan__get_le64(h + 24);
    hh = gan__get_le32(h + 32);
    ww = gan__get_le32(h + 36);
    cc = gan__get_le32(h + 40);
    ncls = gan__get_le32(h + 44);
    files = gan__get_le64(h + 48);
    skipped = gan__get_le64(h + 56);
    names_len = gan__get_le32(h + 64);
    err_len = gan__get_le32(h + 68);
    raw_len = gan__get_le64(h + 72);
    stored = gan__get_le64(h + 80);
    if (n < 1 || n > files || files - n != skipped || hh < 1 || hh > GAN__IMC_MAX_SIDE ||
        ww < 1 || ww > GAN__IMC_MAX_SIDE || !(cc == 1 || cc == 3 || cc == 4) || ncls > n ||
        ncls > GAN__MAX_CLASSES || names_len > GAN__IMC_MAX_NAMES ||
        (ncls == 0) != (names_len == 0) || err_len >= GAN__IMC_MAX_ERROR ||
        (skipped == 0) != (err_len == 0) || stored != b.len - GAN__IMC_HEADER ||
        __builtin_mul_overflow(n, (uint64_t)hh * ww * cc, &pixels) ||
        __builtin_add_overflow(pixels, (uint64_t)names_len + err_len + (ncls ? 4 * n : 0),
                               &need) ||
        need != raw_len || raw_len > stored * 1032 + 1024 || raw_len > SIZE_MAX / 2) {
        gan__blob_free(&b);
        return GAN__NOTE("%s: corrupt: inconsistent sizes in the header", path);
    }
    raw = gan__malloc((size_t)raw_len);
    if (!raw) {
        gan__blob_free(&b);
        return gan__err(GAN_ENOMEM, "%s: out of memory for a cache of %llu bytes", path,
                        (unsigned long long)raw_len);
    }
    st = gan__imc_inflate(h + GAN__IMC_HEADER, (size_t)stored, raw, (size_t)raw_len, path, note,
                          note_cap);
    if (st == GAN_OK && gan__crc(0, raw, (size_t)raw_len) != gan__get_le32(h + 88))
        st = GAN__NOTE("%s: corrupt: payload CRC mismatch", path);
    gan__blob_free(&b);
    if (st != GAN_OK)
        goto fail;

    /* The payload: names, error, labels, pixels. */
    s.n = (size_t)n;
    s.h = (int)hh;
    s.w = (int)ww;
    s.c = (int)cc;
    s.n_files = (size_t)files;
    s.n_skipped = (size_t)skipped;
    {
        const unsigned char *p = raw, *end = raw + names_len;
        if (ncls) {
            s.class_names = gan__calloc(ncls, sizeof *s.class_names);
            if (!s.class_names) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            s.n_classes = ncls;
            for (uint32_t k = 0; k < ncls; k++) {
                const unsigned char *z = memchr(p, 0, (size_t)(end - p));
                if (!z || z == p || (k + 1 == ncls && z + 1 != end)) {
                    st = GAN__NOTE("%s: corrupt: class names", path);
                    goto fail;
                }
                s.class_names[k] = gan__strdup((const char *)p);
                if (!s.class_names[k]) {
                    st = gan__err(GAN_ENOMEM, "%s: out of memory", path);
                    goto fail;
                }
                p = z + 1;
            }
        }
        if (err_len) {
            s.first_error = gan__malloc(err_len + 1);
            if (!s.first_error) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            memcpy(s.first_error, p, err_len);
            s.first_error[err_len] = '\0';
            p += err_len;
        }
        if (ncls) {
            s.labels = gan__malloc((size_t)n * sizeof *s.labels);
            if (!s.labels) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            for (size_t i = 0; i < s.n; i++) {
                uint32_t l = gan__get_le32(p + 4 * i);
                if (l >= ncls) {
                    st = GAN__NOTE("%s: corrupt: label %u of image %zu, expected < %u", path,
                                   (unsigned)l, i, (unsigned)ncls);
                    goto fail;
                }
                s.labels[i] = (int32_t)l;
            }
            p += 4 * s.n;
        }
        /* The pixels stay in place: move them to the front of raw. */
        memmove(raw, p, (size_t)pixels);
        s.px = raw;
        raw = NULL;
    }
    *out = s;
    return GAN_OK;
fail:
    gan__free(raw);
    gan__image_set_free(&s);
    return st;
}

/* Feed n bytes to deflate (output room is enough: deflateBound). */
static int gan__imc_feed(z_stream *zs, uint32_t *crc, const unsigned char *p, size_t n)
{
    *crc = gan__crc(*crc, p, n);
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        zs->next_in = (Bytef *)(uintptr_t)p;
        zs->avail_in = k;
        while (zs->avail_in > 0)
            if (deflate(zs, Z_NO_FLUSH) != Z_OK || zs->avail_out == 0)
                return -1;
        p += k;
        n -= k;
    }
    return 0;
}

gan_status gan__image_cache_write(const char *path, const unsigned char *key, size_t key_len,
                                  const gan__image_set *s)
{
    size_t names_len = 0, err_len = s->first_error ? strlen(s->first_error) : 0;
    size_t pixels = s->n * (size_t)s->h * (size_t)s->w * (size_t)s->c;
    size_t raw_len, cap;
    unsigned char *file = NULL, lb[4096];
    uint32_t crc = 0;
    z_stream zs;
    int zr, failed = 0;
    gan_status st;

    if (err_len >= GAN__IMC_MAX_ERROR)
        err_len = GAN__IMC_MAX_ERROR - 1;
    for (size_t k = 0; k < s->n_classes; k++)
        names_len += strlen(s->class_names[k]) + 1;
    if (names_len > GAN__IMC_MAX_NAMES)
        return gan__err(GAN_EINVAL, "%s: class names too long for the cache", path);
    raw_len = names_len + err_len + (s->n_classes ? 4 * s->n : 0) + pixels;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = gan__imc_zalloc;
    zs.zfree = gan__imc_zfree;
    zr = deflateInit(&zs, 1);   /* level 1: several times faster than 6, pixels compress alike */
    if (zr != Z_OK)
        return gan__err(zr == Z_MEM_ERROR ? GAN_ENOMEM : GAN_EINTERNAL,
                        "%s: cannot start zlib deflate (%d)", path, zr);
    cap = (size_t)deflateBound(&zs, (uLong)raw_len) + GAN__IMC_HEADER + 64;
    file = gan__malloc(cap);
    if (!file) {
        deflateEnd(&zs);
        return gan__err(GAN_ENOMEM, "%s: out of memory for a cache of %zu bytes", path, cap);
    }
    zs.next_out = file + GAN__IMC_HEADER;
    zs.avail_out = (uInt)(cap - GAN__IMC_HEADER > (1u << 31) ? (1u << 31)
                                                               : cap - GAN__IMC_HEADER);
    for (size_t k = 0; k < s->n_classes && !failed; k++)
        failed = gan__imc_feed(&zs, &crc, (const unsigned char *)s->class_names[k],
                               strlen(s->class_names[k]) + 1);
    if (!failed && err_len)
        failed = gan__imc_feed(&zs, &crc, (const unsigned char *)s->first_error, err_len);
    if (s->n_classes)
        for (size_t i = 0; i < s->n && !failed; i += sizeof lb / 4) {
            size_t m = s->n - i < sizeof lb / 4 ? s->n - i : sizeof lb / 4;
            for (size_t j = 0; j < m; j++)
                gan__put_le32(lb + 4 * j, (uint32_t)s->labels[i + j]);
            failed = gan__imc_feed(&zs, &crc, lb, 4 * m);
        }
    if (!failed)
        failed = gan__imc_feed(&zs, &crc, s->px, pixels);
    if (!failed) {
        zs.avail_in = 0;
        zr = deflate(&zs, Z_FINISH);
        failed = zr != Z_STREAM_END;
    }
    deflateEnd(&zs);
    if (failed || (size_t)zs.total_out > cap - GAN__IMC_HEADER) {
        gan__free(file);
        return gan__err(GAN_EINTERNAL, "%s: zlib deflate failed writing the cache", path);
    }
    memcpy(file, GAN__IMC_MAGIC, 4);
    gan__put_le32(file + 4, GAN__IMC_VERSION);
    gan__put_le64(file + 8, gan__fnv1a64(key, key_len));
    gan__put_le32(file + 16, gan__crc(0, key, key_len));
    gan__put_le32(file + 20, (uint32_t)key_len);
    gan__put_le64(file + 24, s->n);
    gan__put_le32(file + 32, (uint32_t)s->h);
    gan__put_le32(file + 36, (uint32_t)s->w);
    gan__put_le32(file + 40, (uint32_t)s->c);
    gan__put_le32(file + 44, (uint32_t)s->n_classes);
    gan__put_le64(file + 48, s->n_files);
    gan__put_le64(file + 56, s->n_skipped);
    gan__put_le32(file + 64, (uint32_t)names_len);
    gan__put_le32(file + 68, (uint32_t)err_len);
    gan__put_le64(file + 72, raw_len);
    gan__put_le64(file + 80, (uint64_t)zs.total_out);
    gan__put_le32(file + 88, crc);
    gan__put_le32(file + 92, gan__crc(0, file, 92));
    st = gan__write_file_atomic(path, file, GAN__IMC_HEADER + (size_t)zs.total_out);
    gan__free(file);
    return st;
}
