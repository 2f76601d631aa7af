#include "elementwise_kernels.h"
#include <immintrin.h>
#include <math.h>

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

static void gradient_sums_portable(const float *x, const float *y, float *g, long n, int act, float slope,
                                   double *sumG, double *sumGX) {
    double ls[8] = {0}, lq[8] = {0};
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int j = 0; j < 8; j++) {
            float d = derivative1(g[i + j], y[i + j], act, slope);
            g[i + j] = d; ls[j] += d; lq[j] += (double)d * x[i + j];
        }
    }
    double s = reduce8(ls), q = reduce8(lq);
    for (; i < n; i++) {
        float d = derivative1(g[i], y[i], act, slope);
        g[i] = d; s += d; q += (double)d * x[i];
    }
    *sumG = s; *sumGX = q;
}

static void normalize_gradient_portable(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                                        float k, float a, float b) {
    for (long i = 0; i < n; i++) {
        float xhat = (x[i] - mean) * invStd;
        dx[i] = k * ((g[i] - a) - xhat * b);
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

// ---- AVX2: 8 floats per step; the double lanes as two registers (lanes 0-3, 4-7).

#define AVX2 __attribute__((target("avx2")))

AVX2 static inline double reduce_avx2(__m256d lo, __m256d hi) {
    __m256d t = _mm256_add_pd(lo, hi);
    __m128d u = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    return _mm_cvtsd_f64(u) + _mm_cvtsd_f64(_mm_unpackhi_pd(u, u));
}

AVX2 static inline __m256 act_avx2(__m256 v, int act, __m256 slope) {
    if (act == 0) return v;
    __m256 zero = _mm256_setzero_ps();
    __m256 other = act == 1 ? zero : _mm256_mul_ps(v, slope);
    return _mm256_blendv_ps(other, v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
}

AVX2 static inline __m256 derivative_avx2(__m256 d, __m256 y, int act, __m256 slope) {
    if (act == 0) return d;
    __m256 zero = _mm256_setzero_ps();
    __m256 other = act == 1 ? zero : _mm256_mul_ps(d, slope);
    return _mm256_blendv_ps(other, d, _mm256_cmp_ps(y, zero, _CMP_GT_OQ));
}

AVX2 static void sums_avx2(const float *x, long n, double *sum, double *squares) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, q0 = s0, q1 = s0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d a0 = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), a1 = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
        s0 = _mm256_add_pd(s0, a0); s1 = _mm256_add_pd(s1, a1);
        q0 = _mm256_add_pd(q0, _mm256_mul_pd(a0, a0)); q1 = _mm256_add_pd(q1, _mm256_mul_pd(a1, a1));
    }
    double s = reduce_avx2(s0, s1), q = reduce_avx2(q0, q1);
    for (; i < n; i++) { double a = x[i]; s += a; q += a * a; }
    *sum = s; *squares = q;
}

AVX2 static void affine_avx2(const float *x, float *y, long n, float scale, float shift, int act, float slope) {
    __m256 sc = _mm256_set1_ps(scale), sh = _mm256_set1_ps(shift), sl = _mm256_set1_ps(slope);
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, act_avx2(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), sc), sh), act, sl));
    affine_portable(x + i, y + i, n - i, scale, shift, act, slope);
}

AVX2 static void activation_avx2(const float *x, float *y, long n, int act, float slope) {
    __m256 sl = _mm256_set1_ps(slope);
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, act_avx2(_mm256_loadu_ps(x + i), act, sl));
    activation_portable(x + i, y + i, n - i, act, slope);
}

AVX2 static void activation_backward_avx2(const float *y, const float *dy, float *dx, long n, int act, float slope) {
    __m256 sl = _mm256_set1_ps(slope);
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dx + i, derivative_avx2(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(y + i), act, sl));
    activation_backward_portable(y + i, dy + i, dx + i, n - i, act, slope);
}

AVX2 static void gradient_sums_avx2(const float *x, const float *y, float *g, long n, int act, float slope,
                                    double *sumG, double *sumGX) {
    __m256 sl = _mm256_set1_ps(slope);
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, q0 = s0, q1 = s0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 d = derivative_avx2(_mm256_loadu_ps(g + i), _mm256_loadu_ps(y + i), act, sl);
        _mm256_storeu_ps(g + i, d);
        __m256d d0 = _mm256_cvtps_pd(_mm256_castps256_ps128(d)), d1 = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
        s0 = _mm256_add_pd(s0, d0); s1 = _mm256_add_pd(s1, d1);
        q0 = _mm256_add_pd(q0, _mm256_mul_pd(d0, _mm256_cvtps_pd(_mm_loadu_ps(x + i))));
        q1 = _mm256_add_pd(q1, _mm256_mul_pd(d1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4))));
    }
    double s = reduce_avx2(s0, s1), q = reduce_avx2(q0, q1);
    for (; i < n; i++) {
        float d = derivative1(g[i], y[i], act, slope);
        g[i] = d; s += d; q += (double)d * x[i];
    }
    *sumG = s; *sumGX = q;
}

