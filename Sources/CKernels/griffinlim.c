#include "griffinlim_kernels.h"
#include "elementwise_kernels.h"
#include "vector_path.h"
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

// Bins from ..< bins (the vector paths hand over their tail).
static void momentum_from(float *s, float *p, const float *mag, long from, long bins, float alpha) {
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

static void momentum_portable(float *s, float *p, const float *mag, long bins, float alpha) {
    momentum_from(s, p, mag, 0, bins, alpha);
}

// ---- The vector paths: griffinlim_vector.h compiled for AVX2 (8 floats per step) and
// AVX-512 (16).

#define W 8
#define SUFFIX avx2
#define TARGET "avx2"
#define EVENS 0, 2, 4, 6, 8, 10, 12, 14
#define ODDS 1, 3, 5, 7, 9, 11, 13, 15
#define LOWS 0, 8, 1, 9, 2, 10, 3, 11
#define HIGHS 4, 12, 5, 13, 6, 14, 7, 15
#include "griffinlim_vector.h"

#define W 16
#define SUFFIX avx512
#define TARGET "avx512f"
#define EVENS 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define ODDS 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define LOWS 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define HIGHS 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#include "griffinlim_vector.h"

// ---- Dispatch.

void gl_window(const float *src, const float *w, float *dst, long n, int isa) {
    EV_DISPATCH(isa, window, src, w, dst, n)
}

void gl_overlap_add(float *dst, const float *frame, const float *w, long n, int isa) {
    EV_DISPATCH(isa, overlap_add, dst, frame, w, n)
}

void gl_momentum(float *spectrum, float *previous, const float *magnitude, long bins, float alpha, int isa) {
    EV_DISPATCH(isa, momentum, spectrum, previous, magnitude, bins, alpha)
}
