// The vector kernels of elementwise.c, written once over a vector of W floats; elementwise.c
// includes this file once per path with W, SUFFIX (name_SUFFIX) and TARGET defined (undefined
// again at the end). Only elementwise IEEE operations in the portable versions' order, no FMA
// (the file's pragma), and sums into 8 double lanes in element order: every path gives the
// portable path's bits.

#include "vector_path.h"

EV_DECLARE_TYPES()

EV_TARGET static inline EV(vf) EV(act)(EV(vf) v, int act, float slope) {
    if (act == 0) return v;
    EV(vf) other = act == 1 ? (EV(vf))0 : v * slope;
    return v > 0 ? v : other;
}

EV_TARGET static inline EV(vf) EV(derivative)(EV(vf) d, EV(vf) y, int act, float slope) {
    if (act == 0) return d;
    EV(vf) other = act == 1 ? (EV(vf))0 : d * slope;
    return y > 0 ? d : other;
}

// The same 8 at a time on every path (one double lane per float of the step).
EV_TARGET static inline f8 EV(derivative8)(f8 d, f8 y, int act, float slope) {
    if (act == 0) return d;
    f8 other = act == 1 ? (f8)0 : d * slope;
    return y > 0 ? d : other;
}

EV_TARGET static void EV(sums)(const float *x, long n, double *sum, double *squares) {
    d8 s = 0, q = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        d8 a = __builtin_convertvector(*(const f8u *)(x + i), d8);
        s += a; q += a * a;
    }
    double ss = REDUCE_D8(s), qq = REDUCE_D8(q);
    for (; i < n; i++) { double a = x[i]; ss += a; qq += a * a; }
    *sum = ss; *squares = qq;
}

EV_TARGET static void EV(affine)(const float *x, float *y, long n, float scale, float shift, int act, float slope) {
    long i = 0;
    for (; i + W <= n; i += W) EV_STORE(y + i, EV(act)(EV_LOAD(x + i) * scale + shift, act, slope));
    affine_portable(x + i, y + i, n - i, scale, shift, act, slope);
}

EV_TARGET static void EV(activation)(const float *x, float *y, long n, int act, float slope) {
    long i = 0;
    for (; i + W <= n; i += W) EV_STORE(y + i, EV(act)(EV_LOAD(x + i), act, slope));
    activation_portable(x + i, y + i, n - i, act, slope);
}

EV_TARGET static void EV(activation_backward)(const float *y, const float *dy, float *dx, long n, int act, float slope) {
    long i = 0;
    for (; i + W <= n; i += W) EV_STORE(dx + i, EV(derivative)(EV_LOAD(dy + i), EV_LOAD(y + i), act, slope));
    activation_backward_portable(y + i, dy + i, dx + i, n - i, act, slope);
}

// No stores: 8 at a time on every path, the sums into 8 double lanes in element order.
EV_TARGET static void EV(gradient_sums)(const float *x, const float *g, long n, int act, float slope, float scale,
                                        float shift, double *sumG, double *sumGX) {
    d8 s = 0, q = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        f8 xv = *(const f8u *)(x + i);
        d8 dd = __builtin_convertvector(EV(derivative8)(*(const f8u *)(g + i), xv * scale + shift, act, slope), d8);
        s += dd;
        q += dd * __builtin_convertvector(xv, d8);
    }
    double ss = REDUCE_D8(s), qq = REDUCE_D8(q);
    for (; i < n; i++) {
        float d = gated1(g[i], x[i], act, slope, scale, shift);
        ss += d; qq += (double)d * x[i];
    }
    *sumG = ss; *sumGX = qq;
}

EV_TARGET static void EV(normalize_gradient)(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                                             float k, float a, float b, int act, float slope, float scale, float shift) {
    long i = 0;
    for (; i + W <= n; i += W) {
        EV(vf) xv = EV_LOAD(x + i);
        EV(vf) d = EV(derivative)(EV_LOAD(g + i), xv * scale + shift, act, slope);
        EV(vf) xhat = (xv - mean) * invStd;
        EV_STORE(dx + i, k * ((d - a) - xhat * b));
    }
    normalize_gradient_portable(x + i, g + i, dx + i, n - i, mean, invStd, k, a, b, act, slope, scale, shift);
}

EV_TARGET static void EV(adam)(float *p, const float *g, float *m, float *v, long n, float b2, float omb1, float omb2,
                               float bc2Sqrt, float eps, float stepSize) {
    long i = 0;
    for (; i + W <= n; i += W) {
        EV(vf) gi = EV_LOAD(g + i), mi = EV_LOAD(m + i), vi = EV_LOAD(v + i);
        mi = mi + (gi - mi) * omb1;
        vi = vi * b2 + omb2 * gi * gi;
        EV(vf) denom = __builtin_elementwise_sqrt(vi) / bc2Sqrt + eps;
        EV_STORE(m + i, mi); EV_STORE(v + i, vi);
        EV_STORE(p + i, EV_LOAD(p + i) - stepSize * (mi / denom));
    }
    adam_portable(p + i, g + i, m + i, v + i, n - i, b2, omb1, omb2, bc2Sqrt, eps, stepSize);
}

#undef W
#undef SUFFIX
#undef TARGET
