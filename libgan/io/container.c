/*
 * container.c -- the GANC container: the file header, sections as zlib
 * streams with CRC32s of their raw bytes, parsing with every size checked
 * against caps and against the bytes that remain before anything is
 * allocated, and inflating a section to exactly its declared size.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "io/io.h"

const char *const gan__sec_names[] = {"?", "architecture", "parameters", "state",
                                        "optimizer", "trainer", "dataset", "generator EMA",
                                        "class names"};

/* ---- the container --------------------------------------------------------------- */

gan_status gan__put_section(gan__wbuf *file, uint32_t type, uint32_t slot, const gan__wbuf *raw)
{
    uLongf stored = compressBound((uLong)raw->len);
    unsigned char hdr[32], *z;
    if (raw->failed || file->failed)
        return gan__err(GAN_ENOMEM, "out of memory while encoding the %s section", gan__sec_names[type]);
    z = gan__malloc(stored);
    if (!z)
        return gan__err(GAN_ENOMEM, "out of memory while compressing the %s section", gan__sec_names[type]);
    if (compress2(z, &stored, raw->p ? raw->p : (const Bytef *)"", (uLong)raw->len, GAN__GANC_ZLIB_LEVEL) != Z_OK) {
        gan__free(z);
        return gan__err(GAN_EINTERNAL, "zlib failed to compress the %s section", gan__sec_names[type]);
    }
    gan__put_le32(hdr, type);
    gan__put_le32(hdr + 4, slot);
    gan__put_le32(hdr + 8, (uint32_t)raw->len);
    gan__put_le32(hdr + 12, (uint32_t)((uint64_t)raw->len >> 32));
    gan__put_le32(hdr + 16, (uint32_t)stored);
    gan__put_le32(hdr + 20, (uint32_t)((uint64_t)stored >> 32));
    gan__put_le32(hdr + 24, (uint32_t)crc32(0L, raw->p ? raw->p : (const Bytef *)"", (uInt)raw->len));
    gan__put_le32(hdr + 28, (uint32_t)crc32(0L, hdr, 28));
    gan__wb_put(file, hdr, 32);
    gan__wb_put(file, z, stored);
    gan__free(z);
    return file->failed ? gan__err(GAN_ENOMEM, "out of memory while writing the file") : GAN_OK;
}

void gan__put_header(gan__wbuf *file, uint32_t kind, uint32_t n_sections, uint32_t flags)
{
    unsigned char h[32];
    memcpy(h, GAN__GANC_MAGIC, 4);
    gan__put_le32(h + 4, GAN__GANC_VERSION);
    gan__put_le32(h + 8, flags);
    gan__put_le32(h + 12, kind);
    gan__put_le32(h + 16, (uint32_t)GAN_VERSION_NUMBER);
    gan__put_le32(h + 20, n_sections);
    gan__put_le32(h + 24, 0);
    gan__put_le32(h + 28, (uint32_t)crc32(0L, h, 28));
    gan__wb_put(file, h, 32);
}



/* Does the CRC check apply?  Always, fuzzing builds included: the
   structure-aware harness tests/fuzz/fuzz_ganc_struct.c computes valid CRCs
   to reach the parsers behind them, and the raw harness fuzz_checkpoint.c
   exercises the checks themselves. */
static int crc_differs(uint32_t want, uint32_t got)
{
    return want != got;
}

