/*
 * io/io.h -- bytes in and out of files: whole-file reads with bounded gzip
 * inflation (file.c), atomic replacement (atomic_file.c), the little-endian
 * byte cursor (bytes.c) and the sectioned, CRC'd container of model files
 * and checkpoints (container.c).  Builds on core/ only.
 *
 * Readers never trust a header: every size is overflow-checked and compared
 * with the real length before anything is allocated.
 */
#ifndef GAN_IO_H
#define GAN_IO_H

#include "core/core.h"


/* Largest file, and largest decompressed stream, a loader accepts. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* Keeps single allocations under libFuzzer's -malloc_limit_mb in the raw
   dataset harnesses (fuzz_idx, fuzz_cifar: a gzip'ed input may inflate
   ~1000x and then becomes 4-byte floats); the GANC container needs no such
   cap (GAN__GANC_MAX_RAW below). */
#  define GAN__DATA_MAX_BYTES ((size_t)16 << 20)
#else
#  define GAN__DATA_MAX_BYTES ((size_t)1 << 30)
#endif

/* The name used in messages for buffers that are not files. */
#define GAN__MEM_NAME "<memory>"

/* ---- files (atomic_file.c) ---------------------------------------------------- */

/* Replace path with data[0..len) atomically (see atomic_file.c); GAN_EIO
   with the failing call and strerror, leaving the old file intact. */
gan_status gan__write_file_atomic(const char *path, const void *data, size_t len);


/* ---- whole files (file.c) ------------------------------------------------------ */

/*
 * A byte buffer that is either borrowed (the caller's memory) or owned
 * (read from a file or inflated; free with gan__blob_free).
 */
typedef struct gan__blob {
    const unsigned char *data;
    size_t len;
    unsigned char *owned;
    int inflated;                /* data is the output of gzip inflation */
} gan__blob;

void gan__blob_free(gan__blob *b);

/* Read the whole file at `path` (at most GAN__DATA_MAX_BYTES) into *b. */
gan_status gan__read_file(const char *path, gan__blob *b);

/* 1 if buf starts with the gzip magic 1f 8b. */
int gan__is_gzip(const unsigned char *buf, size_t len);

/*
 * Inflate the gzip stream (one or more members) in b into a new owned blob,
 * at most `cap` bytes of output.  Truncated streams, bad checksums, trailing
 * garbage and output over the cap are GAN_EFORMAT errors naming `name` and
 * the compressed offset.  On success *b is replaced (the input is freed).
 */
gan_status gan__gunzip(gan__blob *b, const char *name, size_t cap);

/* gan__gunzip when b starts with the gzip magic; otherwise nothing. */
gan_status gan__maybe_gunzip(gan__blob *b, const char *name);


/* ---- the GANC container (bytes.c, container.c) ----------------------------------
 *
 * Model files and checkpoints: a 32-byte header, then sections (a 32-byte
 * header and a zlib stream each); docs/checkpoint-format.md is the full
 * specification.  Writers append little-endian values to a growing gan__wbuf
 * (a failed allocation sets `failed`, checked once at the end); readers
 * walk one inflated section with a gan__rbuf, whose first error sticks in
 * `st` and names the file and section.
 */
#define GAN__GANC_MAGIC "GANC"
#define GAN__GANC_VERSION 1u
/* Required flags: a reader that does not know a set bit must refuse the
   file.  Files without the feature keep flags 0, so they stay readable by
   every version 1 reader. */
#define GAN__GANC_FLAG_SPECTRAL_NORM 1u  /* layer records may have flag bit 1 */
#define GAN__GANC_FLAG_EQUALIZED_LR 2u  /* layer records may have flag bit 2 */
#define GAN__GANC_KNOWN_FLAGS (GAN__GANC_FLAG_SPECTRAL_NORM | GAN__GANC_FLAG_EQUALIZED_LR)
/* Layer record flags (the u32 after the kind). */
#define GAN__GANC_LAYER_TRAINABLE 1u
#define GAN__GANC_LAYER_SPECTRAL_NORM 2u
/* A dense layer with the equalised learning rate: its record ends with
   f32 lr_multiplier (docs/checkpoint-format.md). */
#define GAN__GANC_LAYER_EQUALIZED 4u
#define GAN__GANC_HEADER 32u
#define GAN__GANC_MAX_SECTIONS 64u
#define GAN__GANC_MAX_LAYERS 4096u
#define GAN__GANC_MAX_ARCH ((size_t)1 << 20)
/* No smaller cap for fuzzing builds: a section's raw size is bounded by
   1032 x its stored size (deflate's ratio) and verified by a streaming
   inflate before anything of that size is allocated. */
#define GAN__GANC_MAX_RAW ((size_t)1 << 30)
#define GAN__GANC_ZLIB_LEVEL 1 /* floats barely compress; level 1 is ~5x faster than 6 for ~2% size */

enum { GAN__SEC_ARCH = 1, GAN__SEC_PARAMS = 2, GAN__SEC_STATE = 3, GAN__SEC_OPTIM = 4, GAN__SEC_TRAINER = 5, GAN__SEC_DATASET = 6,
       GAN__SEC_EMA = 7, GAN__SEC_CLASSES = 8 };

/* Section type names for messages, indexed by GAN__SEC_*. */
extern const char *const gan__sec_names[];

/* ---- little-endian byte writer ----------------------------------------------- */

typedef struct gan__wbuf {
    unsigned char *p;
    size_t len, cap;
    int failed;
} gan__wbuf;

