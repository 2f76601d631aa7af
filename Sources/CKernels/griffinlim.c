#include "griffinlim_kernels.h"
#include "elementwise_kernels.h"
#include <immintrin.h>
#include <math.h>

// As in elementwise.c: no a * b + c may become one FMA, or the paths would differ in bits.
#pragma clang fp contract(off)

// ---- Portable versions: the reference (the same arithmetic as Synthesizer.momentumStep).

static void window_portable(const float *src, const float *w, float *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = src[i] * w[i];
}

static void overlap_add_portable(float *dst, const float *frame, const float *w, long n) {
    for (long i = 0; i < n; i++) dst[i] += frame[i] * w[i];
}

static void momentum_portable(float *s, float *p, const float *mag, long from, long bins, float alpha) {
    for (long k = from; k < bins; k++) {
        float re = s[2 * k], im = s[2 * k + 1];
        float ar = re - alpha * p[2 * k], ai = im - alpha * p[2 * k + 1];
        p[2 * k] = re;
        p[2 * k + 1] = im;
        float scale = mag[k] / (sqrtf(ar * ar + ai * ai) + 1e-16f);
        s[2 * k] = ar * scale;
        s[2 * k + 1] = ai * scale;
    }
}

// ---- AVX2: 8 floats (4 complex) per register.

__attribute__((target("avx2")))
static void window_avx2(const float *src, const float *w, float *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_loadu_ps(src + i), _mm256_loadu_ps(w + i)));
    for (; i < n; i++) dst[i] = src[i] * w[i];
}

__attribute__((target("avx2")))
static void overlap_add_avx2(float *dst, const float *frame, const float *w, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(frame + i), _mm256_loadu_ps(w + i));
        _mm256_storeu_ps(dst + i, _mm256_add_ps(_mm256_loadu_ps(dst + i), v));
    }
    for (; i < n; i++) dst[i] += frame[i] * w[i];
}

// 8 complex per step: the two registers' real parts and imaginary parts are gathered by one
// shuffle each (bins 0,1,4,5 | 2,3,6,7), the magnitudes permuted to match, and unpacking puts
// the results back in place.
__attribute__((target("avx2")))
static void momentum_avx2(float *s, float *p, const float *mag, long bins, float alpha) {
    const __m256 va = _mm256_set1_ps(alpha), eps = _mm256_set1_ps(1e-16f);
    const __m256i order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    long k = 0;
    for (; k + 8 <= bins; k += 8) {
        __m256 r0 = _mm256_loadu_ps(s + 2 * k), r1 = _mm256_loadu_ps(s + 2 * k + 8);
        __m256 b0 = _mm256_loadu_ps(p + 2 * k), b1 = _mm256_loadu_ps(p + 2 * k + 8);
        _mm256_storeu_ps(p + 2 * k, r0);
        _mm256_storeu_ps(p + 2 * k + 8, r1);
        __m256 x0 = _mm256_sub_ps(r0, _mm256_mul_ps(va, b0)), x1 = _mm256_sub_ps(r1, _mm256_mul_ps(va, b1));
        __m256 re = _mm256_shuffle_ps(x0, x1, 0x88), im = _mm256_shuffle_ps(x0, x1, 0xDD);
        __m256 m = _mm256_permutevar8x32_ps(_mm256_loadu_ps(mag + k), order);
        __m256 norm = _mm256_add_ps(_mm256_sqrt_ps(_mm256_add_ps(_mm256_mul_ps(re, re), _mm256_mul_ps(im, im))), eps);
        __m256 scale = _mm256_div_ps(m, norm);
        __m256 ur = _mm256_mul_ps(re, scale), ui = _mm256_mul_ps(im, scale);
        _mm256_storeu_ps(s + 2 * k, _mm256_unpacklo_ps(ur, ui));
        _mm256_storeu_ps(s + 2 * k + 8, _mm256_unpackhi_ps(ur, ui));
    }
    momentum_portable(s, p, mag, k, bins, alpha);
}