gan_status gan__parse_header(const unsigned char *b, size_t len, const char *name, gan__container *c)
{
    uint32_t version, flags, crc;
    if (len < GAN__GANC_HEADER)
        return gan__err(GAN_EFORMAT, "%s: %zu bytes, too short for a libgan file (header is 32)", name, len);
    if (memcmp(b, GAN__GANC_MAGIC, 4) != 0)
        return gan__err(GAN_EFORMAT, "%s: offset 0: magic %02x %02x %02x %02x, expected \"GANC\" "
                        "(not a libgan model or checkpoint)", name, b[0], b[1], b[2], b[3]);
    crc = gan__get_le32(b + 28);
    if (crc_differs(crc, (uint32_t)crc32(0L, b, 28)))
        return gan__err(GAN_EFORMAT, "%s: offset 28: header CRC32 %08x does not match its bytes (%08x)",
                        name, crc, (unsigned)crc32(0L, b, 28));
    version = gan__get_le32(b + 4);
    flags = gan__get_le32(b + 8);
    if (version == 0)
        return gan__err(GAN_EFORMAT, "%s: offset 4: format version 0 is invalid", name);
    if (version > GAN__GANC_VERSION || (flags & ~GAN__GANC_KNOWN_FLAGS) != 0)
        return gan__err(GAN_EVERSION, "%s: format version %u with flags %#x needs a newer libgan "
                        "(this one reads version %u with flags %#x)", name, version, flags,
                        GAN__GANC_VERSION, GAN__GANC_KNOWN_FLAGS);
    c->flags = flags;
    c->kind = gan__get_le32(b + 12);
    if (c->kind != GAN_FILE_MODEL && c->kind != GAN_FILE_CHECKPOINT)
        return gan__err(GAN_EFORMAT, "%s: offset 12: file kind %u, expected 1 (model) or 2 (checkpoint)",
                        name, c->kind);
    c->writer_version = gan__get_le32(b + 16);
    c->n = gan__get_le32(b + 20);
    if (c->n < 1 || c->n > GAN__GANC_MAX_SECTIONS)
        return gan__err(GAN_EFORMAT, "%s: offset 20: %u sections, expected 1..%u", name, c->n,
                        GAN__GANC_MAX_SECTIONS);
    return GAN_OK;
}

gan_status gan__parse_container(const unsigned char *b, size_t len, const char *name, gan__container *c)
{
    gan_status st;
    size_t off = GAN__GANC_HEADER;
    memset(c, 0, sizeof *c);
    c->name = name;
    if ((st = gan__parse_header(b, len, name, c)) != GAN_OK)
        return st;
    for (uint32_t i = 0; i < c->n; i++) {
        gan__section *s = &c->sec[i];
        uint64_t raw, stored;
        uint32_t hcrc;
        if (len - off < 32)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: section %u header truncated (%zu bytes left, "
                            "32 expected)", name, off, i, len - off);
        hcrc = gan__get_le32(b + off + 28);
        if (crc_differs(hcrc, (uint32_t)crc32(0L, b + off, 28)))
            return gan__err(GAN_EFORMAT, "%s: offset %zu: section %u header CRC32 mismatch", name, off, i);
        s->type = gan__get_le32(b + off);
        s->slot = gan__get_le32(b + off + 4);
        raw = gan__get_le64(b + off + 8);
        stored = gan__get_le64(b + off + 16);
        s->crc = gan__get_le32(b + off + 24);
        if (s->type < GAN__SEC_ARCH || s->type > GAN__SEC_CLASSES)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: unknown section type %u", name, off, s->type);
        if (s->slot > 1)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section slot %u, expected 0 or 1", name,
                            off + 4, gan__sec_names[s->type], s->slot);
        if (raw > GAN__GANC_MAX_RAW)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section declares %llu bytes, more than the "
                            "%zu allowed", name, off + 8, gan__sec_names[s->type], (unsigned long long)raw,
                            GAN__GANC_MAX_RAW);
        /* Deflate cannot do better than 1032:1 (a 258-byte match in 2 bits);
           a raw size beyond that is a lie, refused before any inflation. */
        if (raw / 1032 > stored)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section declares %llu bytes from %llu stored "
                            "bytes, more than deflate can produce", name, off + 8, gan__sec_names[s->type],
                            (unsigned long long)raw, (unsigned long long)stored);
        if (stored > len - off - 32)
            return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section declares %llu stored bytes, only %zu "
                            "remain (truncated file?)", name, off + 16, gan__sec_names[s->type],
                            (unsigned long long)stored, len - off - 32);
        for (uint32_t j = 0; j < i; j++)
            if (c->sec[j].type == s->type && c->sec[j].slot == s->slot)
                return gan__err(GAN_EFORMAT, "%s: offset %zu: second %s section for slot %u", name, off,
                                gan__sec_names[s->type], s->slot);
        s->offset = off;
        s->stored = b + off + 32;
        s->stored_len = (size_t)stored;
        s->raw_len = (size_t)raw;
        off += 32 + (size_t)stored;
    }
    if (off != len)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %zu unexpected bytes after the last section", name,
                        off, len - off);
    return GAN_OK;
}

