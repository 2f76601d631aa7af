#include "winograd_kernels.h"
#include <immintrin.h>

int wg_has_avx2(void) { return __builtin_cpu_supports("avx2") ? 1 : 0; }

// ---- Portable versions (the compiler vectorizes what it can for baseline x86-64).

static void input_portable(const float *p, long stride, float *v, long step, long tiles) {
    for (long t = 0; t < tiles; t++) {
        const float *q = p + 2 * t;
        float a0 = q[0], a1 = q[1], a2 = q[2];
        float b0 = q[stride], b1 = q[stride + 1], b2 = q[stride + 2];
        float c0 = q[2 * stride], c1 = q[2 * stride + 1], c2 = q[2 * stride + 2];
        float t00 = a0 - b0, t01 = a1 - b1, t02 = a2 - b2, t20 = c0 - b0, t21 = c1 - b1, t22 = c2 - b2;
        v[t] = t00 - t01; v[step + t] = t01; v[2 * step + t] = t02 - t01;
        v[3 * step + t] = b0 - b1; v[4 * step + t] = b1; v[5 * step + t] = b2 - b1;
        v[6 * step + t] = t20 - t21; v[7 * step + t] = t21; v[8 * step + t] = t22 - t21;
    }
}

#define OUTPUT_SCALAR(t)                                                                   \
    float r00 = m[t] + m[3 * plane + t], r01 = m[plane + t] + m[4 * plane + t];            \
    float r02 = m[2 * plane + t] + m[5 * plane + t];                                       \
    float r10 = m[3 * plane + t] + m[6 * plane + t], r11 = m[4 * plane + t] + m[7 * plane + t]; \
    float r12 = m[5 * plane + t] + m[8 * plane + t];                                       \
    float z0 = r00 + r01 + bias, z1 = r01 + r02 + bias, z2 = r10 + r11 + bias, z3 = r11 + r12 + bias;

static void output_rows_portable(const float *m, long plane, long tiles, float bias, float *y0, float *y1) {
    for (long t = 0; t < tiles; t++) {
        OUTPUT_SCALAR(t)
        y0[2 * t] = z0; y0[2 * t + 1] = z1; y1[2 * t] = z2; y1[2 * t + 1] = z3;
    }
}

static void output_phase_portable(const float *m, long plane, long tiles, float bias, float *x0, float *x1) {
    for (long t = 0; t < tiles; t++) {
        OUTPUT_SCALAR(t)
        x0[4 * t] = z0; x0[4 * t + 2] = z1; x1[4 * t] = z2; x1[4 * t + 2] = z3;
    }
}

static void filter_portable(const float *d0, const float *d1, float *f, long step, long tiles) {
    for (long t = 0; t < tiles; t++) {
        float g00 = d0[2 * t], g01 = d0[2 * t + 1], g10 = d1[2 * t], g11 = d1[2 * t + 1];
        float s0 = g00 + g10, s1 = g01 + g11;
        f[t] = g00; f[step + t] = g00 + g01; f[2 * step + t] = g01;
        f[3 * step + t] = s0; f[4 * step + t] = s0 + s1; f[5 * step + t] = s1;
        f[6 * step + t] = g10; f[7 * step + t] = g10 + g11; f[8 * step + t] = g11;
    }
}

static void split_portable(const float *src, long width, float *odd, float *even) {
    long half = width / 2;
    odd[0] = 0;
    for (long q = 0; q < half; q++) { even[q] = src[2 * q]; odd[q + 1] = src[2 * q + 1]; }
    even[half] = 0;
}

// ---- AVX2 versions: 8 tiles per step, the same operations in the same order (same bits).

#define AVX2 __attribute__((target("avx2")))

