// The vector kernels of griffinlim.c, written once over a vector of W floats (see
// vector_path.h); griffinlim.c includes this file once per path, with EVENS / ODDS (the real
// and imaginary parts of 2W interleaved floats) and LOWS / HIGHS (interleaving them back)
// defined for W (all seven are undefined again at the end). Per bin the same operations as
// the portable version: the same bits.
#include "vector_path.h"

EV_DECLARE_TYPES()

EV_TARGET static void EV(window)(const float *src, const float *w, float *dst, long n) {
    long i = 0;
    for (; i + W <= n; i += W) EV_STORE(dst + i, EV_LOAD(src + i) * EV_LOAD(w + i));
    window_portable(src + i, w + i, dst + i, n - i);
}

EV_TARGET static void EV(overlap_add)(float *dst, const float *frame, const float *w, long n) {
    long i = 0;
    for (; i + W <= n; i += W) EV_STORE(dst + i, EV_LOAD(dst + i) + EV_LOAD(frame + i) * EV_LOAD(w + i));
    overlap_add_portable(dst + i, frame + i, w + i, n - i);
}

// W complex per step: two vectors of interleaved (re, im) split into real and imaginary parts.
EV_TARGET static void EV(momentum)(float *s, float *p, const float *mag, long bins, float alpha) {
    long k = 0;
    for (; k + W <= bins; k += W) {
        EV(vf) r0 = EV_LOAD(s + 2 * k), r1 = EV_LOAD(s + 2 * k + W);
        EV(vf) x0 = r0 - alpha * EV_LOAD(p + 2 * k), x1 = r1 - alpha * EV_LOAD(p + 2 * k + W);
        EV_STORE(p + 2 * k, r0);
        EV_STORE(p + 2 * k + W, r1);
        EV(vf) re = __builtin_shufflevector(x0, x1, EVENS), im = __builtin_shufflevector(x0, x1, ODDS);
        EV(vf) scale = EV_LOAD(mag + k) / (__builtin_elementwise_sqrt(re * re + im * im) + 1e-16f);
        EV(vf) ur = re * scale, ui = im * scale;
        EV_STORE(s + 2 * k, __builtin_shufflevector(ur, ui, LOWS));
        EV_STORE(s + 2 * k + W, __builtin_shufflevector(ur, ui, HIGHS));
    }
    momentum_from(s, p, mag, k, bins, alpha);
}

#undef W
#undef SUFFIX
#undef TARGET
#undef EVENS
#undef ODDS
#undef LOWS
#undef HIGHS
