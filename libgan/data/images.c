/*
 * images.c -- datasets from folders of PNG and JPEG files, and from encoded
 * files in memory (gan.h, "Datasets from folders of PNG and JPEG images",
 * is the contract: which files, order, labels, bad files, the cache).
 *
 * A load is: scan (the folder, recursively, into a sorted list of
 * candidate entries, each with its size and modification time, or an
 * error found by the scan itself) -> key (the settings and the list, as
 * bytes) -> the cache, when it matches the key -> otherwise read, decode
 * (image_decode.c) and preprocess (image_resize.c) each entry in order,
 * applying the bad-file policy, into one uint8 NHWC array -> labels from
 * the first-level folders -> the cache written -> a float dataset.
 *
 * The scan is image_scan.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "data/image.h"

/* Bump when decoding or preprocessing changes any output: old caches are
   then rebuilt. */
#define GAN__IMAGE_PREP_VERSION 1u
#define GAN__IMAGE_MAX_TARGET 8192

/* ---- settings ------------------------------------------------------------------- */

gan_status gan_image_config_init(gan_image_config *cfg, size_t size)
{
    return gan__config_read(&gan__image_config_type, cfg, size, NULL, __func__);
}

/* The caller's config (NULL: defaults), size-checked and validated. */
static gan_status gan__img_config(const gan_image_config *cfg, gan_image_config *c,
                                  const char *func)
{
    gan_status st = gan__config_read(&gan__image_config_type, c, sizeof *c, cfg, func);
    if (st != GAN_OK)
        return st;
    if ((c->height == 0) != (c->width == 0) || c->height < 0 || c->width < 0 ||
        c->height > GAN__IMAGE_MAX_TARGET || c->width > GAN__IMAGE_MAX_TARGET)
        return gan__err(GAN_EINVAL, "%s: height %d and width %d: both must be in 1..%d, or "
                        "both 0 (keep the images' common size)", func, c->height, c->width,
                        GAN__IMAGE_MAX_TARGET);
    if (c->channels != 1 && c->channels != 3 && c->channels != 4)
        return gan__err(GAN_EINVAL, "%s: channels is %d, must be 1 (gray), 3 (RGB) or 4 (RGBA)",
                        func, c->channels);
    if ((unsigned)c->fit > GAN_IMAGE_FIT_STRETCH)
        return gan__err(GAN_EINVAL, "%s: fit is %d, must be GAN_IMAGE_FIT_CROP, _PAD or "
                        "_STRETCH", func, (int)c->fit);
    if (c->background > 0xffffffu)
        return gan__err(GAN_EINVAL, "%s: background is 0x%x, must be 0xRRGGBB", func,
                        (unsigned)c->background);
    if ((unsigned)c->labels > GAN_IMAGE_LABELS_FOLDERS)
        return gan__err(GAN_EINVAL, "%s: labels is %d, must be GAN_IMAGE_LABELS_AUTO, _NONE or "
                        "_FOLDERS", func, (int)c->labels);
    if ((unsigned)c->on_error > GAN_IMAGE_SKIP)
        return gan__err(GAN_EINVAL, "%s: on_error is %d, must be GAN_IMAGE_FAIL or "
                        "GAN_IMAGE_SKIP", func, (int)c->on_error);
    if (c->max_pixels < 1 || c->max_pixels > ((uint64_t)1 << 31))
        return gan__err(GAN_EINVAL, "%s: max_pixels is %llu, must be in 1..2^31", func,
                        (unsigned long long)c->max_pixels);
    if (c->cache_path && !*c->cache_path)
        return gan__err(GAN_EINVAL, "%s: cache_path is empty (NULL means no cache)", func);
    return GAN_OK;
}

/* ---- the key ---------------------------------------------------------------------- */