const gan__section *gan__find_section(const gan__container *c, uint32_t type, uint32_t slot)
{
    for (uint32_t i = 0; i < c->n; i++)
        if (c->sec[i].type == type && c->sec[i].slot == slot)
            return &c->sec[i];
    return NULL;
}

/*
 * Streaming inflate of a section, never past its declared raw size: output
 * goes to head[0..n_head) then body[0..raw_len - n_head), or, when both are
 * NULL, through a 64 KiB scratch buffer and is dropped (verification: the
 * size, the CRC32, from byte float_from on that every little-endian float
 * is finite, and fn, if any, sees the bytes in whole 4-byte groups).  A
 * stream that would produce more than the declared size stops at the cap;
 * one that ends early, has trailing input or a wrong CRC is GAN_EFORMAT.
 */
static gan_status inflate_capped(const gan__container *c, const gan__section *s, unsigned char *head,
                                 size_t n_head, unsigned char *body, size_t float_from, gan__chunk_fn fn,
                                 void *ctx)
{
    unsigned char scratch[1u << 16];
    z_stream z;
    uLong crc = crc32(0L, Z_NULL, 0);
    size_t total = 0, in_left = s->stored_len, carry = 0;  /* carry: bytes of a 4-byte group */
    const int verify = head == NULL && body == NULL;
    gan_status fn_st = GAN_OK;
    int zr = Z_OK, over = 0;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return gan__err(GAN_ENOMEM, "%s: out of memory for zlib", c->name);
    z.next_in = (Bytef *)(uintptr_t)s->stored;
    while (zr != Z_STREAM_END) {
        unsigned char *out;
        size_t room;
        if (verify) {
            out = scratch + carry;
            room = sizeof scratch - carry;
        } else if (total < n_head) {
            out = head + total;
            room = n_head - total;
        } else {
            out = body + (total - n_head);
            room = s->raw_len - total;
        }
        if (room > s->raw_len - total)
            room = s->raw_len - total;
        if (room == 0) {        /* at the cap: anything more is a lie */
            out = scratch + carry;
            room = 1;
            over = 1;
        }
        if (room > UINT_MAX)
            room = UINT_MAX;
        if (z.avail_in == 0) {
            uInt n = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            z.avail_in = n;
            in_left -= n;
        }
        z.next_out = out;
        z.avail_out = (uInt)room;
        zr = inflate(&z, Z_NO_FLUSH);
        size_t got = room - z.avail_out;
        if (over && got) {
            zr = Z_BUF_ERROR;
            break;
        }
        over = 0;
        if (zr != Z_OK && zr != Z_STREAM_END)
            break;
        if (got == 0 && zr == Z_OK && z.avail_in == 0 && in_left == 0) {
            zr = Z_BUF_ERROR;   /* truncated stream */
            break;
        }
        crc = crc32(crc, out, (uInt)got);
        total += got;
        if (verify) {
            /* scratch[0..have) starts at stream offset base, a multiple of 4 */
            const size_t have = carry + got, base = total - have;
            const size_t whole = total == s->raw_len ? have : have & ~(size_t)3;
            if (float_from != SIZE_MAX) {
                for (size_t i = 0; i + 4 <= whole; i += 4)
                    if (base + i >= float_from && (gan__get_le32(scratch + i) & 0x7f800000u) == 0x7f800000u) {
                        inflateEnd(&z);
                        return gan__err(GAN_ENUMERIC, "%s: offset %zu: %s section holds NaN or infinite "
                                        "values (value %zu)", c->name, s->offset, gan__sec_names[s->type],
                                        (base + i - float_from) / 4);
                    }
            }
            if (fn && fn_st == GAN_OK && whole)
                fn_st = fn(ctx, base, scratch, whole);
            carry = have - whole;
            memmove(scratch, scratch + whole, carry);
        }
    }
    inflateEnd(&z);
    if (zr != Z_STREAM_END || total != s->raw_len || z.avail_in != 0 || in_left != 0)
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section does not inflate to its declared %zu "
                        "bytes (zlib: %s)", c->name, s->offset, gan__sec_names[s->type], s->raw_len,
                        zr == Z_STREAM_END ? (total != s->raw_len ? "wrong size" : "trailing bytes")
                        : zr == Z_BUF_ERROR ? (total >= s->raw_len ? "more than declared" : "truncated")
                        : zError(zr));
    if (crc_differs(s->crc, (uint32_t)crc))
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section CRC32 mismatch (corrupted data)",
                        c->name, s->offset, gan__sec_names[s->type]);
    return fn_st;   /* fn's message is still the last error: nothing failed since */
}

