/*
 * image_scan.c -- the folder scan of gan_dataset_load_images: a recursive,
 * sorted list of candidate image files with their sizes and modification
 * times, or the problem the scan found with each (images.c applies the
 * bad-file policy).
 *
 * The scan follows symbolic links and never opens anything but folders
 * and regular files (a FIFO named x.png would block a read).  Folders are
 * opened relative to their parent (openat), so paths of any depth work;
 * a folder whose device and inode are those of a folder on the current
 * path is a loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/image.h"


/* ---- the list of candidates ------------------------------------------------------- */

void gan__img_list_free(gan__img_list *L)
{
    for (size_t i = 0; i < L->n; i++) {
        gan__free(L->e[i].rel);
        gan__free(L->e[i].path);
        gan__free(L->e[i].bad_msg);
    }
    gan__free(L->e);
    memset(L, 0, sizeof *L);
}

gan__img_entry *gan__img_list_add(gan__img_list *L)
{
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 256;
        gan__img_entry *e;
        if (L->n >= GAN__IMAGE_MAX_FILES)
            return NULL;
        e = gan__realloc(L->e, cap * sizeof *e);
        if (!e)
            return NULL;
        L->e = e;
        L->cap = cap;
    }
    memset(&L->e[L->n], 0, sizeof L->e[0]);
    return &L->e[L->n++];
}

/* "a/b" from prefix "a" and name "b"; "b" from "" and "b". */
static char *gan__join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = gan__malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    if (la && lb)
        p[la++] = '/';
    memcpy(p + la, b, lb + 1);
    return p;
}

static int gan__has_image_ext(const char *name)
{
    static const char *const exts[] = { ".png", ".jpg", ".jpeg" };
    size_t n = strlen(name);
    for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++) {
        size_t m = strlen(exts[k]);
        if (n > m) {
            size_t i = 0;
            for (; i < m; i++) {
                char ch = name[n - m + i];
                if (ch >= 'A' && ch <= 'Z')
                    ch = (char)(ch - 'A' + 'a');
                if (ch != exts[k][i])
                    break;
            }
            if (i == m)
                return 1;
        }
    }
    return 0;
}

static void gan__strerror(int e, char *buf, size_t cap)
{
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "errno %d", e);
}

static const char *gan__file_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
           S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

typedef struct gan__scan {
    gan__img_list *L;
    const char *root;            /* the folder as given, trailing '/' removed */
    struct { dev_t dev; ino_t ino; } anc[GAN__IMAGE_MAX_DEPTH + 1];
    const char *anc_rel[GAN__IMAGE_MAX_DEPTH + 1];
    int depth;
} gan__scan;

/* Record a bad entry found by the scan: its message is kept for later.
   Takes rel. */
static gan_status gan__scan_bad(gan__scan *S, char *rel, gan_status st, const char *fmt, ...)
    GAN__PRINTF(4, 5);

static gan_status gan__scan_bad(gan__scan *S, char *rel, gan_status st, const char *fmt, ...)
{
    char msg[512], what[384];
    va_list ap;
    gan__img_entry *e = gan__img_list_add(S->L);
    if (!e) {
        gan__free(rel);
        return gan__err(GAN_ENOMEM, "%s: out of memory listing the folder (or more than %zu "
                        "files)", S->root, GAN__IMAGE_MAX_FILES);
    }
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    e->rel = rel;
    e->path = gan__join(S->root, rel);
    if (e->path)
        snprintf(msg, sizeof msg, "%s: %s", e->path, what);
    e->bad_msg = e->path ? gan__strdup(msg) : NULL;
    e->bad = st;
    if (!e->path || !e->bad_msg)
        return gan__err(GAN_ENOMEM, "%s: out of memory listing the folder", S->root);
    return GAN_OK;
}