AVX2 static void normalize_gradient_avx2(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                                         float k, float a, float b) {
    __m256 mu = _mm256_set1_ps(mean), is = _mm256_set1_ps(invStd), kk = _mm256_set1_ps(k);
    __m256 aa = _mm256_set1_ps(a), bb = _mm256_set1_ps(b);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mu), is);
        __m256 t = _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(g + i), aa), _mm256_mul_ps(xhat, bb));
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(kk, t));
    }
    normalize_gradient_portable(x + i, g + i, dx + i, n - i, mean, invStd, k, a, b);
}

AVX2 static void adam_avx2(float *p, const float *g, float *m, float *v, long n, float b2, float omb1, float omb2,
                           float bc2Sqrt, float eps, float stepSize) {
    __m256 vb2 = _mm256_set1_ps(b2), vomb1 = _mm256_set1_ps(omb1), vomb2 = _mm256_set1_ps(omb2);
    __m256 vbc = _mm256_set1_ps(bc2Sqrt), veps = _mm256_set1_ps(eps), vstep = _mm256_set1_ps(stepSize);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), vomb1));
        vi = _mm256_add_ps(_mm256_mul_ps(vi, vb2), _mm256_mul_ps(_mm256_mul_ps(vomb2, gi), gi));
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc), veps);
        _mm256_storeu_ps(m + i, mi); _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), _mm256_mul_ps(vstep, _mm256_div_ps(mi, denom))));
    }
    adam_portable(p + i, g + i, m + i, v + i, n - i, b2, omb1, omb2, bc2Sqrt, eps, stepSize);
}

// ---- AVX-512: 16 floats per step; the 8 double lanes in one register, added to in element order.

#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline double reduce_avx512(__m512d l) {
    __m256d t = _mm256_add_pd(_mm512_castpd512_pd256(l), _mm512_extractf64x4_pd(l, 1));
    __m128d u = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    return _mm_cvtsd_f64(u) + _mm_cvtsd_f64(_mm_unpackhi_pd(u, u));
}

AVX512 static inline __m512 act_avx512(__m512 v, int act, __m512 slope) {
    if (act == 0) return v;
    __m512 zero = _mm512_setzero_ps();
    __m512 other = act == 1 ? zero : _mm512_mul_ps(v, slope);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), other, v);
}

AVX512 static inline __m512 derivative_avx512(__m512 d, __m512 y, int act, __m512 slope) {
    if (act == 0) return d;
    __m512 zero = _mm512_setzero_ps();
    __m512 other = act == 1 ? zero : _mm512_mul_ps(d, slope);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, zero, _CMP_GT_OQ), other, d);
}

AVX512 static void sums_avx512(const float *x, long n, double *sum, double *squares) {
    __m512d s = _mm512_setzero_pd(), q = s;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d a = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
        s = _mm512_add_pd(s, a); q = _mm512_add_pd(q, _mm512_mul_pd(a, a));
    }
    double ss = reduce_avx512(s), qq = reduce_avx512(q);
    for (; i < n; i++) { double a = x[i]; ss += a; qq += a * a; }
    *sum = ss; *squares = qq;
}

AVX512 static void affine_avx512(const float *x, float *y, long n, float scale, float shift, int act, float slope) {
    __m512 sc = _mm512_set1_ps(scale), sh = _mm512_set1_ps(shift), sl = _mm512_set1_ps(slope);
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, act_avx512(_mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), sc), sh), act, sl));
    affine_portable(x + i, y + i, n - i, scale, shift, act, slope);
}

AVX512 static void activation_avx512(const float *x, float *y, long n, int act, float slope) {
    __m512 sl = _mm512_set1_ps(slope);
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, act_avx512(_mm512_loadu_ps(x + i), act, sl));
    activation_portable(x + i, y + i, n - i, act, slope);
}

AVX512 static void activation_backward_avx512(const float *y, const float *dy, float *dx, long n, int act, float slope) {
    __m512 sl = _mm512_set1_ps(slope);
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dx + i, derivative_avx512(_mm512_loadu_ps(dy + i), _mm512_loadu_ps(y + i), act, sl));
    activation_backward_portable(y + i, dy + i, dx + i, n - i, act, slope);
}

