// kg_gemm's vector path, written once over a vector of W floats (see vector_path.h): a block of
// ROWS rows x 2W columns of C in 2 ROWS vector registers, over the whole k, reading B's rows
// where they lie and the packed A one broadcast per row and step (ROWS 8 with AVX-512's 32
// registers, 4 with AVX2's 16). Columns past the last full block go through gemm_columns (the
// same fused chain per element).
#include "vector_path.h"

EV_DECLARE_TYPES()

EV_TARGET static void EV(gemm)(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc) {
    long j = 0;
    for (; j + 2 * W <= n; j += 2 * W) {
        for (long i0 = 0; i0 < m; i0 += ROWS) {
            const float *ap = packed + i0 / 8 * 8 * k + i0 % 8, *bp = b + j;
            EV(vf) c0[ROWS], c1[ROWS];
#pragma clang loop unroll(full)
            for (int r = 0; r < ROWS; r++) { c0[r] = 0; c1[r] = 0; }
            for (long p = 0; p < k; p++, ap += 8, bp += ldb) {
                EV(vf) b0 = EV_LOAD(bp), b1 = EV_LOAD(bp + W);
#pragma clang loop unroll(full)
                for (int r = 0; r < ROWS; r++) {
                    c0[r] = __builtin_elementwise_fma((EV(vf))ap[r], b0, c0[r]);
                    c1[r] = __builtin_elementwise_fma((EV(vf))ap[r], b1, c1[r]);
                }
            }
            long rows = m - i0 < ROWS ? m - i0 : ROWS;
            for (int r = 0; r < rows; r++) {
                EV_STORE(c + (i0 + r) * ldc + j, c0[r]);
                EV_STORE(c + (i0 + r) * ldc + j + W, c1[r]);
            }
        }
    }
    gemm_columns(packed, m, k, b, ldb, j, n, c, ldc);
}

#undef W
#undef ROWS
#undef SUFFIX
#undef TARGET
