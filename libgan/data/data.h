/*
 * data/data.h -- private declarations shared by the dataset sources:
 * dataset.c (the handle, batching, convert), dataset_idx.c and
 * dataset_cifar.c (parsers), images.c and its helpers (image.h: folders
 * of PNG and JPEG images).  Builds on core/ and io/ (file reads).
 *
 * Parsers never trust a header: every size is overflow-checked and compared
 * with the real length before anything is allocated.  Error messages have
 * the form "<name>: offset <n>: <what>, expected <x>" where <name> is the
 * file's path or "<memory>".
 */
#ifndef GAN_DATA_H
#define GAN_DATA_H

#include "core/core.h"
#include "io/io.h"
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
    /* Data-parallel shards (gan_dataset_set_shard): batches are global,
       this worker reads slice shard_index of shard_count of each; pos
       counts global samples.  last_global: the size of the global batch
       the last next_batch served (0 at an epoch's end). */
    size_t shard_index, shard_count;
    size_t last_global;
    /* Augmentation in batches (gan_dataset_set_flip_x). */
    int flip_x;
    /* Class names and the load report of image datasets, or NULL. */
    struct gan__image_info *img;
};

/* What an image dataset keeps of its load (images.c). */
typedef struct gan__image_info {
    size_t n_classes;
    char **class_names;          /* n_classes strings */
    gan_image_report report;
} gan__image_info;

void gan__image_info_free(gan__image_info *info);
/* A deep copy (NULL for NULL); GAN_ENOMEM naming func. */
gan_status gan__image_info_copy(const gan__image_info *src, gan__image_info **out,
                                const char *func);

/*
 * A new dataset that owns x (n * elems floats) and labels (n or NULL),
 * both from gan__malloc.  Takes ownership even on failure (frees them).
 */
gan_status gan__dataset_wrap(gan_dataset **out, const gan__shape *shape, size_t n, float *x,
                             int32_t *labels, const char *func);

/* The uint8 -> float map x / 127.5 - 1, rounded once from double. */
void gan__u8_table(float table[256]);

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

#endif /* GAN_DATA_H */