static gan_status gan__scan_dir(gan__scan *S, int dfd, const char *prefix)
{
    DIR *d = fdopendir(dfd);
    struct dirent *de;
    gan_status st = GAN_OK;
    char es[128];
    if (!d) {
        int e = errno;
        close(dfd);
        gan__strerror(e, es, sizeof es);
        return gan__err(GAN_EIO, "%s%s%s: cannot list the folder: %s", S->root,
                        *prefix ? "/" : "", prefix, es);
    }
    for (;;) {
        struct stat sb;
        const char *name;
        char *rel;
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno != 0) {
                int e = errno;
                gan__strerror(e, es, sizeof es);
                st = gan__err(GAN_EIO, "%s%s%s: cannot list the folder: %s", S->root,
                              *prefix ? "/" : "", prefix, es);
            }
            break;
        }
        name = de->d_name;
        if (name[0] == '.') {
            if (!(name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
                S->L->ignored++;
            continue;
        }
        if (fstatat(dirfd(d), name, &sb, 0) != 0) {
            int e = errno;
            struct stat lsb;
            if (!gan__has_image_ext(name)) {
                S->L->ignored++;        /* e.g. a dangling link without an image name */
                continue;
            }
            rel = gan__join(prefix, name);
            if (!rel) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory listing the folder", S->root);
                break;
            }
            gan__strerror(e, es, sizeof es);
            if (e == ENOENT && fstatat(dirfd(d), name, &lsb, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(lsb.st_mode))
                st = gan__scan_bad(S, rel, GAN_EIO, "cannot open: a dangling symbolic link (%s)",
                                   es);
            else if (e == ELOOP)
                st = gan__scan_bad(S, rel, GAN_EIO, "cannot open: a symbolic link loop (%s)", es);
            else
                st = gan__scan_bad(S, rel, GAN_EIO, "cannot open: %s", es);
            if (st != GAN_OK)
                break;
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            int loop = -1, cfd;
            rel = gan__join(prefix, name);
            if (!rel) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory listing the folder", S->root);
                break;
            }
            for (int k = 0; k <= S->depth; k++)
                if (S->anc[k].dev == sb.st_dev && S->anc[k].ino == sb.st_ino)
                    loop = k;
            if (loop >= 0) {
                st = gan__scan_bad(S, rel, GAN_EIO, "a symbolic link loop: this folder is %s%s%s",
                                   S->root, *S->anc_rel[loop] ? "/" : "", S->anc_rel[loop]);
            } else if (S->depth + 1 > GAN__IMAGE_MAX_DEPTH) {
                st = gan__scan_bad(S, rel, GAN_EIO, "folders nested more than %d deep",
                                   GAN__IMAGE_MAX_DEPTH);
            } else if ((cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                int e = errno;
                gan__strerror(e, es, sizeof es);
                st = gan__scan_bad(S, rel, GAN_EIO, "cannot open the folder: %s", es);
            } else {
                S->depth++;
                S->anc[S->depth].dev = sb.st_dev;
                S->anc[S->depth].ino = sb.st_ino;
                S->anc_rel[S->depth] = rel;
                st = gan__scan_dir(S, cfd, rel);
                S->depth--;
                gan__free(rel);
            }
            if (st != GAN_OK)
                break;
            continue;
        }
        if (!gan__has_image_ext(name)) {
            S->L->ignored++;
            continue;
        }
        rel = gan__join(prefix, name);
        if (!rel) {
            st = gan__err(GAN_ENOMEM, "%s: out of memory listing the folder", S->root);
            break;
        }
        if (!S_ISREG(sb.st_mode)) {
            st = gan__scan_bad(S, rel, GAN_EIO, "cannot read: %s, not a regular file",
                               gan__file_kind(sb.st_mode));
            if (st != GAN_OK)
                break;
            continue;
        }
        {
            gan__img_entry *e = gan__img_list_add(S->L);
            if (!e) {
                gan__free(rel);
                st = gan__err(GAN_ENOMEM, "%s: out of memory listing the folder (or more "
                              "than %zu files)", S->root, GAN__IMAGE_MAX_FILES);
                break;
            }
            e->rel = rel;
            e->path = gan__join(S->root, rel);
            e->size = (uint64_t)sb.st_size;
            e->mtime_s = (int64_t)sb.st_mtim.tv_sec;
            e->mtime_ns = (uint32_t)sb.st_mtim.tv_nsec;
            if (!e->path) {
                st = gan__err(GAN_ENOMEM, "%s: out of memory listing the folder", S->root);
                break;
            }
        }
    }
    closedir(d);
    return st;
}

static int gan__entry_cmp(const void *a, const void *b)
{
    return strcmp(((const gan__img_entry *)a)->rel, ((const gan__img_entry *)b)->rel);
}

gan_status gan__img_scan(gan__img_list *L, const char *dir, char **root_out)
{
    gan__scan S;
    struct stat sb;
    size_t n = strlen(dir);
    char *root, es[128];
    int fd;
    gan_status st;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    root = gan__malloc(n + 1);
    if (!root)
        return gan__err(GAN_ENOMEM, "%s: out of memory", dir);
    memcpy(root, dir, n);
    root[n] = '\0';
    *root_out = root;
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        gan__strerror(e, es, sizeof es);
        return gan__err(GAN_EIO, "%s: cannot open the folder: %s", root, es);
    }
    memset(&S, 0, sizeof S);
    S.L = L;
    S.root = root;
    S.anc[0].dev = sb.st_dev;
    S.anc[0].ino = sb.st_ino;
    S.anc_rel[0] = "";
    if ((st = gan__scan_dir(&S, fd, "")) != GAN_OK)
        return st;
    if (L->n > 1)
        qsort(L->e, L->n, sizeof L->e[0], gan__entry_cmp);
    return GAN_OK;
}