// Even and odd elements of the 16 floats at q.
AVX2 static inline void deinterleave(const float *q, __m256 *even, __m256 *odd) {
    __m256 a = _mm256_loadu_ps(q), b = _mm256_loadu_ps(q + 8);
    __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Interleave: (a0 b0 a1 b1 ...) into lo (first 8) and hi (next 8).
AVX2 static inline void interleave(__m256 a, __m256 b, __m256 *lo, __m256 *hi) {
    __m256 l = _mm256_unpacklo_ps(a, b), h = _mm256_unpackhi_ps(a, b);   // per 128-bit lane
    *lo = _mm256_permute2f128_ps(l, h, 0x20);
    *hi = _mm256_permute2f128_ps(l, h, 0x31);
}

AVX2 static void input_avx2(const float *p, long stride, float *v, long step, long tiles) {
    long t = 0;
    for (; t + 8 <= tiles; t += 8) {
        const float *q = p + 2 * t;
        __m256 a0, a1, a2, b0, b1, b2, c0, c1, c2, junk;
        deinterleave(q, &a0, &a1); deinterleave(q + 2, &a2, &junk);
        deinterleave(q + stride, &b0, &b1); deinterleave(q + stride + 2, &b2, &junk);
        deinterleave(q + 2 * stride, &c0, &c1); deinterleave(q + 2 * stride + 2, &c2, &junk);
        __m256 t00 = _mm256_sub_ps(a0, b0), t01 = _mm256_sub_ps(a1, b1), t02 = _mm256_sub_ps(a2, b2);
        __m256 t20 = _mm256_sub_ps(c0, b0), t21 = _mm256_sub_ps(c1, b1), t22 = _mm256_sub_ps(c2, b2);
        float *w = v + t;
        _mm256_storeu_ps(w, _mm256_sub_ps(t00, t01)); _mm256_storeu_ps(w + step, t01);
        _mm256_storeu_ps(w + 2 * step, _mm256_sub_ps(t02, t01));
        _mm256_storeu_ps(w + 3 * step, _mm256_sub_ps(b0, b1)); _mm256_storeu_ps(w + 4 * step, b1);
        _mm256_storeu_ps(w + 5 * step, _mm256_sub_ps(b2, b1));
        _mm256_storeu_ps(w + 6 * step, _mm256_sub_ps(t20, t21)); _mm256_storeu_ps(w + 7 * step, t21);
        _mm256_storeu_ps(w + 8 * step, _mm256_sub_ps(t22, t21));
    }
    input_portable(p + 2 * t, stride, v + t, step, tiles - t);
}

#define OUTPUT_AVX2(t)                                                                          \
    const float *mm = m + t;                                                                    \
    __m256 m0 = _mm256_loadu_ps(mm), m1 = _mm256_loadu_ps(mm + plane), m2 = _mm256_loadu_ps(mm + 2 * plane); \
    __m256 m3 = _mm256_loadu_ps(mm + 3 * plane), m4 = _mm256_loadu_ps(mm + 4 * plane);          \
    __m256 m5 = _mm256_loadu_ps(mm + 5 * plane), m6 = _mm256_loadu_ps(mm + 6 * plane);          \
    __m256 m7 = _mm256_loadu_ps(mm + 7 * plane), m8 = _mm256_loadu_ps(mm + 8 * plane);          \
    __m256 r00 = _mm256_add_ps(m0, m3), r01 = _mm256_add_ps(m1, m4), r02 = _mm256_add_ps(m2, m5); \
    __m256 r10 = _mm256_add_ps(m3, m6), r11 = _mm256_add_ps(m4, m7), r12 = _mm256_add_ps(m5, m8); \
    __m256 bb = _mm256_set1_ps(bias);                                                          \
    __m256 z0 = _mm256_add_ps(_mm256_add_ps(r00, r01), bb), z1 = _mm256_add_ps(_mm256_add_ps(r01, r02), bb); \
    __m256 z2 = _mm256_add_ps(_mm256_add_ps(r10, r11), bb), z3 = _mm256_add_ps(_mm256_add_ps(r11, r12), bb);

AVX2 static void output_rows_avx2(const float *m, long plane, long tiles, float bias, float *y0, float *y1) {
    long t = 0;
    for (; t + 8 <= tiles; t += 8) {
        OUTPUT_AVX2(t)
        __m256 lo, hi;
        interleave(z0, z1, &lo, &hi); _mm256_storeu_ps(y0 + 2 * t, lo); _mm256_storeu_ps(y0 + 2 * t + 8, hi);
        interleave(z2, z3, &lo, &hi); _mm256_storeu_ps(y1 + 2 * t, lo); _mm256_storeu_ps(y1 + 2 * t + 8, hi);
    }
    output_rows_portable(m + t, plane, tiles - t, bias, y0 + 2 * t, y1 + 2 * t);
}

AVX2 static void output_phase_avx2(const float *m, long plane, long tiles, float bias, float *x0, float *x1) {
    long t = 0;
    for (; t + 8 <= tiles; t += 8) {
        OUTPUT_AVX2(t)
        // Stride-2 stores: the other phase fills the gaps, so no vector store may cover them.
        float a[8], b[8], c[8], d[8];
        _mm256_storeu_ps(a, z0); _mm256_storeu_ps(b, z1); _mm256_storeu_ps(c, z2); _mm256_storeu_ps(d, z3);
        for (int l = 0; l < 8; l++) {
            x0[4 * (t + l)] = a[l]; x0[4 * (t + l) + 2] = b[l];
            x1[4 * (t + l)] = c[l]; x1[4 * (t + l) + 2] = d[l];
        }
    }
    output_phase_portable(m + t, plane, tiles - t, bias, x0 + 4 * t, x1 + 4 * t);
}

AVX2 static void filter_avx2(const float *d0, const float *d1, float *f, long step, long tiles) {
    long t = 0;
    for (; t + 8 <= tiles; t += 8) {
        __m256 g00, g01, g10, g11;
        deinterleave(d0 + 2 * t, &g00, &g01); deinterleave(d1 + 2 * t, &g10, &g11);
        __m256 s0 = _mm256_add_ps(g00, g10), s1 = _mm256_add_ps(g01, g11);
        float *w = f + t;
        _mm256_storeu_ps(w, g00); _mm256_storeu_ps(w + step, _mm256_add_ps(g00, g01)); _mm256_storeu_ps(w + 2 * step, g01);
        _mm256_storeu_ps(w + 3 * step, s0); _mm256_storeu_ps(w + 4 * step, _mm256_add_ps(s0, s1)); _mm256_storeu_ps(w + 5 * step, s1);
        _mm256_storeu_ps(w + 6 * step, g10); _mm256_storeu_ps(w + 7 * step, _mm256_add_ps(g10, g11)); _mm256_storeu_ps(w + 8 * step, g11);
    }
    filter_portable(d0 + 2 * t, d1 + 2 * t, f + t, step, tiles - t);
}

AVX2 static void split_avx2(const float *src, long width, float *odd, float *even) {
    long half = width / 2, q = 0;
    odd[0] = 0;
    for (; q + 8 <= half; q += 8) {
        __m256 e, o;
        deinterleave(src + 2 * q, &e, &o);
        _mm256_storeu_ps(even + q, e);
        _mm256_storeu_ps(odd + q + 1, o);
    }
    for (; q < half; q++) { even[q] = src[2 * q]; odd[q + 1] = src[2 * q + 1]; }
    even[half] = 0;
}

// ---- AVX-512 versions: 16 tiles per step, the same operations in the same order (same bits);
// the last tiles go to the AVX2 versions above.

#define AVX512 __attribute__((target("avx512f")))

static const int evenIndex[16] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
static const int oddIndex[16] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
static const int lowPairs[16] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
static const int highPairs[16] = {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};

// Even and odd elements of the 32 floats at q.
AVX512 static inline void deinterleave16(const float *q, __m512 *even, __m512 *odd) {
    __m512 a = _mm512_loadu_ps(q), b = _mm512_loadu_ps(q + 16);
    *even = _mm512_permutex2var_ps(a, _mm512_loadu_si512(evenIndex), b);
    *odd = _mm512_permutex2var_ps(a, _mm512_loadu_si512(oddIndex), b);
}

// Even and odd elements of the first `count` of the 32 floats at q (zeros past them): masked
// loads read nothing beyond, so a row's last tiles never read past the buffer.
AVX512 static inline void deinterleave16_first(const float *q, long count, __m512 *even, __m512 *odd) {
    __mmask16 ma = (__mmask16)(count >= 16 ? 0xFFFF : (1u << count) - 1);
    __mmask16 mb = (__mmask16)(count >= 32 ? 0xFFFF : count > 16 ? (1u << (count - 16)) - 1 : 0);
    __m512 a = _mm512_maskz_loadu_ps(ma, q), b = _mm512_maskz_loadu_ps(mb, q + 16);
    *even = _mm512_permutex2var_ps(a, _mm512_loadu_si512(evenIndex), b);
    *odd = _mm512_permutex2var_ps(a, _mm512_loadu_si512(oddIndex), b);
}

// r <= 16 tiles at q: a full step, or a row's last r < 16 tiles with masks (loads read only the
// 2r floats of each row those tiles use from q and from q + 2, stores write only r lanes). Rows
// of 6-12 tiles (a 192-frame window's deeper layers) ran through the AVX2 and portable loops,
// 11% of a step there.
AVX512 static inline __attribute__((always_inline))
void input_step_avx512(const float *q, long stride, float *w, long step, long r) {
    __mmask16 m = (__mmask16)((1u << r) - 1);
    long n = 2 * r;
    __m512 a0, a1, a2, b0, b1, b2, c0, c1, c2, junk;
    deinterleave16_first(q, n, &a0, &a1); deinterleave16_first(q + 2, n, &a2, &junk);
    deinterleave16_first(q + stride, n, &b0, &b1); deinterleave16_first(q + stride + 2, n, &b2, &junk);
    deinterleave16_first(q + 2 * stride, n, &c0, &c1); deinterleave16_first(q + 2 * stride + 2, n, &c2, &junk);
    __m512 t00 = _mm512_sub_ps(a0, b0), t01 = _mm512_sub_ps(a1, b1), t02 = _mm512_sub_ps(a2, b2);
    __m512 t20 = _mm512_sub_ps(c0, b0), t21 = _mm512_sub_ps(c1, b1), t22 = _mm512_sub_ps(c2, b2);
    _mm512_mask_storeu_ps(w, m, _mm512_sub_ps(t00, t01)); _mm512_mask_storeu_ps(w + step, m, t01);
    _mm512_mask_storeu_ps(w + 2 * step, m, _mm512_sub_ps(t02, t01));
    _mm512_mask_storeu_ps(w + 3 * step, m, _mm512_sub_ps(b0, b1)); _mm512_mask_storeu_ps(w + 4 * step, m, b1);
    _mm512_mask_storeu_ps(w + 5 * step, m, _mm512_sub_ps(b2, b1));
    _mm512_mask_storeu_ps(w + 6 * step, m, _mm512_sub_ps(t20, t21)); _mm512_mask_storeu_ps(w + 7 * step, m, t21);
    _mm512_mask_storeu_ps(w + 8 * step, m, _mm512_sub_ps(t22, t21));
}

AVX512 static void input_avx512(const float *p, long stride, float *v, long step, long tiles) {
    long t = 0;
    for (; t + 16 <= tiles; t += 16) input_step_avx512(p + 2 * t, stride, v + t, step, 16);
    if (t < tiles) input_step_avx512(p + 2 * t, stride, v + t, step, tiles - t);
}

#define OUTPUT_AVX512(t)                                                                        \
    const float *mm = m + t;                                                                    \
    __m512 m0 = _mm512_loadu_ps(mm), m1 = _mm512_loadu_ps(mm + plane), m2 = _mm512_loadu_ps(mm + 2 * plane); \
    __m512 m3 = _mm512_loadu_ps(mm + 3 * plane), m4 = _mm512_loadu_ps(mm + 4 * plane);          \
    __m512 m5 = _mm512_loadu_ps(mm + 5 * plane), m6 = _mm512_loadu_ps(mm + 6 * plane);          \
    __m512 m7 = _mm512_loadu_ps(mm + 7 * plane), m8 = _mm512_loadu_ps(mm + 8 * plane);          \
    __m512 r00 = _mm512_add_ps(m0, m3), r01 = _mm512_add_ps(m1, m4), r02 = _mm512_add_ps(m2, m5); \
    __m512 r10 = _mm512_add_ps(m3, m6), r11 = _mm512_add_ps(m4, m7), r12 = _mm512_add_ps(m5, m8); \
    __m512 bb = _mm512_set1_ps(bias);                                                          \
    __m512 z0 = _mm512_add_ps(_mm512_add_ps(r00, r01), bb), z1 = _mm512_add_ps(_mm512_add_ps(r01, r02), bb); \
    __m512 z2 = _mm512_add_ps(_mm512_add_ps(r10, r11), bb), z3 = _mm512_add_ps(_mm512_add_ps(r11, r12), bb);

// (a0 b0 a1 b1 ...) of 16 + 16 floats stored at dst.
AVX512 static inline void store_pairs(float *dst, __m512 a, __m512 b) {
    _mm512_storeu_ps(dst, _mm512_permutex2var_ps(a, _mm512_loadu_si512(lowPairs), b));
    _mm512_storeu_ps(dst + 16, _mm512_permutex2var_ps(a, _mm512_loadu_si512(highPairs), b));
}

// a[t] to dst[4t], b[t] to dst[4t + 2], t < 16: masked stores leave the other phase's cells alone.
AVX512 static inline void store_phase(float *dst, __m512 a, __m512 b) {
    for (int k = 0; k < 4; k++) {
        // Lane j of store k holds tile 4k + j/4: a's at j % 4 == 0, b's at j % 4 == 2.
        __m512i idx = _mm512_setr_epi32(4 * k, 0, 16 + 4 * k, 0, 4 * k + 1, 0, 17 + 4 * k, 0,
                                        4 * k + 2, 0, 18 + 4 * k, 0, 4 * k + 3, 0, 19 + 4 * k, 0);
        _mm512_mask_storeu_ps(dst + 16 * k, 0x5555, _mm512_permutex2var_ps(a, idx, b));
    }
}

AVX512 static void output_rows_avx512(const float *m, long plane, long tiles, float bias, float *y0, float *y1) {
    long t = 0;
    for (; t + 16 <= tiles; t += 16) {
        OUTPUT_AVX512(t)
        store_pairs(y0 + 2 * t, z0, z1);
        store_pairs(y1 + 2 * t, z2, z3);
    }
    output_rows_avx2(m + t, plane, tiles - t, bias, y0 + 2 * t, y1 + 2 * t);
}

AVX512 static void output_phase_avx512(const float *m, long plane, long tiles, float bias, float *x0, float *x1) {
    long t = 0;
    for (; t + 16 <= tiles; t += 16) {
        OUTPUT_AVX512(t)
        store_phase(x0 + 4 * t, z0, z1);
        store_phase(x1 + 4 * t, z2, z3);
    }
    output_phase_avx2(m + t, plane, tiles - t, bias, x0 + 4 * t, x1 + 4 * t);
}

AVX512 static void filter_avx512(const float *d0, const float *d1, float *f, long step, long tiles) {
    long t = 0;
    for (; t + 16 <= tiles; t += 16) {
        __m512 g00, g01, g10, g11;
        deinterleave16(d0 + 2 * t, &g00, &g01); deinterleave16(d1 + 2 * t, &g10, &g11);
        __m512 s0 = _mm512_add_ps(g00, g10), s1 = _mm512_add_ps(g01, g11);
        float *w = f + t;
        _mm512_storeu_ps(w, g00); _mm512_storeu_ps(w + step, _mm512_add_ps(g00, g01)); _mm512_storeu_ps(w + 2 * step, g01);
        _mm512_storeu_ps(w + 3 * step, s0); _mm512_storeu_ps(w + 4 * step, _mm512_add_ps(s0, s1)); _mm512_storeu_ps(w + 5 * step, s1);
        _mm512_storeu_ps(w + 6 * step, g10); _mm512_storeu_ps(w + 7 * step, _mm512_add_ps(g10, g11)); _mm512_storeu_ps(w + 8 * step, g11);
    }
    filter_avx2(d0 + 2 * t, d1 + 2 * t, f + t, step, tiles - t);
}

AVX512 static void split_avx512(const float *src, long width, float *odd, float *even) {
    long half = width / 2, q = 0;
    odd[0] = 0;
    for (; q + 16 <= half; q += 16) {
        __m512 e, o;
        deinterleave16(src + 2 * q, &e, &o);
        _mm512_storeu_ps(even + q, e);
        _mm512_storeu_ps(odd + q + 1, o);
    }
    // The rest as split_avx2 does it (odd[0] and even[half] are set again, to the same zeros).
    split_avx2(src + 2 * q, width - 2 * q, odd + q, even + q);
    odd[q] = q == 0 ? 0 : src[2 * q - 1];
}

// ---- Entry points.

// The path for `isa` (2 AVX-512, 1 AVX2, 0 portable), capped by what this CPU has.
static int level(int isa) {
    if (isa >= 2 && __builtin_cpu_supports("avx512f")) return 2;
    return isa >= 1 && wg_has_avx2() ? 1 : 0;
}

#define DISPATCH(isa, name, ...)                                      \
    switch (level(isa)) {                                             \
    case 2: name##_avx512(__VA_ARGS__); break;                        \
    case 1: name##_avx2(__VA_ARGS__); break;                          \
    default: name##_portable(__VA_ARGS__); break;                     \
    }

void wg_input_transform(const float *p, long stride, float *v, long step, long tiles, int isa) {
    DISPATCH(isa, input, p, stride, v, step, tiles)
}

void wg_output_rows(const float *m, long plane, long tiles, float bias, float *y0, float *y1, int isa) {
    DISPATCH(isa, output_rows, m, plane, tiles, bias, y0, y1)
}

void wg_output_phase(const float *m, long plane, long tiles, float bias, float *x0, float *x1, int isa) {
    DISPATCH(isa, output_phase, m, plane, tiles, bias, x0, x1)
}

void wg_filter_rows(const float *d0, const float *d1, float *dst, long step, long tiles, int isa) {
    DISPATCH(isa, filter, d0, d1, dst, step, tiles)
}

void wg_split_row(const float *src, long width, float *odd, float *even, int isa) {
    DISPATCH(isa, split, src, width, odd, even)
}
