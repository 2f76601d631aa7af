// kg_gemm's vector path, written once over a vector of W floats (see vector_path.h): a block of
// ROWS rows x COLS * W columns of C in ROWS * COLS vector registers, over the whole k, reading
// B's rows where they lie and the packed A one broadcast per row and step (AVX-512's 32
// registers hold 8 x 2 blocks, AVX2's 16 hold 4 x 2). The columns past the last full block
// (a window of 144 frames gives rows of 18 tiles) are copied into a zero-padded block, run the
// same way, and copied back: the same fused chain per element, at vector speed.
#include "vector_path.h"

EV_DECLARE_TYPES()

// Columns 0 ..< n, n a multiple of COLS * W; add: each chain starts from C's element.
EV_TARGET static void EV(gemm_blocks)(const float *packed, long m, long k, const float *b, long ldb, long n,
                                      float *c, long ldc, int add) {
    for (long j = 0; j < n; j += COLS * W) {
        for (long i0 = 0; i0 < m; i0 += ROWS) {
            const float *ap = packed + i0 / 8 * 8 * k + i0 % 8, *bp = b + j;
            const long rows = m - i0 < ROWS ? m - i0 : ROWS;
            EV(vf) acc[ROWS][COLS];
#pragma clang loop unroll(full)
            for (int r = 0; r < ROWS; r++) {
#pragma clang loop unroll(full)
                for (int v = 0; v < COLS; v++) acc[r][v] = add && r < rows ? EV_LOAD(c + (i0 + r) * ldc + j + v * W) : 0;
            }
            for (long p = 0; p < k; p++, ap += 8, bp += ldb) {
                EV(vf) bv[COLS];
#pragma clang loop unroll(full)
                for (int v = 0; v < COLS; v++) bv[v] = EV_LOAD(bp + v * W);
#pragma clang loop unroll(full)
                for (int r = 0; r < ROWS; r++) {
                    EV(vf) a = ap[r];
#pragma clang loop unroll(full)
                    for (int v = 0; v < COLS; v++) acc[r][v] = __builtin_elementwise_fma(a, bv[v], acc[r][v]);
                }
            }
            for (int r = 0; r < rows; r++) {
#pragma clang loop unroll(full)
                for (int v = 0; v < COLS; v++) EV_STORE(c + (i0 + r) * ldc + j + v * W, acc[r][v]);
            }
        }
    }
}

EV_TARGET static void EV(gemm)(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc,
                               int add) {
    const long block = COLS * W, full = n / block * block, rest = n - full;
    EV(gemm_blocks)(packed, m, k, b, ldb, full, c, ldc, add);
    if (rest == 0) return;
    float *bt = calloc((size_t)(k * block), sizeof(float)), *ct = calloc((size_t)(m * block), sizeof(float));
    if (!bt || !ct) {   // no memory for the copies: the element-wise chain gives the same bits
        free(bt); free(ct);
        gemm_columns(packed, m, k, b, ldb, full, n, c, ldc, add);
        return;
    }
    for (long p = 0; p < k; p++) memcpy(bt + p * block, b + p * ldb + full, (size_t)rest * sizeof(float));
    if (add) for (long i = 0; i < m; i++) memcpy(ct + i * block, c + i * ldc + full, (size_t)rest * sizeof(float));
    EV(gemm_blocks)(packed, m, k, bt, block, block, ct, block, add);
    for (long i = 0; i < m; i++) memcpy(c + i * ldc + full, ct + i * block, (size_t)rest * sizeof(float));
    free(bt); free(ct);
}

#undef W
#undef ROWS
#undef COLS
#undef SUFFIX
#undef TARGET