// ---- AVX-512: 16 floats (8 complex) per register.

__attribute__((target("avx512f")))
static void window_avx512(const float *src, const float *w, float *dst, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_mul_ps(_mm512_loadu_ps(src + i), _mm512_loadu_ps(w + i)));
    for (; i < n; i++) dst[i] = src[i] * w[i];
}

__attribute__((target("avx512f")))
static void overlap_add_avx512(float *dst, const float *frame, const float *w, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_mul_ps(_mm512_loadu_ps(frame + i), _mm512_loadu_ps(w + i));
        _mm512_storeu_ps(dst + i, _mm512_add_ps(_mm512_loadu_ps(dst + i), v));
    }
    for (; i < n; i++) dst[i] += frame[i] * w[i];
}

// 16 complex per step, as the AVX2 version per 128-bit lane (bins 0,1,8,9 | 2,3,10,11 | ...).
__attribute__((target("avx512f")))
static void momentum_avx512(float *s, float *p, const float *mag, long bins, float alpha) {
    const __m512 va = _mm512_set1_ps(alpha), eps = _mm512_set1_ps(1e-16f);
    const __m512i order = _mm512_setr_epi32(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
    long k = 0;
    for (; k + 16 <= bins; k += 16) {
        __m512 r0 = _mm512_loadu_ps(s + 2 * k), r1 = _mm512_loadu_ps(s + 2 * k + 16);
        __m512 b0 = _mm512_loadu_ps(p + 2 * k), b1 = _mm512_loadu_ps(p + 2 * k + 16);
        _mm512_storeu_ps(p + 2 * k, r0);
        _mm512_storeu_ps(p + 2 * k + 16, r1);
        __m512 x0 = _mm512_sub_ps(r0, _mm512_mul_ps(va, b0)), x1 = _mm512_sub_ps(r1, _mm512_mul_ps(va, b1));
        __m512 re = _mm512_shuffle_ps(x0, x1, 0x88), im = _mm512_shuffle_ps(x0, x1, 0xDD);
        __m512 m = _mm512_permutexvar_ps(order, _mm512_loadu_ps(mag + k));
        __m512 norm = _mm512_add_ps(_mm512_sqrt_ps(_mm512_add_ps(_mm512_mul_ps(re, re), _mm512_mul_ps(im, im))), eps);
        __m512 scale = _mm512_div_ps(m, norm);
        __m512 ur = _mm512_mul_ps(re, scale), ui = _mm512_mul_ps(im, scale);
        _mm512_storeu_ps(s + 2 * k, _mm512_unpacklo_ps(ur, ui));
        _mm512_storeu_ps(s + 2 * k + 16, _mm512_unpackhi_ps(ur, ui));
    }
    momentum_avx2(s + 2 * k, p + 2 * k, mag + k, bins - k, alpha);
}

// ---- Dispatch.

void gl_window(const float *src, const float *w, float *dst, long n, int isa) {
    switch (ek_level(isa)) {
    case 2: window_avx512(src, w, dst, n); break;
    case 1: window_avx2(src, w, dst, n); break;
    default: window_portable(src, w, dst, n); break;
    }
}

void gl_overlap_add(float *dst, const float *frame, const float *w, long n, int isa) {
    switch (ek_level(isa)) {
    case 2: overlap_add_avx512(dst, frame, w, n); break;
    case 1: overlap_add_avx2(dst, frame, w, n); break;
    default: overlap_add_portable(dst, frame, w, n); break;
    }
}

void gl_momentum(float *spectrum, float *previous, const float *magnitude, long bins, float alpha, int isa) {
    switch (ek_level(isa)) {
    case 2: momentum_avx512(spectrum, previous, magnitude, bins, alpha); break;
    case 1: momentum_avx2(spectrum, previous, magnitude, bins, alpha); break;
    default: momentum_portable(spectrum, previous, magnitude, 0, bins, alpha); break;
    }
}
