/*
 * error.c -- status strings and the per-thread error message.
 *
 * The message is per thread, not per handle, because a constructor can fail
 * before any handle exists (the libgit2 and SQLite model).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/core.h"

#define GAN__ERR_CAP 512

static _Thread_local char gan__errbuf[GAN__ERR_CAP];

const char *gan_last_error(void)
{
    return gan__errbuf;
}

void gan_clear_error(void)
{
    gan__errbuf[0] = '\0';
}

gan_status gan_set_error(gan_status status, const char *message)
{
    if (message != gan__errbuf)   /* gan_set_error(st, gan_last_error()) keeps it */
        snprintf(gan__errbuf, sizeof gan__errbuf, "%s", message ? message : "");
    return status;
}

const char *gan_status_str(gan_status status)
{
    switch (status) {
    case GAN_OK: return "GAN_OK: success";
    case GAN_DONE: return "GAN_DONE: end of sequence";
    case GAN_ENOMEM: return "GAN_ENOMEM: out of memory";
    case GAN_EINVAL: return "GAN_EINVAL: invalid argument";
    case GAN_ESHAPE: return "GAN_ESHAPE: shape mismatch";
    case GAN_ESTATE: return "GAN_ESTATE: invalid handle or state";
    case GAN_EIO: return "GAN_EIO: input/output error";
    case GAN_EFORMAT: return "GAN_EFORMAT: malformed file or buffer";
    case GAN_EVERSION: return "GAN_EVERSION: unsupported format version";
    case GAN_ENUMERIC: return "GAN_ENUMERIC: non-finite value";
    case GAN_EUNSUPPORTED: return "GAN_EUNSUPPORTED: not supported by this build";
    case GAN_EINTERNAL: return "GAN_EINTERNAL: internal error";
    }
    return "unknown status";
}

gan_status gan__err(gan_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(gan__errbuf, sizeof gan__errbuf, fmt, ap);
    va_end(ap);
    return status;
}

void gan__err_prefix(const char *fmt, ...)
{
    char prefix[GAN__ERR_CAP], old[GAN__ERR_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t n;
    memcpy(old, gan__errbuf, sizeof old);
    /* Truncation is fine: the message is a best-effort one-liner. */
    n = strlen(prefix);
    if (n > GAN__ERR_CAP - 3)
        n = GAN__ERR_CAP - 3;
    memcpy(gan__errbuf, prefix, n);
    memcpy(gan__errbuf + n, ": ", 2);
    n += 2;
    size_t rest = strlen(old);
    if (rest > GAN__ERR_CAP - 1 - n)
        rest = GAN__ERR_CAP - 1 - n;
    memcpy(gan__errbuf + n, old, rest);
    gan__errbuf[n + rest] = '\0';
}

gan_status gan__check_handle(const void *h, uint32_t magic, const char *what, const char *func)
{
    uint32_t found;
    if (h == NULL)
        return gan__err(GAN_EINVAL, "%s: invalid argument: %s handle is NULL", func, what);
    memcpy(&found, h, sizeof found);
    if (found == GAN__MAGIC_DEAD)
        return gan__err(GAN_ESTATE, "%s: the %s handle was already freed", func, what);
    if (found != magic)
        return gan__err(GAN_ESTATE, "%s: not a %s handle (wrong type or corrupted)", func, what);
    return GAN_OK;
}

gan_status gan__busy_err(const char *func, const char *what, const char *hint)
{
    return gan__err(GAN_ESTATE, "%s: this %s is in use by another thread; %s", func, what, hint);
}
