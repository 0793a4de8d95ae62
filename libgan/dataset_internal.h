/*
 * dataset_internal.h -- private declarations shared by the dataset sources:
 * dataset.c (the handle, batching, convert), dataset_io.c (reading files
 * and bounded gzip inflation), dataset_idx.c and dataset_cifar.c (parsers).
 *
 * Parsers never trust a header: every size is overflow-checked and compared
 * with the real length before anything is allocated.  Error messages have
 * the form "<name>: offset <n>: <what>, expected <x>" where <name> is the
 * file's path or "<memory>".
 */
#ifndef GAN_DATASET_INTERNAL_H
#define GAN_DATASET_INTERNAL_H

#include "gan_internal.h"

/* Largest file, and largest decompressed stream, a loader accepts. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* Keeps single allocations under libFuzzer's -malloc_limit_mb. */
#  define GAN__DATA_MAX_BYTES ((size_t)16 << 20)
#else
#  define GAN__DATA_MAX_BYTES ((size_t)1 << 30)
#endif

/* The name used in messages for buffers that are not files. */
#define GAN__MEM_NAME "<memory>"

struct gan_dataset {
    uint32_t magic;              /* GAN__MAGIC_DATASET */
    gan__shape shape;            /* per sample */
    size_t elems;                /* floats per sample */
    size_t n_total;              /* samples stored */
    size_t n;                    /* samples in use (gan_dataset_limit) */
    const float *x;              /* (n_total, elems); owned when x_owned */
    float *x_owned;
    const int32_t *labels;       /* n_total or NULL; owned when labels_owned */
    int32_t *labels_owned;
    int n_classes;               /* max label + 1 over the first n, or 0 */
    /* Batching. */
    gan_batch_config cfg;
    size_t *perm;                /* n_total entries: order of the current epoch */
    size_t epoch;                /* current epoch */
    size_t pos;                  /* next position in perm */
    int perm_ready;              /* perm holds the order of `epoch` */
};

/*
 * A new dataset that owns x (n * elems floats) and labels (n or NULL),
 * both from gan__malloc.  Takes ownership even on failure (frees them).
 */
gan_status gan__dataset_wrap(gan_dataset **out, const gan__shape *shape, size_t n, float *x,
                             int32_t *labels, const char *func);

/* The uint8 -> float map x / 127.5 - 1, rounded once from double. */
void gan__u8_table(float table[256]);

/* ---- dataset_io.c ------------------------------------------------------------ */

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

/* ---- parsers ------------------------------------------------------------------- */

gan_status gan__idx_load(gan_dataset **out, gan__blob *images, const char *images_name,
                         gan__blob *labels, const char *labels_name, const char *func);

/* Bytes per CIFAR-10 record: a label and 32x32x3 planar pixels. */
#define GAN__CIFAR_RECORD 3073
#define GAN__CIFAR_PIXELS 3072

/* Validate a CIFAR-10 buffer: length a non-zero multiple of 3073, labels 0..9. */
gan_status gan__cifar_check(const unsigned char *buf, size_t len, const char *name);
/* Convert n validated records to NHWC floats (n * 3072) and labels (n). */
void gan__cifar_convert(const unsigned char *buf, size_t n, float *x, int32_t *labels);

#endif /* GAN_DATASET_INTERNAL_H */