gan_status gan__verify_section(const gan__container *c, const gan__section *s, size_t float_from)
{
    return inflate_capped(c, s, NULL, 0, NULL, float_from, NULL, NULL);
}

gan_status gan__verify_section_with(const gan__container *c, const gan__section *s, size_t float_from,
                                    gan__chunk_fn fn, void *ctx)
{
    return inflate_capped(c, s, NULL, 0, NULL, float_from, fn, ctx);
}

gan_status gan__inflate_split(const gan__container *c, const gan__section *s, unsigned char *head,
                              size_t n_head, unsigned char *body)
{
    static unsigned char none;
    return inflate_capped(c, s, n_head ? head : &none, n_head, body ? body : &none, SIZE_MAX, NULL, NULL);
}

/* Inflate a section into *out (gan__malloc'ed, freed by the caller). */
gan_status gan__inflate_section(const gan__container *c, const gan__section *s, unsigned char **out)
{
    unsigned char *raw;
    gan_status st;
    *out = NULL;
    raw = gan__malloc(s->raw_len ? s->raw_len : 1);
    if (!raw)
        return gan__err(GAN_ENOMEM, "%s: out of memory for the %zu-byte %s section", c->name, s->raw_len,
                        gan__sec_names[s->type]);
    if ((st = inflate_capped(c, s, NULL, 0, raw, SIZE_MAX, NULL, NULL)) != GAN_OK) {
        gan__free(raw);
        return st;
    }
    *out = raw;
    return GAN_OK;
}

/* Inflate a required section into a reader.  *raw must be freed. */
gan_status gan__open_section(const gan__container *c, uint32_t type, uint32_t slot, unsigned char **raw,
                               gan__rbuf *r)
{
    const gan__section *s = gan__find_section(c, type, slot);
    gan_status st;
    *raw = NULL;
    if (!s)
        return gan__err(GAN_EFORMAT, "%s: the %s section%s is missing", c->name, gan__sec_names[type],
                        slot ? " of the discriminator" : "");
    if (s->raw_len > GAN__GANC_MAX_ARCH)   /* checked before inflating */
        return gan__err(GAN_EFORMAT, "%s: offset %zu: %s section declares %zu bytes, more than the "
                        "%zu a record section may hold", c->name, s->offset + 8, gan__sec_names[type],
                        s->raw_len, GAN__GANC_MAX_ARCH);
    if ((st = gan__inflate_section(c, s, raw)) != GAN_OK)
        return st;
    r->p = *raw;
    r->len = s->raw_len;
    r->off = 0;
    r->name = c->name;
    r->what = gan__sec_names[type];
    r->st = GAN_OK;
    return GAN_OK;
}