/* ---- little-endian byte reader over one inflated section ---------------------- */

typedef struct gan__rbuf {
    const unsigned char *p;
    size_t len, off;
    const char *name;       /* file name for messages */
    const char *what;       /* section name */
    gan_status st;
} gan__rbuf;

typedef struct gan__section {
    uint32_t type, slot;
    size_t offset;             /* of its header in the file */
    const unsigned char *stored;
    size_t stored_len, raw_len;
    uint32_t crc;
} gan__section;

typedef struct gan__container {
    const char *name;
    uint32_t kind, writer_version, n, flags;
    gan__section sec[GAN__GANC_MAX_SECTIONS];
} gan__container;

uint32_t gan__get_le32(const unsigned char *p);

uint64_t gan__get_le64(const unsigned char *p);

void gan__put_le32(unsigned char *p, uint32_t v);

gan_status gan__rb_end(gan__rbuf *r);

float gan__rb_f32(gan__rbuf *r);

/* n floats into dst; GAN_ENUMERIC if any is not finite. */
void gan__rb_floats(gan__rbuf *r, float *dst, size_t n);

int32_t gan__rb_i32(gan__rbuf *r);

/* Turn n little-endian floats, inflated into x's bytes, into floats in
   place (a no-op copy on little-endian hosts). */
void gan__floats_from_le(float *x, size_t n);

int gan__rb_need(gan__rbuf *r, size_t n);

uint32_t gan__rb_u32(gan__rbuf *r);

uint64_t gan__rb_u64(gan__rbuf *r);

void gan__wb_f32(gan__wbuf *b, float f);

void gan__wb_floats(gan__wbuf *b, const float *x, size_t n);

void gan__wb_free(gan__wbuf *b);

void gan__wb_put(gan__wbuf *b, const void *src, size_t n);

void gan__wb_u32(gan__wbuf *b, uint32_t v);

void gan__wb_u64(gan__wbuf *b, uint64_t v);

/* ---- protocol buffer fields (protobuf.c), for the ONNX export ------------------- */

/* A base-128 varint. */
void gan__pb_varint(gan__wbuf *b, uint64_t v);
/* Field `field` as a varint (int32/int64/enum; negative: ten bytes). */
void gan__pb_int(gan__wbuf *b, uint32_t field, int64_t v);
/* Field `field` as a fixed32 float. */
void gan__pb_float(gan__wbuf *b, uint32_t field, float f);
/* Field `field` length-delimited: bytes, a string, an embedded message
   (msg's bytes; its failure flag carries over). */
void gan__pb_bytes(gan__wbuf *b, uint32_t field, const void *p, size_t n);
void gan__pb_str(gan__wbuf *b, uint32_t field, const char *s);
void gan__pb_msg(gan__wbuf *b, uint32_t field, const gan__wbuf *msg);

/* A shape as ndim, then 3 dimensions (0 past ndim), all u32; reading
   gives the raw values for gan__shape_from_dims to check, and r->st. */
void gan__wb_shape(gan__wbuf *b, const gan__shape *s);
gan_status gan__rb_shape(gan__rbuf *r, size_t *ndim, int dims[3]);

gan_status gan__parse_header(const unsigned char *b, size_t len, const char *name, gan__container *c);

const gan__section *gan__find_section(const gan__container *c, uint32_t type, uint32_t slot);

gan_status gan__put_section(gan__wbuf *file, uint32_t type, uint32_t slot, const gan__wbuf *raw);

/* Stream-inflate section s without keeping its bytes: exact declared size
   (the stream is stopped at it), CRC32, and from byte float_from on
   (SIZE_MAX: none) every little-endian float finite (else GAN_ENUMERIC).
   Readers of large sections call it before allocating for them. */
gan_status gan__verify_section(const gan__container *c, const gan__section *s, size_t float_from);

/* The same, handing the inflated bytes to fn(ctx, offset, bytes, n) in
   order as they stream (offset and n multiples of 4 but for a last piece
   of a size that is not).  The first error fn returns stops the calls; it
   is returned once the section's size and CRC32 have checked out (a
   damaged stream is reported as damaged, not as what fn saw). */
typedef gan_status (*gan__chunk_fn)(void *ctx, size_t off, const unsigned char *p, size_t n);
gan_status gan__verify_section_with(const gan__container *c, const gan__section *s, size_t float_from,
                                    gan__chunk_fn fn, void *ctx);

/* Inflate s into head[0..n_head) then body[0..raw_len-n_head), capped at
   the declared size, checking its CRC32. */
gan_status gan__inflate_split(const gan__container *c, const gan__section *s, unsigned char *head,
                              size_t n_head, unsigned char *body);

/* Inflate a section into *out (gan__malloc'ed, freed by the caller),
   streaming and capped at its declared size. */
gan_status gan__inflate_section(const gan__container *c, const gan__section *s, unsigned char **out);

void gan__put_header(gan__wbuf *file, uint32_t kind, uint32_t n_sections, uint32_t flags);

/* Inflate a required record section (at most GAN__GANC_MAX_ARCH bytes,
   checked before inflating) into a reader.  *raw must be freed. */
gan_status gan__open_section(const gan__container *c, uint32_t type, uint32_t slot, unsigned char **raw, gan__rbuf *r);

gan_status gan__parse_container(const unsigned char *b, size_t len, const char *name, gan__container *c);

#endif /* GAN_IO_H */
