/* SHA-256 (FIPS 180-4), small and self-contained: brig hashes every blob and
 * every uncompressed layer it takes in, so the hash is on the load's hot
 * path.  Where the CPU has the SHA extensions (x86 SHA-NI) the block
 * function uses them (about 4x the portable code); the portable code is the
 * reference the unit test holds both to. */
#include <string.h>

#include "image/image_internal.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    while (nblocks--) {
        uint32_t w[64], a, b, c, d, e, f, g, h;
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                   (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 =
                h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
            uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        st[0] += a, st[1] += b, st[2] += c, st[3] += d;
        st[4] += e, st[5] += f, st[6] += g, st[7] += h;
        p += 64;
    }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/* The SHA-NI block function, after Intel's reference (sha256_ni_x1). */
__attribute__((target("sha,sse4.1"))) static void sha256_blocks_ni(uint32_t st[8], const uint8_t *p,
                                                                   size_t nblocks)
{
    const __m128i shuf = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&st[0]); /* DCBA */
    __m128i st1 = _mm_loadu_si128((const __m128i *)&st[4]); /* HGFE */
    tmp = _mm_shuffle_epi32(tmp, 0xB1);                     /* CDAB */
    st1 = _mm_shuffle_epi32(st1, 0x1B);                     /* EFGH */
    __m128i st0 = _mm_alignr_epi8(tmp, st1, 8);             /* ABEF */
    st1 = _mm_blend_epi16(st1, tmp, 0xF0);                  /* CDGH */

    while (nblocks--) {
        __m128i abef = st0, cdgh = st1, msg, m0, m1, m2, m3, t;
        m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), shuf);
        m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), shuf);
        m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), shuf);
        m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), shuf);

#define RND2(m, k)                                                                                 \
    do {                                                                                           \
        msg = _mm_add_epi32((m), _mm_loadu_si128((const __m128i *)&K[k]));                         \
        st1 = _mm_sha256rnds2_epu32(st1, st0, msg);                                                \
        msg = _mm_shuffle_epi32(msg, 0x0E);                                                        \
        st0 = _mm_sha256rnds2_epu32(st0, st1, msg);                                                \
    } while (0)
/* four rounds on a, then schedule: a = next message words from a..d */
#define SCHED(a, b, c, d)                                                                          \
    do {                                                                                           \
        t = _mm_alignr_epi8((d), (c), 4);                                                          \
        (a) = _mm_add_epi32(_mm_sha256msg1_epu32((a), (b)), t);                                    \
        (a) = _mm_sha256msg2_epu32((a), (d));                                                      \
    } while (0)

        RND2(m0, 0);
        RND2(m1, 4);
        RND2(m2, 8);
        RND2(m3, 12);
        for (int k = 16; k < 64; k += 16) {
            SCHED(m0, m1, m2, m3);
            RND2(m0, k);
            SCHED(m1, m2, m3, m0);
            RND2(m1, k + 4);
            SCHED(m2, m3, m0, m1);
            RND2(m2, k + 8);
            SCHED(m3, m0, m1, m2);
            RND2(m3, k + 12);
        }
#undef RND2
#undef SCHED
        st0 = _mm_add_epi32(st0, abef);
        st1 = _mm_add_epi32(st1, cdgh);
        p += 64;
    }
    tmp = _mm_shuffle_epi32(st0, 0x1B);    /* FEBA */
    st1 = _mm_shuffle_epi32(st1, 0xB1);    /* DCHG */
    st0 = _mm_blend_epi16(tmp, st1, 0xF0); /* DCBA */
    st1 = _mm_alignr_epi8(st1, tmp, 8);    /* HGFE */
    _mm_storeu_si128((__m128i *)&st[0], st0);
    _mm_storeu_si128((__m128i *)&st[4], st1);
}
#endif

typedef void (*blocks_fn)(uint32_t st[8], const uint8_t *p, size_t nblocks);

static blocks_fn sha256_pick(void)
{
    static blocks_fn fn;
    if (fn == NULL) {
        fn = sha256_blocks_portable;
#if defined(__x86_64__)
        unsigned a, b, c, d;
        /* leaf 7 EBX bit 29: SHA; leaf 1 ECX bits 9, 19: SSSE3, SSE4.1 */
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) &&
            __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) && (c & (1u << 19)))
            fn = sha256_blocks_ni;
#endif
    }
    return fn;
}

void image_sha256_init(struct image_sha256 *h)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(h->st, iv, sizeof(iv));
    h->len = 0;
    h->fill = 0;
    h->portable = false;
}

void image_sha256_update(struct image_sha256 *h, const void *data, size_t len)
{
    blocks_fn fn = h->portable ? sha256_blocks_portable : sha256_pick();
    const uint8_t *p = data;
    if (len == 0)
        return; /* data may be NULL then (an empty read) */
    h->len += len;
    if (h->fill > 0) {
        size_t n = 64 - h->fill < len ? 64 - h->fill : len;
        memcpy(h->buf + h->fill, p, n);
        h->fill += n, p += n, len -= n;
        if (h->fill < 64)
            return;
        fn(h->st, h->buf, 1);
        h->fill = 0;
    }
    if (len >= 64) {
        fn(h->st, p, len / 64);
        p += len & ~(size_t)63;
        len &= 63;
    }
    memcpy(h->buf, p, len);
    h->fill = len;
}

void image_sha256_final(struct image_sha256 *h, char hex[IMAGE_HEX_LEN + 1])
{
    static const uint8_t pad[64] = {0x80};
    uint64_t bits = h->len * 8;
    uint8_t lenbe[8];
    for (int i = 0; i < 8; i++)
        lenbe[i] = (uint8_t)(bits >> (56 - 8 * i));
    image_sha256_update(h, pad, h->fill < 56 ? 56 - h->fill : 120 - h->fill);
    image_sha256_update(h, lenbe, 8);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 8 * i, 9, "%08x", h->st[i]);
}

void image_sha256_hex(const void *data, size_t len, char hex[IMAGE_HEX_LEN + 1])
{
    struct image_sha256 h;
    image_sha256_init(&h);
    image_sha256_update(&h, data, len);
    image_sha256_final(&h, hex);
}

bool image_is_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

const char *image_digest_hex(const char *digest)
{
    if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || !image_is_hex(digest + 7, 64))
        return NULL;
    return digest + 7;
}