static gan_status gan__img_key(const gan_image_config *c, const gan__img_list *L, int mem,
                               gan__wbuf *k, const char *func)
{
    memset(k, 0, sizeof *k);
    gan__wb_put(k, "GIMK", 4);
    gan__wb_u32(k, GAN__IMAGE_PREP_VERSION);
    gan__wb_u32(k, (uint32_t)mem);
    gan__wb_u32(k, (uint32_t)c->height);
    gan__wb_u32(k, (uint32_t)c->width);
    gan__wb_u32(k, (uint32_t)c->channels);
    gan__wb_u32(k, (uint32_t)c->fit);
    gan__wb_u32(k, c->background);
    gan__wb_u32(k, (uint32_t)c->labels);
    gan__wb_u32(k, (uint32_t)c->on_error);
    gan__wb_u64(k, c->max_pixels);
    gan__wb_u64(k, L->n);
    for (size_t i = 0; i < L->n; i++) {
        const gan__img_entry *e = &L->e[i];
        size_t len = strlen(e->rel);
        gan__wb_u32(k, (uint32_t)len);
        gan__wb_put(k, e->rel, len);
        gan__wb_u64(k, e->size);
        gan__wb_u64(k, (uint64_t)e->mtime_s);
        gan__wb_u32(k, e->mtime_ns);
        gan__wb_u32(k, (uint32_t)-e->bad);
    }
    if (k->failed) {
        gan__wb_free(k);
        return gan__err(GAN_ENOMEM, "%s: out of memory", func);
    }
    return GAN_OK;
}

/* ---- loading ---------------------------------------------------------------------- */

typedef struct gan__img_load {
    gan_image_config cfg;
    const char *func;
    gan__img_list L;
    gan__image_set set;
    size_t *src_of;              /* entry index of each loaded image */
    gan_status first_st;         /* status of the first bad file */
    gan_image_report rep;
} gan__img_load;

/* A bad entry: stop (GAN_IMAGE_FAIL) or count it; the message is in
   gan_last_error(). */
static gan_status gan__img_bad(gan__img_load *ld, gan_status st)
{
    if (st == GAN_ENOMEM || st == GAN_EINTERNAL || ld->cfg.on_error == GAN_IMAGE_FAIL)
        return st;
    if (ld->set.n_skipped++ == 0) {
        ld->first_st = st;
        ld->set.first_error = gan__strdup(gan_last_error());
        if (!ld->set.first_error)
            return gan__err(GAN_ENOMEM, "%s: out of memory", ld->func);
    }
    return GAN_OK;
}

/* The first path component of an entry, or NULL without a folder. */
static size_t gan__class_len(const char *rel)
{
    const char *s = strchr(rel, '/');
    return s ? (size_t)(s - rel) : 0;
}

static int gan__class_cmp(const char *a, size_t la, const char *b, size_t lb)
{
    int r = memcmp(a, b, la < lb ? la : lb);
    return r ? r : (la > lb) - (la < lb);
}

/* Labels from the first-level folders of the loaded images (gan.h,
   LABELS): class k is the k-th distinct folder name in byte order. */
