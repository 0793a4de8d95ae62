/*
 * atomic_file.c -- replace a file so that a crash at any moment leaves
 * either the old complete file or the new complete file.
 *
 * The new bytes go to a temporary file in the same directory (same file
 * system, so rename is atomic), which is written fully, fsync'ed and closed
 * with every result checked, then renamed over the target; the directory
 * is fsync'ed so the rename itself is durable.  Temporaries are named
 * ".<name>.tmp-XXXXXX": a crash can leave one behind, and the next save to
 * the same path removes them (two processes saving the same path at once
 * is not supported).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

/* Split path into directory ("." if none) and base name, into buffers. */
static gan_status gan__split_path(const char *path, char *dir, size_t dcap, const char **base)
{
    const char *slash = strrchr(path, '/');
    size_t n;
    if (!slash) {
        snprintf(dir, dcap, ".");
        *base = path;
        return GAN_OK;
    }
    n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/name" */
    if (n >= dcap)
        return gan__err(GAN_EINVAL, "%s: path too long", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    *base = slash + 1;
    return GAN_OK;
}

/* Remove ".<base>.tmp-*" files left in dir by interrupted saves. */
static void gan__sweep_temporaries(const char *dir, const char *base)
{
    char prefix[512], victim[4096];
    DIR *d;
    struct dirent *e;
    int n = snprintf(prefix, sizeof prefix, ".%s.tmp-", base);
    if (n < 0 || (size_t)n >= sizeof prefix || (d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, (size_t)n) != 0 || strlen(e->d_name) != (size_t)n + 6)
            continue;
        if (snprintf(victim, sizeof victim, "%s/%s", dir, e->d_name) < (int)sizeof victim)
            unlink(victim);
    }
    closedir(d);
}

static gan_status gan__io_err(const char *what, const char *path)
{
    return gan__err(GAN_EIO, "%s: %s failed: %s", path, what, strerror(errno));
}

gan_status gan__write_file_atomic(const char *path, const void *data, size_t len)
{
    char dir[4096], tmp[4096];
    const char *base = NULL;
    const unsigned char *p = data;
    gan_status st;
    int fd, dfd;
    if (path == NULL || *path == '\0')
        return gan__err(GAN_EINVAL, "invalid argument: path is NULL or empty");
    if ((st = gan__split_path(path, dir, sizeof dir, &base)) != GAN_OK)
        return st;
    if (*base == '\0')
        return gan__err(GAN_EINVAL, "%s: path names a directory, not a file", path);
    if (snprintf(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", dir, base) >= (int)sizeof tmp)
        return gan__err(GAN_EINVAL, "%s: path too long", path);
    gan__sweep_temporaries(dir, base);
    fd = mkstemp(tmp);
    if (fd < 0)
        return gan__io_err("creating a temporary file", path);
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            st = gan__io_err("write", path);
            goto fail;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        st = gan__io_err("fsync", path);
        goto fail;
    }
    if (fchmod(fd, 0644) != 0) {
        st = gan__io_err("fchmod", path);
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = gan__io_err("close", path);
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        st = gan__io_err("rename", path);
        goto fail;
    }
    /* Make the rename durable; a directory that cannot be opened (odd file
       systems) only loses that guarantee, not the data. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        if (fsync(dfd) != 0 && errno != EINVAL) {
            st = gan__io_err("fsync of the directory", path);
            close(dfd);
            return st;
        }
        close(dfd);
    }
    return GAN_OK;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return st;
}
