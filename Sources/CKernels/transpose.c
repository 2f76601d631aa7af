// Transposes, and kg_pack's panels, on 16 x 16 blocks in registers where AVX-512 runs (the
// weight gradients' per-chunk operands: scalar copies cost a fifth of the products). Pure data
// movement: every path writes the same floats.
#include "gemm_kernels.h"
#include <immintrin.h>

static void transpose_portable(const float *src, long lds, long rows, long cols, float *dst, long ldd) {
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) dst[j * ldd + i] = src[i * lds + j];
}

static void pack_portable(const float *a, long lda, long m, long k, float *packed) {
    for (long i0 = 0; i0 < m; i0 += 8)
        for (long p = 0; p < k; p++)
            for (long r = 0; r < 8; r++) packed[i0 * k + p * 8 + r] = i0 + r < m ? a[(i0 + r) * lda + p] : 0;
}

// r[i] (row i, 16 columns) -> r[c] (column c, 16 rows).
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u[4i + q], 128-bit lane L: rows 4i ..< 4i + 4 of column 4L + q.
    for (int i = 0; i < 4; i++) {
        const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
        const __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
        u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
        u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    for (int q = 0; q < 4; q++) {
        const __m512 v0 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x88), v1 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xDD);
        const __m512 w0 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x88), w1 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xDD);
        r[q] = _mm512_shuffle_f32x4(v0, w0, 0x88);        // column q: lanes 0 of u[q], u[4 + q], u[8 + q], u[12 + q]
        r[4 + q] = _mm512_shuffle_f32x4(v1, w1, 0x88);    // column 4 + q: lanes 1
        r[8 + q] = _mm512_shuffle_f32x4(v0, w0, 0xDD);    // column 8 + q: lanes 2
        r[12 + q] = _mm512_shuffle_f32x4(v1, w1, 0xDD);   // column 12 + q: lanes 3
    }
}

__attribute__((target("avx512f")))
static void transpose_avx512(const float *src, long lds, long rows, long cols, float *dst, long ldd) {
    const long fullRows = rows / 16 * 16, fullCols = cols / 16 * 16;
    for (long i0 = 0; i0 < fullRows; i0 += 16) {
        for (long j0 = 0; j0 < fullCols; j0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + (i0 + i) * lds + j0);
            transpose16(r);
            for (int c = 0; c < 16; c++) _mm512_storeu_ps(dst + (j0 + c) * ldd + i0, r[c]);
        }
        transpose_portable(src + i0 * lds + fullCols, lds, 16, cols - fullCols, dst + fullCols * ldd + i0, ldd);
    }
    transpose_portable(src + fullRows * lds, lds, rows - fullRows, cols, dst + fullRows, ldd);
}

__attribute__((target("avx512f")))
static void pack_avx512(const float *a, long lda, long m, long k, float *packed) {
    const long fullRows = m / 16 * 16, fullCols = k / 16 * 16;
    for (long i0 = 0; i0 < fullRows; i0 += 16) {
        float *lo = packed + i0 * k, *hi = lo + 8 * k;   // the two panels of these 16 rows
        for (long p0 = 0; p0 < fullCols; p0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(a + (i0 + i) * lda + p0);
            transpose16(r);
            for (int c = 0; c < 16; c++) {
                _mm256_storeu_ps(lo + (p0 + c) * 8, _mm512_castps512_ps256(r[c]));
                _mm256_storeu_ps(hi + (p0 + c) * 8, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r[c]), 1)));
            }
        }
        for (long p = fullCols; p < k; p++)
            for (long r = 0; r < 8; r++) { lo[p * 8 + r] = a[(i0 + r) * lda + p]; hi[p * 8 + r] = a[(i0 + 8 + r) * lda + p]; }
    }
    if (fullRows < m) pack_portable(a + fullRows * lda, lda, m - fullRows, k, packed + fullRows * k);
}

void kg_transpose(const float *src, long lds, long rows, long cols, float *dst, long ldd, int isa) {
    if (kg_level(isa) == 2) transpose_avx512(src, lds, rows, cols, dst, ldd);
    else transpose_portable(src, lds, rows, cols, dst, ldd);
}

void kg_pack(const float *a, long lda, long m, long k, float *packed, int isa) {
    if (kg_level(isa) == 2) pack_avx512(a, lda, m, k, packed);
    else pack_portable(a, lda, m, k, packed);
}