static gan_status gan__img_labels(gan__img_load *ld)
{
    gan__image_set *s = &ld->set;
    const gan__img_entry *E = ld->L.e;
    size_t n = s->n, ncls = 0, all_in = 1;
    const char **names = NULL;
    size_t *lens = NULL;
    if (ld->cfg.labels == GAN_IMAGE_LABELS_NONE)
        return GAN_OK;
    for (size_t i = 0; i < n; i++)
        if (gan__class_len(E[ld->src_of[i]].rel) == 0)
            all_in = 0;
    if (!all_in)
        return GAN_OK;          /* AUTO; FOLDERS refused such images already */
    /* Distinct first components: images are in path order, so equal
       classes are adjacent; collect them, then sort the (few) names. */
    names = gan__malloc(n * sizeof *names);
    lens = gan__malloc(n * sizeof *lens);
    if (!names || !lens)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        const char *r = E[ld->src_of[i]].rel;
        size_t l = gan__class_len(r);
        if (ncls && lens[ncls - 1] == l && memcmp(names[ncls - 1], r, l) == 0)
            continue;
        names[ncls] = r;
        lens[ncls] = l;
        ncls++;
    }
    /* Insertion sort + dedup (a class split by another's path is listed twice). */
    {
        size_t m = 0;
        for (size_t i = 0; i < ncls; i++) {
            size_t j = 0;
            int dup = 0;
            while (j < m) {
                int c = gan__class_cmp(names[i], lens[i], names[j], lens[j]);
                if (c == 0) {
                    dup = 1;
                    break;
                }
                if (c < 0)
                    break;
                j++;
            }
            if (dup)
                continue;
            {
                const char *tn = names[i];
                size_t tl = lens[i];
                memmove(names + j + 1, names + j, (m - j) * sizeof *names);
                memmove(lens + j + 1, lens + j, (m - j) * sizeof *lens);
                names[j] = tn;
                lens[j] = tl;
                m++;
            }
        }
        ncls = m;
    }
    if (ncls < 2 && ld->cfg.labels == GAN_IMAGE_LABELS_AUTO) {
        gan__free(names);
        gan__free(lens);
        return GAN_OK;
    }
    if (ncls > GAN__MAX_CLASSES) {
        gan__free(names);
        gan__free(lens);
        return gan__err(GAN_EINVAL, "%s: %zu class folders, more than the limit of %d",
                        ld->func, ncls, GAN__MAX_CLASSES);
    }
    s->labels = gan__malloc(n * sizeof *s->labels);
    s->class_names = gan__calloc(ncls, sizeof *s->class_names);
    if (!s->labels || !s->class_names)
        goto oom;
    s->n_classes = ncls;
    for (size_t k = 0; k < ncls; k++) {
        s->class_names[k] = gan__malloc(lens[k] + 1);
        if (!s->class_names[k])
            goto oom;
        memcpy(s->class_names[k], names[k], lens[k]);
        s->class_names[k][lens[k]] = '\0';
    }
    for (size_t i = 0; i < n; i++) {
        const char *r = E[ld->src_of[i]].rel;
        size_t l = gan__class_len(r), lo = 0, hi = ncls;
        while (lo < hi) {       /* binary search: the name is there */
            size_t mid = (lo + hi) / 2;
            if (gan__class_cmp(names[mid], lens[mid], r, l) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        s->labels[i] = (int32_t)lo;
    }
    gan__free(names);
    gan__free(lens);
    return GAN_OK;
oom:
    gan__free(names);
    gan__free(lens);
    return gan__err(GAN_ENOMEM, "%s: out of memory for the class labels", ld->func);
}

/* Read, decode and preprocess entry i into the next slot; a bad file goes
   through the policy. */
static gan_status gan__img_one(gan__img_load *ld, size_t i, gan__prep *prep, size_t *cap_images,
                               const char **first_name)
{
    gan__img_entry *e = &ld->L.e[i];
    gan__image_set *s = &ld->set;
    gan__blob b;
    gan__image im;
    gan_status st;
    size_t per;

    memset(&b, 0, sizeof b);
    memset(&im, 0, sizeof im);
    if (e->bad != GAN_OK)
        return gan__img_bad(ld, gan__err(e->bad, "%s", e->bad_msg));
    if (ld->cfg.labels == GAN_IMAGE_LABELS_FOLDERS && gan__class_len(e->rel) == 0)
        return gan__img_bad(ld, gan__err(GAN_EINVAL, "%s: lies directly in the folder, but "
                                         "labels = GAN_IMAGE_LABELS_FOLDERS needs every image "
                                         "in a class folder", e->path));
    if (e->mem) {
        b.data = e->mem;
        b.len = (size_t)e->size;
    } else if ((st = gan__read_file(e->path, &b)) != GAN_OK) {
        return gan__img_bad(ld, st);
    }
    st = gan__image_decode(b.data, b.len, e->path, ld->cfg.max_pixels, &im);
    gan__blob_free(&b);
    if (st != GAN_OK)
        return gan__img_bad(ld, st);
    if (prep->h == 0) {
        if (s->n == 0) {
            /* The first image read sets the size of all. */
            int dims[3] = { im.h, im.w, prep->c };
            gan__shape sh;
            if ((st = gan__shape_from_dims(3, dims, &sh, ld->func)) != GAN_OK) {
                gan__image_free(&im);
                return gan__img_bad(ld, st);
            }
            s->h = im.h;
            s->w = im.w;
            *first_name = e->rel;
        } else if (im.h != s->h || im.w != s->w) {
            st = gan__err(GAN_ESHAPE, "%s: image is %dx%d (width x height), expected %dx%d like "
                          "%s, the first image (set gan_image_config height and width to "
                          "resize every image)", e->path, im.w, im.h, s->w, s->h, *first_name);
            gan__image_free(&im);
            return gan__img_bad(ld, st);
        }
    }
    per = (size_t)s->h * (size_t)s->w * (size_t)s->c;
    if (s->n == 0 || s->n == *cap_images) {
        /* First image: room for every candidate left. */
        size_t want = ld->L.n - i + s->n, bytes;
        unsigned char *p;
        if (gan__mul_size(want, per, &bytes) != 0 ||
            gan__mul_size(bytes, sizeof(float), &(size_t){0}) != 0) {
            gan__image_free(&im);
            return gan__err(GAN_EINVAL, "%s: %zu images of %dx%dx%d overflow size_t", ld->func,
                            want, s->h, s->w, s->c);
        }
        p = gan__realloc(s->px, bytes);
        if (!p) {
            gan__image_free(&im);
            return gan__err(GAN_ENOMEM, "%s: out of memory for %zu images of %dx%dx%d",
                            ld->func, want, s->h, s->w, s->c);
        }
        s->px = p;
        *cap_images = want;
    }
    prep->h = s->h;
    prep->w = s->w;
    st = gan__image_prep(&im, prep, s->px + s->n * per, e->path);
    gan__image_free(&im);
    if (ld->cfg.height == 0)
        prep->h = prep->w = 0;
    if (st != GAN_OK)
        return gan__img_bad(ld, st);
    ld->src_of[s->n++] = i;
    return GAN_OK;
}

static gan_status gan__img_decode_all(gan__img_load *ld)
{
    gan__image_set *s = &ld->set;
    gan__prep prep;
    size_t cap_images = 0;
    const char *first_name = NULL;
    gan_status st;

    memset(&prep, 0, sizeof prep);
    prep.h = ld->cfg.height;
    prep.w = ld->cfg.width;
    prep.c = ld->cfg.channels;
    prep.fit = ld->cfg.fit;
    prep.bg[0] = (unsigned char)(ld->cfg.background >> 16);
    prep.bg[1] = (unsigned char)(ld->cfg.background >> 8);
    prep.bg[2] = (unsigned char)ld->cfg.background;
    s->h = prep.h;
    s->w = prep.w;
    s->c = prep.c;
    s->n_files = ld->L.n;
    ld->src_of = gan__malloc(ld->L.n * sizeof *ld->src_of);
    if (!ld->src_of)
        return gan__err(GAN_ENOMEM, "%s: out of memory", ld->func);
    for (size_t i = 0; i < ld->L.n; i++) {
        if ((st = gan__img_one(ld, i, &prep, &cap_images, &first_name)) != GAN_OK)
            return st;
        if (ld->cfg.progress)
            ld->cfg.progress(i + 1, ld->L.n, ld->L.e[i].rel, ld->cfg.progress_user);
    }
    if (s->n == 0)
        return gan__err(ld->first_st, "%s: no image could be read: %zu bad file%s; the first: "
                        "%s", ld->func, s->n_skipped, s->n_skipped == 1 ? "" : "s",
                        s->first_error);
    return gan__img_labels(ld);
}

/* The float dataset of a set, with its class names and report. */
static gan_status gan__img_publish(gan_dataset **out, gan__img_load *ld)
{
    gan__image_set *s = &ld->set;
    gan__image_info *info;
    int dims[3] = { s->h, s->w, s->c };
    gan__shape shape;
    size_t total;
    float *x, t[256];
    gan_status st;

    if ((st = gan__shape_from_dims(3, dims, &shape, ld->func)) != GAN_OK)
        return st;
    total = s->n * gan__shape_elems(&shape);
    info = gan__calloc(1, sizeof *info);
    x = gan__malloc(total * sizeof(float));
    if (!info || !x) {
        gan__free(info);
        gan__free(x);
        return gan__err(GAN_ENOMEM, "%s: out of memory for %zu images of %dx%dx%d", ld->func,
                        s->n, s->h, s->w, s->c);
    }
    gan__u8_table(t);
    for (size_t i = 0; i < total; i++)
        x[i] = t[s->px[i]];
    info->n_classes = s->n_classes;
    info->class_names = s->class_names;
    s->class_names = NULL;
    s->n_classes = 0;
    ld->rep.loaded = s->n;
    ld->rep.skipped = s->n_skipped;
    ld->rep.files = s->n_files;
    snprintf(ld->rep.first_error, sizeof ld->rep.first_error, "%s",
             s->first_error ? s->first_error : "");
    info->report = ld->rep;
    st = gan__dataset_wrap(out, &shape, s->n, x, s->labels, ld->func);
    s->labels = NULL;
    if (st != GAN_OK) {
        gan__image_info_free(info);
        return st;
    }
    (*out)->img = info;
    (*out)->flip_x = ld->cfg.flip_x != 0;
    return GAN_OK;
}

/* The common part of both loaders once the list is made. */
static gan_status gan__img_run(gan_dataset **out, gan__img_load *ld, int mem)
{
    gan__wbuf key;
    gan_status st;
    int have_key = 0;

    memset(&key, 0, sizeof key);
    GAN_IMAGE_REPORT_INIT(&ld->rep);
    ld->rep.ignored = ld->L.ignored;
    ld->rep.files = ld->L.n;
    if (ld->cfg.cache_path) {
        if ((st = gan__img_key(&ld->cfg, &ld->L, mem, &key, ld->func)) != GAN_OK)
            return st;
        have_key = 1;
        st = gan__image_cache_read(ld->cfg.cache_path, key.p, key.len, &ld->set,
                                   ld->rep.cache_note, sizeof ld->rep.cache_note);
        if (st == GAN_OK && (ld->set.c != ld->cfg.channels || ld->set.n_files != ld->L.n ||
                             (ld->cfg.height && (ld->set.h != ld->cfg.height ||
                                                 ld->set.w != ld->cfg.width)))) {
            gan__image_set_free(&ld->set);
            snprintf(ld->rep.cache_note, sizeof ld->rep.cache_note,
                     "%s: stale: made for other settings", ld->cfg.cache_path);
            st = GAN_DONE;
        }
        if (st == GAN_OK) {
            ld->rep.cache = GAN_IMAGE_CACHE_HIT;
            ld->rep.cache_note[0] = '\0';
            gan__wb_free(&key);
            if (ld->cfg.progress)
                ld->cfg.progress(ld->L.n, ld->L.n, NULL, ld->cfg.progress_user);
            return gan__img_publish(out, ld);
        }
        if (st != GAN_DONE) {
            gan__wb_free(&key);
            return st;
        }
    }
    st = gan__img_decode_all(ld);
    if (st == GAN_OK && have_key) {
        gan_status ws = gan__image_cache_write(ld->cfg.cache_path, key.p, key.len, &ld->set);
        if (ws == GAN_OK) {
            ld->rep.cache = GAN_IMAGE_CACHE_WRITTEN;
        } else {
            ld->rep.cache = GAN_IMAGE_CACHE_WRITE_FAILED;
            snprintf(ld->rep.cache_note, sizeof ld->rep.cache_note, "%s", gan_last_error());
            gan_clear_error();
        }
    }
    if (have_key)
        gan__wb_free(&key);
    if (st != GAN_OK)
        return st;
    return gan__img_publish(out, ld);
}

static void gan__img_load_free(gan__img_load *ld)
{
    gan__img_list_free(&ld->L);
    gan__image_set_free(&ld->set);
    gan__free(ld->src_of);
}

gan_status gan_dataset_load_images(gan_dataset **out, const char *dir,
                                   const gan_image_config *cfg)
{
    gan__img_load ld;
    char *root = NULL;
    gan_status st;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(dir != NULL && *dir != '\0');
    memset(&ld, 0, sizeof ld);
    ld.func = __func__;
    if ((st = gan__img_config(cfg, &ld.cfg, __func__)) != GAN_OK)
        return st;
    st = gan__img_scan(&ld.L, dir, &root);
    if (st == GAN_OK && ld.L.n == 0)
        st = gan__err(GAN_EINVAL, "%s: no PNG or JPEG images (*.png, *.jpg, *.jpeg) in this "
                      "folder or its sub-folders (%zu other entr%s ignored)", root, ld.L.ignored,
                      ld.L.ignored == 1 ? "y" : "ies");
    if (st == GAN_OK)
        st = gan__img_run(out, &ld, 0);
    gan__img_load_free(&ld);
    gan__free(root);
    return st;
}

gan_status gan_dataset_load_images_mem(gan_dataset **out, const void *const *bufs,
                                       const size_t *lens, const char *const *names, size_t n,
                                       const gan_image_config *cfg)
{
    gan__img_load ld;
    gan_status st = GAN_OK;
    GAN__CHECK_ARG(out != NULL);
    *out = NULL;
    GAN__CHECK_ARG(bufs != NULL);
    GAN__CHECK_ARG(lens != NULL);
    if (n == 0)
        return gan__err(GAN_EINVAL, "%s: invalid argument: n is 0 (a dataset needs images)",
                        __func__);
    if (n > GAN__IMAGE_MAX_FILES)
        return gan__err(GAN_EINVAL, "%s: %zu buffers, more than the limit of %zu", __func__, n,
                        GAN__IMAGE_MAX_FILES);
    for (size_t i = 0; i < n; i++)
        if (bufs[i] == NULL && lens[i] != 0)
            return gan__err(GAN_EINVAL, "%s: invalid argument: bufs[%zu] is NULL with "
                            "lens[%zu] = %zu", __func__, i, i, lens[i]);
    memset(&ld, 0, sizeof ld);
    ld.func = __func__;
    if ((st = gan__img_config(cfg, &ld.cfg, __func__)) != GAN_OK)
        return st;
    for (size_t i = 0; i < n && st == GAN_OK; i++) {
        gan__img_entry *e = gan__img_list_add(&ld.L);
        char nm[64];
        static const unsigned char none[1];
        if (!e) {
            st = gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
            break;
        }
        if (names && names[i]) {
            e->rel = gan__strdup(names[i]);
        } else {
            snprintf(nm, sizeof nm, GAN__MEM_NAME "[%zu]", i);
            e->rel = gan__strdup(nm);
        }
        e->path = e->rel ? gan__strdup(e->rel) : NULL;
        if (!e->rel || !e->path) {
            st = gan__err(GAN_ENOMEM, "%s: out of memory", __func__);
            break;
        }
        e->mem = bufs[i] ? bufs[i] : none;
        e->size = lens[i];
        e->mtime_ns = (uint32_t)crc32_z(0, e->mem, lens[i]);
    }
    if (st == GAN_OK)
        st = gan__img_run(out, &ld, 1);
    gan__img_load_free(&ld);
    return st;
}

/* ---- the dataset's image information ---------------------------------------------- */

void gan__image_info_free(gan__image_info *info)
{
    if (!info)
        return;
    if (info->class_names)
        for (size_t k = 0; k < info->n_classes; k++)
            gan__free(info->class_names[k]);
    gan__free(info->class_names);
    gan__free(info);
}

gan_status gan__image_info_copy(const gan__image_info *src, gan__image_info **out,
                                const char *func)
{
    gan__image_info *d;
    *out = NULL;
    if (!src)
        return GAN_OK;
    d = gan__calloc(1, sizeof *d);
    if (!d)
        return gan__err(GAN_ENOMEM, "%s: out of memory", func);
    d->report = src->report;
    if (src->n_classes) {
        d->class_names = gan__calloc(src->n_classes, sizeof *d->class_names);
        if (!d->class_names) {
            gan__free(d);
            return gan__err(GAN_ENOMEM, "%s: out of memory", func);
        }
        d->n_classes = src->n_classes;
        for (size_t k = 0; k < src->n_classes; k++)
            if (!(d->class_names[k] = gan__strdup(src->class_names[k]))) {
                gan__image_info_free(d);
                return gan__err(GAN_ENOMEM, "%s: out of memory", func);
            }
    }
    *out = d;
    return GAN_OK;
}

gan_status gan_dataset_class_count(const gan_dataset *ds, size_t *count)
{
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(count != NULL);
    *count = ds->img ? ds->img->n_classes : 0;
    return GAN_OK;
}

gan_status gan_dataset_class_name(const gan_dataset *ds, size_t k, char *buf, size_t cap,
                                  size_t *needed)
{
    size_t n;
    const char *name;
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(buf != NULL || cap == 0);
    n = ds->img ? ds->img->n_classes : 0;
    if (k >= n)
        return gan__err(GAN_EINVAL, "%s: class %zu out of range: the dataset has %zu class "
                        "name%s", __func__, k, n, n == 1 ? "" : "s");
    name = ds->img->class_names[k];
    if (needed)
        *needed = strlen(name);
    if (cap)
        snprintf(buf, cap, "%s", name);
    return GAN_OK;
}

gan_status gan_dataset_image_report(const gan_dataset *ds, gan_image_report *report)
{
    gan_image_report r;
    uint32_t sz;
    GAN__CHECK_HANDLE(ds, GAN__MAGIC_DATASET, "gan_dataset");
    GAN__CHECK_ARG(report != NULL);
    sz = report->struct_size;
    if (sz < sizeof(uint32_t) || sz > sizeof r)
        return gan__err(GAN_EINVAL, "%s: report->struct_size %u; initialise it with "
                        "GAN_IMAGE_REPORT_INIT", __func__, (unsigned)sz);
    if (!ds->img)
        return gan__err(GAN_EINVAL, "%s: the dataset was not loaded from images", __func__);
    r = ds->img->report;
    r.struct_size = sz;
    memcpy(report, &r, sz);
    return GAN_OK;
}
