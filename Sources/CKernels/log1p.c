#include "log1p_kernels.h"
#include "elementwise_kernels.h"
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded: the second term restores what
// the rounding of 1 + x lost. log(u) = e ln 2 + log(m), u = m 2^e, m in [sqrt(1/2), sqrt(2)),
// with Cephes' single-precision logf polynomial in f = m - 1 and ln 2 split in two parts.
#define P0  7.0376836292e-2f
#define P1 -1.1514610310e-1f
#define P2  1.1676998740e-1f
#define P3 -1.2420140846e-1f
#define P4  1.4249322787e-1f
#define P5 -1.6668057665e-1f
#define P6  2.0000714765e-1f
#define P7 -2.4999993993e-1f
#define P8  3.3333331174e-1f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f

// Whether log1p(x) is for the polynomial: +0 <= x < inf (NaN, -0, negatives and inf are not).
static inline int ordinary(float x) { return x >= 0.0f && x < INFINITY && !signbit(x); }

static inline float log1p_one(float x) {
    float u = 1.0f + x;
    uint32_t bits;
    memcpy(&bits, &u, 4);
    // u = m 2^e with m in [sqrt(1/2), sqrt(2)): shift the exponent by the mantissa's top half.
    int32_t e = (int32_t)((bits + 0x004afb0du) >> 23) - 127;   // 0x004afb0d = 2^23 (sqrt(2) - 1) rounded
    uint32_t mbits = bits - ((uint32_t)e << 23);
    float m;
    memcpy(&m, &mbits, 4);
    float f = m - 1.0f;
    float z = f * f;
    float y = ((((((((P0 * f + P1) * f + P2) * f + P3) * f + P4) * f + P5) * f + P6) * f + P7) * f + P8) * f * z;
    float fe = (float)e;
    y = y + LN2_LO * fe;
    y = y - 0.5f * z;
    float r = f + y;
    r = r + LN2_HI * fe;
    // The rounding of 1 + x, divided by u (0 when u - 1 is x exactly).
    return r + (x - (u - 1.0f)) / u;
}

static void log1p_portable(float *x, long from, long n) {
    for (long i = from; i < n; i++) x[i] = ordinary(x[i]) ? log1p_one(x[i]) : log1pf(x[i]);
}

#define VECTOR_LOG1P(NAME, TARGET, V, W, LOAD, STORE, SET1, ADD, SUB, MUL, DIV, CASTI, CASTF, ADDI, SUBI, SRLI, SLLI, SET1I, CVT) \
__attribute__((target(TARGET)))                                                                \
static void NAME(float *x, long n) {                                                           \
    long i = 0;                                                                                \
    for (; i + W <= n; i += W) {                                                               \
        int ok = 1;                                                                            \
        for (int j = 0; j < W; j++) ok &= ordinary(x[i + j]);                                  \
        if (!ok) { log1p_portable(x, i, i + W); continue; }                                    \
        V xv = LOAD(x + i);                                                                    \
        V u = ADD(SET1(1.0f), xv);                                                             \
        __typeof__(CASTI(u)) bits = CASTI(u);                                                  \
        __typeof__(bits) e = SUBI(SRLI(ADDI(bits, SET1I(0x004afb0d)), 23), SET1I(127));         \
        V m = CASTF(SUBI(bits, SLLI(e, 23)));                                                  \
        V f = SUB(m, SET1(1.0f));                                                              \
        V z = MUL(f, f);                                                                       \
        V y = ADD(MUL(SET1(P0), f), SET1(P1));                                                 \
        y = ADD(MUL(y, f), SET1(P2)); y = ADD(MUL(y, f), SET1(P3));                            \
        y = ADD(MUL(y, f), SET1(P4)); y = ADD(MUL(y, f), SET1(P5));                            \
        y = ADD(MUL(y, f), SET1(P6)); y = ADD(MUL(y, f), SET1(P7));                            \
        y = ADD(MUL(y, f), SET1(P8));                                                          \
        y = MUL(MUL(y, f), z);                                                                 \
        V fe = CVT(e);                                                                         \
        y = ADD(y, MUL(SET1(LN2_LO), fe));                                                     \
        y = SUB(y, MUL(SET1(0.5f), z));                                                        \
        V r = ADD(f, y);                                                                       \
        r = ADD(r, MUL(SET1(LN2_HI), fe));                                                     \
        r = ADD(r, DIV(SUB(xv, SUB(u, SET1(1.0f))), u));                                       \
        STORE(x + i, r);                                                                       \
    }                                                                                          \
    log1p_portable(x, i, n);                                                                   \
}

VECTOR_LOG1P(log1p_avx2, "avx2", __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps,
             _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_div_ps, _mm256_castps_si256,
             _mm256_castsi256_ps, _mm256_add_epi32, _mm256_sub_epi32, _mm256_srli_epi32,
             _mm256_slli_epi32, _mm256_set1_epi32, _mm256_cvtepi32_ps)

VECTOR_LOG1P(log1p_avx512, "avx512f", __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps,
             _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_div_ps, _mm512_castps_si512,
             _mm512_castsi512_ps, _mm512_add_epi32, _mm512_sub_epi32, _mm512_srli_epi32,
             _mm512_slli_epi32, _mm512_set1_epi32, _mm512_cvtepi32_ps)

void ek_log1p(float *x, long n, int isa) {
    switch (ek_level(isa)) {
    case 2: log1p_avx512(x, n); break;
    case 1: log1p_avx2(x, n); break;
    default: log1p_portable(x, 0, n); break;
    }
}
