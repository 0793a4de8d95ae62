/*
 * rng.c -- the library's random stream: xoshiro256** seeded by splitmix64.
 *
 * Every random draw in libgan (weight init, dropout masks, latent noise,
 * shuffling) comes from a gan__rng owned by a handle, never from global
 * state, so runs are reproducible from their seeds.
 */
#include <math.h>
#include <string.h>

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

/*
 * Jumps.  xoshiro256's state transition T is linear over GF(2), so T^n =
 * q(T) for q(x) = x^n mod p(x), p the characteristic polynomial of T
 * (degree 256).  Applying q to a state is 256 steps, XOR-ing the states
 * where q has a 1 (as the generator's published jump() does).  The table
 * holds q for n = 2^k: p was found by Berlekamp-Massey on the lowest state
 * bit's sequence, and x^(2^k) mod p by repeated squaring; check_reduce
 * compares every jump with the draws it replaces.
 */
static const uint64_t gan__rng_jump_poly[64][4] = {
    {0x0000000000000002ull, 0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {0x0000000000000004ull, 0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {0x0000000000000010ull, 0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {0x0000000000000100ull, 0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {0x0000000000010000ull, 0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {0x0000000100000000ull, 0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {0x0000000000000000ull, 0x0000000000000001ull, 0x0000000000000000ull, 0x0000000000000000ull},
    {0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000001ull, 0x0000000000000000ull},
    {0x9d116f2bb0f0f001ull, 0x0280002bcefd1a5eull, 0x04b4edcf26259f85ull, 0x0003c03c3f3ecb19ull},
    {0xc7327d130e34b489ull, 0x81f675e7a4ef7d84ull, 0x6dd49b656055c9daull, 0xbe7976372e930435ull},
    {0x060106bbbe4ff028ull, 0x1be1d76854ddda93ull, 0x8456faeb6230d984ull, 0x65507439cf43f0e2ull},
    {0x876c2301125a85c0ull, 0x15fe822628b16f04ull, 0x3c8ca36ec9a74fa7ull, 0x51edef31819e01ffull},
    {0xd7f4e8da7e228b85ull, 0xd638d47ec5bcf595ull, 0xaa6eb691cbf9ce10ull, 0x0f41cce3698fad39ull},
    {0x669da12373880674ull, 0xb1df898a4a6f1548ull, 0x32104b94fe2534d3ull, 0xda66e09e52b341d1ull},
    {0x4f20eb915e780231ull, 0x3886af219b885248ull, 0x023ecbee3f717fceull, 0x3cec2c375bef249cull},
    {0x449b3ae793888c8cull, 0xc3ce2f061f077568ull, 0xa69393ac0d837e54ull, 0x1a9dcf944ae47603ull},
    {0x7e89ac5ca2fbf2c7ull, 0x92ae7ca370c0bf6bull, 0xef43beaa06f02fb8ull, 0xd87f8ce230817a21ull},
    {0x6c4adbe18e29df8aull, 0x54adade3697d477full, 0xf0c168649cdba61full, 0xbd53027696368bbbull},
    {0x1a673fecf40e36b8ull, 0xf2c602feb5ed002bull, 0x1ea49b5067452594ull, 0xf78a97c0d882cd37ull},
    {0xef4606da56224c47ull, 0x770323eab8d437bdull, 0x590923d02ec52531ull, 0x1639a36e0968e3c5ull},
    {0x31d9d05c5d95f3cdull, 0x7cde241817a3ce0full, 0x2f679f694a74c76aull, 0x8b3919a9d298a415ull},
    {0x6b6622ae9590047aull, 0xeace6d3840b79fefull, 0xd9b36372fd70ec83ull, 0x624eb7b63c322e71ull},
    {0x1b91fd9ba98d9e23ull, 0xeb2c7e29d3c33d2eull, 0xcebbfd2ef4e9aff4ull, 0x2bac5517c9469796ull},
    {0x01f356e6083fe109ull, 0xba0ffb6562a3a28aull, 0x657a6b736317866bull, 0xfb678bd3e5dac186ull},
    {0xc5461100f197a7e8ull, 0xe46916a1426b676dull, 0xf3469dbb4fe25d26ull, 0xf5c010059e83bc3full},
    {0x22dc028cb8c259dcull, 0x3eec4eb6495ce5aaull, 0x5de3e273dc7b84dcull, 0xe677849e207f6afdull},
    {0x832d418900fd3b0full, 0x114e10c3b7c36788ull, 0xdf2332a778d9c8dcull, 0x0d19a1bdceb7522cull},
    {0xe2d0c9c10e8d7157ull, 0x8b3ed7c37e947e38ull, 0x98273f4d18ad073eull, 0xf38f7e750d5f4f2aull},
    {0xe7109518f3510d70ull, 0x34f30137eadb90b9ull, 0x6d48dd206d56754dull, 0xafa9e3fe5fea15c3ull},
    {0x8ee774f507ec9f39ull, 0xd7c26ebd51ecf6c4ull, 0xc76a456d998ddc4cull, 0x1ca234ff511bcb05ull},
    {0x4905d8261158a7bcull, 0x352f8b5d2137de83ull, 0xe0e9fa345826626dull, 0x3e667662caa54d16ull},
    {0x272a32be4bac7912ull, 0xe1185a166bb38173ull, 0x82b9aa358fe2ed58ull, 0xa43d37468704d536ull},
    {0x58120d583c112f69ull, 0x7d8d0632bd08e6acull, 0x214fafc0fbdbc208ull, 0x0e055d3520fdb9d7ull},
    {0xd9eb3e225a9ebb7dull, 0x5d33a22177777716ull, 0xffed2ffbcf857b42ull, 0xa1b7ebf581a90f09ull},
    {0x3a433a5cff8501f4ull, 0x0c2e65cfa3a44f3bull, 0xa59f09ab33f1c8f4ull, 0x0afe97309a7881b0ull},
    {0x635e9c6882ce5c6aull, 0x53a34398808ef457ull, 0x94295f82142a68bdull, 0xc1cdf918a717c897ull},
    {0x1a2c804af78e2ed4ull, 0x306c4d371040af1eull, 0x63d3f9df102dfa7eull, 0xac7fe0806aecd6c8ull},
    {0x7743a154e17a5e9bull, 0x7823a1cd9453899bull, 0x976589eefbb1c7f5ull, 0x702cf168260fa29eull},
    {0x2edfce1b0667bf3full, 0x68ef5242f2d9c5b2ull, 0x03803bdb9ea7d7e8ull, 0xc4671ec91b902baeull},
    {0x4d2c07a0b0f7980full, 0x0af3e6140fcff185ull, 0xaf03bea7ea7109fdull, 0x755b16e231d1e7c9ull},
    {0xd24b31ab16542ea0ull, 0x13a31dc36460a3b0ull, 0xeece73d85df18361ull, 0x51fc9b8eb1974e73ull},
    {0xec9c79ebd62a4a91ull, 0xa374bf9822d660aaull, 0xde49d57f23fdecb5ull, 0xfb43cf1f4658ae1bull},
    {0x7602414a37bf1c08ull, 0x48b8b0570f008a91ull, 0x3aa3d49368a9c562ull, 0x9b48db8907d00f97ull},
    {0xf7569be74f972355ull, 0x9e11e129fcced20eull, 0xa6994477ec2d6d85ull, 0x8ec1a9dd27957370ull},
    {0xc223943200d6e8a0ull, 0x82f1f8d3ebd9baffull, 0xf6c987b8eb4f76dbull, 0xba8b1a7be4521854ull},
    {0xe226bff99e7f9d4full, 0xf6faaff592dc08c7ull, 0xbad2e3487a438d37ull, 0xa8f7de3ed772d2d2ull},
    {0x6322f95d362137f1ull, 0xb006241469247fbdull, 0x181d6c749bfc7e7bull, 0x3c63f6f95954e65eull},
    {0xaa878816402dab5full, 0x69811136f33b48faull, 0x0df6566ff12f17f4ull, 0x81f450881b843692ull},
    {0xf11fb4faea62c7f1ull, 0xf825539dee5e4763ull, 0x474579292f705634ull, 0x5f728be2c97e9066ull},
    {0xf18ac1f5eac5120eull, 0x36d6c9bc4bcb56f5ull, 0xec104b9942b386beull, 0x5ff98760441a364cull},
    {0x12b825906ddc86afull, 0x168b84ac131ea856ull, 0xd1c440c801f3cddfull, 0xb01e1ff4eb0b05f6ull},
    {0x5696a9ed59ffcbe3ull, 0xb5bb35fe03c3158aull, 0xf1ab1bce1577ad4eull, 0x140bd5e4e00ffdaaull},
    {0x61507225f9f0e0faull, 0x8eadd052a304405full, 0x49c2df736ebe9c68ull, 0x5177664e86d5e31bull},
    {0x87aac36cc0c1abaeull, 0xca120d886e8fdf33ull, 0x5b8d5f58ce3357a7ull, 0xa93a7aadeced9cd7ull},
    {0xd4eb47064a9ac499ull, 0x2b95939579346af1ull, 0xa6f4a2ea423cc2f6ull, 0xd5372758d87157efull},
    {0x549bf83ef12aebc3ull, 0x56df3905d6712eedull, 0xb86994c9cb3059a5ull, 0x7e0b8abe53e950f8ull},
    {0x0b32b0dbe851dd9dull, 0x27cc40c1479b95dfull, 0xc405c1164a3a6d49ull, 0x0888f2c33969763bull},
    {0x920a67ed72aa1155ull, 0x7e5cbd2047cefb5eull, 0x31acd0e23e87d9d3ull, 0xfecb2b39fb96f078ull},
    {0x9841d4c5510c4700ull, 0x97a6c4a0d2cdf9acull, 0x82f88d9e6b9b17c0ull, 0xf643cc9255f06741ull},
    {0x30ac848541c0b04full, 0x55756dedb136961full, 0x65ba2fdf5fe59ed1ull, 0xe8e07ed05188af0full},
    {0xadcede280bb92b99ull, 0x6d885bb5321527a7ull, 0x04ad0ecd62544db2ull, 0x679b88958f3bbdcbull},
    {0x84db0e338a94ce16ull, 0xaaee46b89b106201ull, 0xbbf25302a56d6131ull, 0xd10d621b74213644ull},
    {0xed3c94e03147ca9bull, 0x31fbe8b0a2035587ull, 0x5083dee093b632b7ull, 0x6ff477672ddf72b1ull},
    {0x936ece877e64cc97ull, 0x22a36cdc0fda409full, 0xbae4d9a25a3928b9ull, 0xa9559a2368719526ull},
};

static void gan__rng_jump_by(gan__rng *r, const uint64_t q[4])
{
    uint64_t acc[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 64; b++) {
            if (q[i] >> b & 1) {
                acc[0] ^= r->s[0];
                acc[1] ^= r->s[1];
                acc[2] ^= r->s[2];
                acc[3] ^= r->s[3];
            }
            gan__rng_next(r);
        }
    memcpy(r->s, acc, sizeof acc);
}

void gan__rng_advance(gan__rng *r, uint64_t n)
{
    for (int k = 0; k < 64; k++) {
        if (!(n >> k & 1))
            continue;
        if (k < 8) {            /* up to 128 draws: cheaper than a jump */
            for (uint64_t i = 0; i < (uint64_t)1 << k; i++)
                gan__rng_next(r);
        } else {
            gan__rng_jump_by(r, gan__rng_jump_poly[k]);
        }
    }
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
    /* ceil(n / 2) pairs: all but the last as two raw draws each (jumped
       over); the last one computed, because gan__rng_normal leaves its second value in
       `spare` (live when n is odd, stale otherwise, and saved either way). */
    pairs = n / 2 + n % 2;
    gan__rng_advance(r, 2 * (uint64_t)(pairs - 1));
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
