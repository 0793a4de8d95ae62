/*
 * rng.c -- the library's random stream: xoshiro256** seeded by splitmix64.
 *
 * Every random draw in libgan (weight init, dropout masks, latent noise,
 * shuffling) comes from a gan__rng owned by a handle, never from global
 * state, so runs are reproducible from their seeds.
 */
#include <math.h>

#include "core/core.h"

uint64_t gan__splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void gan__rng_seed(gan__rng *r, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = gan__splitmix64(&sm);
    r->has_spare = 0;
    r->spare = 0.0f;
}

static inline uint64_t gan__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gan__rng_next(gan__rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = gan__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gan__rotl(s[3], 45);
    return result;
}

uint32_t gan__rng_u32(gan__rng *r)
{
    return (uint32_t)(gan__rng_next(r) >> 32);
}

float gan__rng_uniform(gan__rng *r)
{
    /* 24 random bits: every value is exactly representable in [0, 1). */
    return (float)(gan__rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Box-Muller on (0, 1] x [0, 1), computed in double for accuracy. */
static void gan__normal_pair(gan__rng *r, float *a, float *b)
{
    double u1 = ((double)(gan__rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(gan__rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586 * u2;
    *a = (float)(rad * cos(th));
    *b = (float)(rad * sin(th));
}

float gan__rng_normal(gan__rng *r)
{
    float a, b;
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    gan__normal_pair(r, &a, &b);
    r->spare = b;
    r->has_spare = 1;
    return a;
}

void gan__rng_fill_normal(gan__rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = gan__rng_normal(r);
}

void gan__rng_skip_normal(gan__rng *r, size_t n)
{
    float a, b;
    size_t pairs;
    if (n && r->has_spare) {
        r->has_spare = 0;
        n--;
    }
    if (n == 0)
        return;
    /* ceil(n / 2) pairs: all but the last as two raw draws each; the last
       one computed, because gan__rng_normal leaves its second value in
       `spare` (live when n is odd, stale otherwise, and saved either way). */
    pairs = n / 2 + n % 2;
    for (size_t i = 0; i + 1 < pairs; i++) {
        gan__rng_next(r);
        gan__rng_next(r);
    }
    gan__normal_pair(r, &a, &b);
    r->spare = b;
    r->has_spare = (int)(n % 2);
}

void gan__glorot_uniform(gan__rng *r, float *w, size_t n, size_t fan_in, size_t fan_out)
{
    float limit = (float)sqrt(6.0 / (double)(fan_in + fan_out));
    for (size_t i = 0; i < n; i++)
        w[i] = (2.0f * gan__rng_uniform(r) - 1.0f) * limit;
}

/* Uniform integer in [0, bound), bound >= 1, without modulo bias
   (rejection of the lowest 2^64 mod bound values). */
size_t gan__rng_below(gan__rng *r, size_t bound)
{
    uint64_t b = (uint64_t)bound, threshold = (0 - b) % b, v;
    do
        v = gan__rng_next(r);
    while (v < threshold);
    return (size_t)(v % b);
}
