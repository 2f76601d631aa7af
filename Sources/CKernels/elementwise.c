#include "elementwise_kernels.h"
#include "vector_path.h"
#include <math.h>
#include <string.h>

// No a * b + c becomes one FMA in any path: that would round once instead of twice and the
// paths would stop giving the same bits.
#pragma clang fp contract(off)

static int cpu_level(void) {
    return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
}

int ek_level(int isa) {
    int cpu = cpu_level();
    return isa <= 0 ? 0 : isa < cpu ? isa : cpu;
}

// ---- Portable versions: the reference.

// The fixed reduction of 8 double lanes: (l0 + l4, ...), then (t0 + t2, t1 + t3), then the two.
static double reduce8(const double *l) {
    double t0 = l[0] + l[4], t1 = l[1] + l[5], t2 = l[2] + l[6], t3 = l[3] + l[7];
    return (t0 + t2) + (t1 + t3);
}

static inline float act1(float v, int act, float slope) {
    if (act == 0) return v;
    return v > 0 ? v : (act == 1 ? 0 : v * slope);
}

static void sums_portable(const float *x, long n, double *sum, double *squares) {
    double ls[8] = {0}, lq[8] = {0};
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int j = 0; j < 8; j++) { double a = x[i + j]; ls[j] += a; lq[j] += a * a; }
    }
    double s = reduce8(ls), q = reduce8(lq);
    for (; i < n; i++) { double a = x[i]; s += a; q += a * a; }
    *sum = s; *squares = q;
}

static void affine_portable(const float *x, float *y, long n, float scale, float shift, int act, float slope) {
    switch (act) {   // one loop per activation, so each vectorises for baseline x86-64
    case 0: for (long i = 0; i < n; i++) y[i] = x[i] * scale + shift; break;
    case 1: for (long i = 0; i < n; i++) { float v = x[i] * scale + shift; y[i] = v > 0 ? v : 0; } break;
    default: for (long i = 0; i < n; i++) { float v = x[i] * scale + shift; y[i] = v > 0 ? v : v * slope; } break;
    }
}

static void activation_portable(const float *x, float *y, long n, int act, float slope) {
    for (long i = 0; i < n; i++) y[i] = act1(x[i], act, slope);
}

static inline float derivative1(float d, float y, int act, float slope) {
    if (act == 0) return d;
    return y > 0 ? d : (act == 1 ? 0 : d * slope);
}

static void activation_backward_portable(const float *y, const float *dy, float *dx, long n, int act, float slope) {
    for (long i = 0; i < n; i++) dx[i] = derivative1(dy[i], y[i], act, slope);
}

// g * act'(pre) for pre = x * scale + shift: the BatchNorm forward's pre-activation, by its affine's
// arithmetic, so the derivative takes the forward's side of 0 without its output being read back.
static inline float gated1(float g, float x, int act, float slope, float scale, float shift) {
    return derivative1(g, x * scale + shift, act, slope);
}

static void gradient_sums_portable(const float *x, const float *g, long n, int act, float slope, float scale, float shift,
                                   double *sumG, double *sumGX) {
    double ls[8] = {0}, lq[8] = {0};
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int j = 0; j < 8; j++) {
            float d = gated1(g[i + j], x[i + j], act, slope, scale, shift);
            ls[j] += d; lq[j] += (double)d * x[i + j];
        }
    }
    double s = reduce8(ls), q = reduce8(lq);
    for (; i < n; i++) {
        float d = gated1(g[i], x[i], act, slope, scale, shift);
        s += d; q += (double)d * x[i];
    }
    *sumG = s; *sumGX = q;
}

static void normalize_gradient_portable(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                                        float k, float a, float b, int act, float slope, float scale, float shift) {
    for (long i = 0; i < n; i++) {
        float d = gated1(g[i], x[i], act, slope, scale, shift);
        float xhat = (x[i] - mean) * invStd;
        dx[i] = k * ((d - a) - xhat * b);
    }
}

static void adam_portable(float *p, const float *g, float *m, float *v, long n, float b2, float omb1, float omb2,
                          float bc2Sqrt, float eps, float stepSize) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        m[i] += (gi - m[i]) * omb1;
        v[i] = v[i] * b2 + omb2 * gi * gi;
        float denom = sqrtf(v[i]) / bc2Sqrt + eps;
        p[i] -= stepSize * (m[i] / denom);
    }
}

// ---- The vector paths: elementwise_vector.h written once, compiled for AVX2 (8 floats per
// step) and AVX-512 (16). Every path adds into the same 8 double lanes in element order.

typedef float f8 __attribute__((ext_vector_type(8)));
typedef float f8u __attribute__((ext_vector_type(8), aligned(4)));
typedef double d8 __attribute__((ext_vector_type(8)));

// The lanes of a d8 through memory (a d8 passed by value is an ABI matter between targets).
#define REDUCE_D8(v) ({ double lanes_[8]; memcpy(lanes_, &(v), sizeof lanes_); reduce8(lanes_); })

#define W 8
#define SUFFIX avx2
#define TARGET "avx2"
#include "elementwise_vector.h"

#define W 16
#define SUFFIX avx512
#define TARGET "avx512f"
#include "elementwise_vector.h"

// ---- Entry points.

void ek_sums(const float *x, long n, double *sum, double *squares, int isa) {
    EV_DISPATCH(isa, sums, x, n, sum, squares)
}

void ek_affine(const float *x, float *y, long n, float scale, float shift, int act, float slope, int isa) {
    EV_DISPATCH(isa, affine, x, y, n, scale, shift, act, slope)
}

void ek_activation(const float *x, float *y, long n, int act, float slope, int isa) {
    EV_DISPATCH(isa, activation, x, y, n, act, slope)
}

void ek_activation_backward(const float *y, const float *dy, float *dx, long n, int act, float slope, int isa) {
    EV_DISPATCH(isa, activation_backward, y, dy, dx, n, act, slope)
}

void ek_gradient_sums(const float *x, const float *g, long n, int act, float slope, float scale, float shift,
                      double *sumG, double *sumGX, int isa) {
    EV_DISPATCH(isa, gradient_sums, x, g, n, act, slope, scale, shift, sumG, sumGX)
}

void ek_normalize_gradient(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                           float k, float a, float b, int act, float slope, float scale, float shift, int isa) {
    EV_DISPATCH(isa, normalize_gradient, x, g, dx, n, mean, invStd, k, a, b, act, slope, scale, shift)
}

void ek_adam(float *p, const float *g, float *m, float *v, long n, float b2, float oneMinusB1, float oneMinusB2,
             float bc2Sqrt, float eps, float stepSize, int isa) {
    EV_DISPATCH(isa, adam, p, g, m, v, n, b2, oneMinusB1, oneMinusB2, bc2Sqrt, eps, stepSize)
}
