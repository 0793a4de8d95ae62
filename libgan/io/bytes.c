/*
 * bytes.c -- the little-endian byte writer and reader of the GANC container
 * (io.h).  The writer grows one buffer and records an allocation failure
 * instead of returning it at every call; the reader checks every length
 * against what remains and keeps its first error.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "io/io.h"


void gan__wb_put(gan__wbuf *b, const void *src, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        unsigned char *np;
        while (cap < b->len + n)
            cap *= 2;
        np = gan__realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void gan__wb_u32(gan__wbuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    gan__wb_put(b, c, 4);
}

void gan__wb_u64(gan__wbuf *b, uint64_t v)
{
    gan__wb_u32(b, (uint32_t)v);
    gan__wb_u32(b, (uint32_t)(v >> 32));
}

void gan__wb_shape(gan__wbuf *b, const gan__shape *s)
{
    gan__wb_u32(b, (uint32_t)s->ndim);
    for (int i = 0; i < 3; i++)
        gan__wb_u32(b, (uint32_t)(i < s->ndim ? s->d[i] : 0));
}

void gan__wb_f32(gan__wbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    gan__wb_u32(b, v);
}

void gan__wb_floats(gan__wbuf *b, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gan__wb_f32(b, x[i]);
}

void gan__wb_free(gan__wbuf *b)
{
    gan__free(b->p);
    memset(b, 0, sizeof *b);
}

void gan__put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

uint32_t gan__get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t gan__get_le64(const unsigned char *p)
{
    return (uint64_t)gan__get_le32(p) | (uint64_t)gan__get_le32(p + 4) << 32;
}


int gan__rb_need(gan__rbuf *r, size_t n)
{
    if (r->st != GAN_OK)
        return 0;
    if (r->len - r->off < n) {
        r->st = gan__err(GAN_EFORMAT, "%s: %s section: truncated at byte %zu, %zu more expected",
                         r->name, r->what, r->off, n);
        return 0;
    }
    return 1;
}

uint32_t gan__rb_u32(gan__rbuf *r)
{
    uint32_t v = 0;
    if (gan__rb_need(r, 4)) {
        v = gan__get_le32(r->p + r->off);
        r->off += 4;
    }
    return v;
}

uint64_t gan__rb_u64(gan__rbuf *r)
{
    uint64_t v = 0;
    if (gan__rb_need(r, 8)) {
        v = gan__get_le64(r->p + r->off);
        r->off += 8;
    }
    return v;
}

int32_t gan__rb_i32(gan__rbuf *r)
{
    uint32_t u = gan__rb_u32(r);
    int32_t v;
    memcpy(&v, &u, 4);
    return v;
}

gan_status gan__rb_shape(gan__rbuf *r, size_t *ndim, int dims[3])
{
    *ndim = gan__rb_u32(r);
    for (int i = 0; i < 3; i++)
        dims[i] = gan__rb_i32(r);
    return r->st;
}

float gan__rb_f32(gan__rbuf *r)
{
    uint32_t u = gan__rb_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* n floats into dst; GAN_ENUMERIC if any is not finite. */
void gan__rb_floats(gan__rbuf *r, float *dst, size_t n)
{
    if (n > SIZE_MAX / 4 || !gan__rb_need(r, n * 4))
        return;
    for (size_t i = 0; i < n; i++)
        dst[i] = gan__rb_f32(r);
    if (gan__has_nonfinite(dst, n))
        r->st = gan__err(GAN_ENUMERIC, "%s: %s section holds NaN or infinite values", r->name, r->what);
}

void gan__floats_from_le(float *x, size_t n)
{
    unsigned char *b = (unsigned char *)x;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = gan__get_le32(b + 4 * i);
        memcpy(x + i, &v, 4);
    }
}

gan_status gan__rb_end(gan__rbuf *r)
{
    if (r->st == GAN_OK && r->off != r->len)
        r->st = gan__err(GAN_EFORMAT, "%s: %s section: %zu unexpected bytes after byte %zu", r->name,
                         r->what, r->len - r->off, r->off);
    return r->st;
}

