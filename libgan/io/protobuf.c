/*
 * protobuf.c -- the few protocol buffer encodings the ONNX export writes
 * (io.h): varints, fixed32 floats and length-delimited fields, appended to
 * a gan__wbuf.  Encoding only: libgan never reads protobuf.
 *
 * Wire format (protobuf's "Encoding" page): a field is a tag, the varint
 * (field number << 3 | wire type), then its value: wire type 0 a varint
 * (int64 values as their two's complement, so a negative one takes ten
 * bytes), 5 four little-endian bytes (float), 2 a varint length and that
 * many bytes (strings, bytes, embedded messages).  Fields are written in
 * the order the caller appends them; the ONNX writer appends them in field
 * number order, as protobuf's own serialisers do, so its bytes equal
 * python3-onnx's SerializeToString() of the same graph
 * (bindings/python/tests/test_onnx.py).
 */
#include <string.h>

#include "io/io.h"

void gan__pb_varint(gan__wbuf *b, uint64_t v)
{
    unsigned char c[10];
    size_t n = 0;
    do {
        c[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            c[n] |= 0x80;
        n++;
    } while (v);
    gan__wb_put(b, c, n);
}

static void pb_tag(gan__wbuf *b, uint32_t field, uint32_t wire)
{
    gan__pb_varint(b, ((uint64_t)field << 3) | wire);
}

void gan__pb_int(gan__wbuf *b, uint32_t field, int64_t v)
{
    pb_tag(b, field, 0);
    gan__pb_varint(b, (uint64_t)v);
}

void gan__pb_float(gan__wbuf *b, uint32_t field, float f)
{
    pb_tag(b, field, 5);
    gan__wb_f32(b, f);
}

void gan__pb_bytes(gan__wbuf *b, uint32_t field, const void *p, size_t n)
{
    pb_tag(b, field, 2);
    gan__pb_varint(b, (uint64_t)n);
    if (n)
        gan__wb_put(b, p, n);
}

void gan__pb_str(gan__wbuf *b, uint32_t field, const char *s)
{
    gan__pb_bytes(b, field, s, strlen(s));
}

void gan__pb_msg(gan__wbuf *b, uint32_t field, const gan__wbuf *msg)
{
    if (msg->failed) {
        b->failed = 1;
        return;
    }
    gan__pb_bytes(b, field, msg->p, msg->len);
}
