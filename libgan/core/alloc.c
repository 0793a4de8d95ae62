/*
 * alloc.c -- every allocation of the library goes through here, so a caller
 * can route memory to its own allocator (zlib's zalloc, SQLite's
 * SQLITE_CONFIG_MALLOC) and tests can fail the k-th allocation.
 */
#include <stdlib.h>

#include "core/core.h"

static void *gan__std_malloc(size_t n, void *user) { (void)user; return malloc(n); }
static void *gan__std_realloc(void *p, size_t n, void *user) { (void)user; return realloc(p, n); }
static void gan__std_free(void *p, void *user) { (void)user; free(p); }

static gan_allocator gan__alloc = { gan__std_malloc, gan__std_realloc, gan__std_free, NULL };
/* Handles alive; gan_set_allocator refuses to switch while any exist. */
static long gan__live_handles;

gan_status gan_set_allocator(const gan_allocator *alloc)
{
    if (__atomic_load_n(&gan__live_handles, __ATOMIC_SEQ_CST) != 0)
        return gan__err(GAN_ESTATE, "gan_set_allocator: %ld handle(s) still alive; "
                        "set the allocator before creating any", gan__live_handles);
    if (alloc == NULL) {
        gan__alloc.malloc_fn = gan__std_malloc;
        gan__alloc.realloc_fn = gan__std_realloc;
        gan__alloc.free_fn = gan__std_free;
        gan__alloc.user = NULL;
        return GAN_OK;
    }
    if (!alloc->malloc_fn || !alloc->realloc_fn || !alloc->free_fn)
        return gan__err(GAN_EINVAL, "gan_set_allocator: malloc_fn, realloc_fn and free_fn are all required");
    gan__alloc = *alloc;
    return GAN_OK;
}

void gan__handle_created(void) { __atomic_add_fetch(&gan__live_handles, 1, __ATOMIC_SEQ_CST); }
void gan__handle_freed(void) { __atomic_sub_fetch(&gan__live_handles, 1, __ATOMIC_SEQ_CST); }

void *gan__malloc(size_t size)
{
    return gan__alloc.malloc_fn(size ? size : 1, gan__alloc.user);
}

int gan__mul_size(size_t n, size_t size, size_t *out)
{
    return __builtin_mul_overflow(n, size, out) ? -1 : 0;
}

void *gan__calloc(size_t n, size_t size)
{
    size_t bytes;
    void *p;
    if (gan__mul_size(n, size, &bytes) != 0)
        return NULL;
    p = gan__malloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void *gan__realloc(void *p, size_t size)
{
    return gan__alloc.realloc_fn(p, size ? size : 1, gan__alloc.user);
}

void gan__free(void *p)
{
    if (p)
        gan__alloc.free_fn(p, gan__alloc.user);
}

char *gan__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = gan__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/*
 * Aligned blocks: over-allocate by 64 bytes and keep the offset to the
 * original pointer in the byte before the aligned address.
 */
void *gan__aligned_alloc(size_t size)
{
    unsigned char *raw, *p;
    size_t total;
    if (__builtin_add_overflow(size, (size_t)64, &total))
        return NULL;
    raw = gan__malloc(total);
    if (!raw)
        return NULL;
    p = (unsigned char *)(((uintptr_t)raw + 64) & ~(uintptr_t)63);
    p[-1] = (unsigned char)(p - raw);
    return p;
}

void gan__aligned_free(void *ptr)
{
    unsigned char *p = ptr;
    if (p)
        gan__free(p - p[-1]);
}

void gan_free(void *p)
{
    gan__free(p);
}
