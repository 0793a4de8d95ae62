/*
 * data/image.h -- private declarations of the image-folder loader:
 * image_decode.c (PNG through libpng, JPEG through libjpeg-turbo, both into
 * 8-bit pixels), image_resize.c (channel conversion, crop/pad, the area and
 * bilinear filters), image_cache.c (the compressed cache of a preprocessed
 * set) and images.c (the folder scan, the bad-file policy, the public
 * gan_dataset_load_images*).  Builds on data.h.
 */
#ifndef GAN_DATA_IMAGE_H
#define GAN_DATA_IMAGE_H

#include "data/data.h"

/* ---- decoding (image_decode.c) -------------------------------------------------- */

/*
 * A decoded image: 8-bit samples, rows top to bottom, channels interleaved;
 * c is 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA).  px is owned
 * (gan__malloc); free with gan__image_free.
 */
typedef struct gan__image {
    int w, h, c;
    unsigned char *px;
} gan__image;

void gan__image_free(gan__image *im);

/* Per-dimension limit of the decoders (libpng's default user limit; JPEG
   cannot exceed 65500). */
#define GAN__IMAGE_MAX_SIDE 1000000

/*
 * Decode a PNG or JPEG (told apart by their first bytes) into *out.  An
 * image of more than max_pixels pixels is refused from its header, before
 * any pixel memory is allocated.  Errors: GAN_EFORMAT for anything the
 * decoders reject, with "<name>: offset <n>: ..." (n = bytes consumed when
 * the decoder stopped); GAN_ENOMEM.  libpng allocates through the library's
 * allocator; libjpeg uses its own (malloc).
 */
gan_status gan__image_decode(const unsigned char *buf, size_t len, const char *name,
                             uint64_t max_pixels, gan__image *out);

/* ---- preprocessing (image_resize.c) ---------------------------------------------- */

/* How one image becomes an (h, w, c) uint8 sample. */
typedef struct gan__prep {
    int h, w, c;                 /* target; c in {1, 3, 4} */
    gan_image_fit fit;
    unsigned char bg[3];         /* background RGB (composite and pad colour) */
} gan__prep;

/* The part of the source (in source pixels) that is resized to the target:
   a centred crop (x0, y0 >= 0) or a centred pad (x0, y0 <= 0, the canvas
   larger than the source), or the whole source. */
typedef struct gan__canvas {
    long x0, y0;
    long w, h;
} gan__canvas;

void gan__image_canvas(int sw, int sh, int tw, int th, gan_image_fit fit, gan__canvas *cv);

/*
 * The weights of one axis: output i is the sum over k < count[i] of
 * weight[i * span + k] * input[start[i] + k].  Area averaging when
 * shrinking (each output covers in/out inputs, partial ones by their
 * overlap), bilinear with half-pixel centres when growing (edges
 * clamped), the identity when equal.
 */
typedef struct gan__axis {
    int n_in, n_out, span;
    int *start, *count;
    double *weight;
} gan__axis;

gan_status gan__axis_init(gan__axis *a, int n_in, int n_out, const char *name);
void gan__axis_free(gan__axis *a);

/* Convert, fit and resize src into dst (p->h * p->w * p->c bytes). */
gan_status gan__image_prep(const gan__image *src, const gan__prep *p, unsigned char *dst,
                           const char *name);

/* ---- the cache (image_cache.c) ---------------------------------------------------- */

/* A preprocessed set: what the cache stores and the loader builds. */
typedef struct gan__image_set {
    size_t n;                    /* images */
    int h, w, c;
    unsigned char *px;           /* n * h * w * c, owned */
    int32_t *labels;             /* n or NULL, owned */
    size_t n_classes;
    char **class_names;          /* n_classes strings, owned */
    size_t n_files, n_skipped;   /* candidates considered, bad ones skipped */
    char *first_error;           /* owned, or NULL */
} gan__image_set;

void gan__image_set_free(gan__image_set *s);

/*
 * The cache file of a set built from the files and settings summarised by
 * key (key_len bytes; image_cache.c hashes it).  Read: GAN_OK and *out on a
 * hit; GAN_DONE with a reason in note when there is no usable cache (absent,
 * stale, corrupt: never trusted, every size validated before allocating);
 * GAN_ENOMEM.  Write: atomically; a failure is returned with its message.
 */
gan_status gan__image_cache_read(const char *path, const unsigned char *key, size_t key_len,
                                 gan__image_set *out, char *note, size_t note_cap);
gan_status gan__image_cache_write(const char *path, const unsigned char *key, size_t key_len,
                                  const gan__image_set *s);

/* ---- the folder scan (image_scan.c) ---- */

/* Deepest folder nesting followed, and most files listed. */
#define GAN__IMAGE_MAX_DEPTH 64
#define GAN__IMAGE_MAX_FILES ((size_t)1 << 26)

typedef struct gan__img_entry {
    char *rel;                   /* relative path, '/'-separated (or the buffer's name) */
    char *path;                  /* for messages and reading: dir/rel, or the name */
    uint64_t size;
    int64_t mtime_s;             /* modification time; for buffers, 0 */
    uint32_t mtime_ns;           /* ... nanoseconds; for buffers, their CRC-32 */
    gan_status bad;              /* a problem found by the scan (GAN_OK: none) */
    char *bad_msg;               /* its message */
    const unsigned char *mem;    /* the bytes of a buffer entry */
} gan__img_entry;

typedef struct gan__img_list {
    gan__img_entry *e;
    size_t n, cap;
    size_t ignored;
} gan__img_list;

gan_status gan__img_scan(gan__img_list *L, const char *dir, char **root_out);
void gan__img_list_free(gan__img_list *L);
gan__img_entry *gan__img_list_add(gan__img_list *L);

#endif /* GAN_DATA_IMAGE_H */