AVX512 static void gradient_sums_avx512(const float *x, const float *y, float *g, long n, int act, float slope,
                                        double *sumG, double *sumGX) {
    __m512 sl = _mm512_set1_ps(slope);
    __m512d s = _mm512_setzero_pd(), q = s;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 d = derivative_avx512(_mm512_loadu_ps(g + i), _mm512_loadu_ps(y + i), act, sl);
        _mm512_storeu_ps(g + i, d);
        __m512d d0 = _mm512_cvtps_pd(_mm512_castps512_ps256(d));
        __m512d d1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(d), 1)));
        s = _mm512_add_pd(s, d0);   // elements i ... i + 7 first, then i + 8 ... i + 15, as 8-lane order
        q = _mm512_add_pd(q, _mm512_mul_pd(d0, _mm512_cvtps_pd(_mm256_loadu_ps(x + i))));
        s = _mm512_add_pd(s, d1);
        q = _mm512_add_pd(q, _mm512_mul_pd(d1, _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8))));
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = derivative_avx2(_mm256_loadu_ps(g + i), _mm256_loadu_ps(y + i), act, _mm256_set1_ps(slope));
        _mm256_storeu_ps(g + i, d);
        __m512d dd = _mm512_cvtps_pd(d);
        s = _mm512_add_pd(s, dd);
        q = _mm512_add_pd(q, _mm512_mul_pd(dd, _mm512_cvtps_pd(_mm256_loadu_ps(x + i))));
    }
    double ss = reduce_avx512(s), qq = reduce_avx512(q);
    for (; i < n; i++) {
        float d = derivative1(g[i], y[i], act, slope);
        g[i] = d; ss += d; qq += (double)d * x[i];
    }
    *sumG = ss; *sumGX = qq;
}

AVX512 static void normalize_gradient_avx512(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                                             float k, float a, float b) {
    __m512 mu = _mm512_set1_ps(mean), is = _mm512_set1_ps(invStd), kk = _mm512_set1_ps(k);
    __m512 aa = _mm512_set1_ps(a), bb = _mm512_set1_ps(b);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mu), is);
        __m512 t = _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(g + i), aa), _mm512_mul_ps(xhat, bb));
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(kk, t));
    }
    normalize_gradient_portable(x + i, g + i, dx + i, n - i, mean, invStd, k, a, b);
}

AVX512 static void adam_avx512(float *p, const float *g, float *m, float *v, long n, float b2, float omb1, float omb2,
                               float bc2Sqrt, float eps, float stepSize) {
    __m512 vb2 = _mm512_set1_ps(b2), vomb1 = _mm512_set1_ps(omb1), vomb2 = _mm512_set1_ps(omb2);
    __m512 vbc = _mm512_set1_ps(bc2Sqrt), veps = _mm512_set1_ps(eps), vstep = _mm512_set1_ps(stepSize);
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i), mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
        mi = _mm512_add_ps(mi, _mm512_mul_ps(_mm512_sub_ps(gi, mi), vomb1));
        vi = _mm512_add_ps(_mm512_mul_ps(vi, vb2), _mm512_mul_ps(_mm512_mul_ps(vomb2, gi), gi));
        __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), vbc), veps);
        _mm512_storeu_ps(m + i, mi); _mm512_storeu_ps(v + i, vi);
        _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), _mm512_mul_ps(vstep, _mm512_div_ps(mi, denom))));
    }
    adam_portable(p + i, g + i, m + i, v + i, n - i, b2, omb1, omb2, bc2Sqrt, eps, stepSize);
}

// ---- Entry points.

#define DISPATCH(isa, name, ...)                                      \
    switch (ek_level(isa)) {                                          \
    case 2: name##_avx512(__VA_ARGS__); break;                        \
    case 1: name##_avx2(__VA_ARGS__); break;                          \
    default: name##_portable(__VA_ARGS__); break;                     \
    }

void ek_sums(const float *x, long n, double *sum, double *squares, int isa) {
    DISPATCH(isa, sums, x, n, sum, squares)
}

void ek_affine(const float *x, float *y, long n, float scale, float shift, int act, float slope, int isa) {
    DISPATCH(isa, affine, x, y, n, scale, shift, act, slope)
}

void ek_activation(const float *x, float *y, long n, int act, float slope, int isa) {
    DISPATCH(isa, activation, x, y, n, act, slope)
}

void ek_activation_backward(const float *y, const float *dy, float *dx, long n, int act, float slope, int isa) {
    DISPATCH(isa, activation_backward, y, dy, dx, n, act, slope)
}

void ek_gradient_sums(const float *x, const float *y, float *g, long n, int act, float slope,
                      double *sumG, double *sumGX, int isa) {
    DISPATCH(isa, gradient_sums, x, y, g, n, act, slope, sumG, sumGX)
}

void ek_normalize_gradient(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                           float k, float a, float b, int isa) {
    DISPATCH(isa, normalize_gradient, x, g, dx, n, mean, invStd, k, a, b)
}

void ek_adam(float *p, const float *g, float *m, float *v, long n, float b2, float oneMinusB1, float oneMinusB2,
             float bc2Sqrt, float eps, float stepSize, int isa) {
    DISPATCH(isa, adam, p, g, m, v, n, b2, oneMinusB1, oneMinusB2, bc2Sqrt, eps, stepSize)
}
