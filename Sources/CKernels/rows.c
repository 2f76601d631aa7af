// kg_rows: C += A B^T where A is a batch (few rows) and B a Linear layer's long weight matrix.
// Every element is one chain of fused steps over p in order, then added to C: the same bits on
// every path and for any split of the columns.
#include "gemm_kernels.h"
#include "elementwise_kernels.h"
#include <immintrin.h>
#include <math.h>

static void rows_portable(const float *a, long lda, long m, const float *b, long ldb, long n, long k, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float s = 0;
            for (long p = 0; p < k; p++) s = fmaf(a[i * lda + p], b[j * ldb + p], s);
            c[i * ldc + j] += s;
        }
    }
}

// 16 rows of A at a time, as its columns: at[p] holds A[i0 ..< i0 + 16][p] (zero past m). 16
// columns j at a time, each in one register (lanes = rows i), fed by broadcasts of B's elements
// as they lie; the 16 x 16 block then goes to C through a small buffer, row by row.
__attribute__((target("avx512f,fma")))
static void rows_avx512(const float *a, long lda, long m, const float *b, long ldb, long n, long k, float *c, long ldc) {
    enum { P = 256 };   // columns of A held transposed at a time
    float at[P * 16] __attribute__((aligned(64)));
    float block[16 * 16] __attribute__((aligned(64)));
    for (long i0 = 0; i0 < m; i0 += 16) {
        const long rows = m - i0 < 16 ? m - i0 : 16;
        for (long j0 = 0; j0 < n; j0 += 16) {
            const long cols = n - j0 < 16 ? n - j0 : 16;
            __m512 acc[16];
            for (int s = 0; s < 16; s++) acc[s] = _mm512_setzero_ps();
            for (long p0 = 0; p0 < k; p0 += P) {
                const long kp = k - p0 < P ? k - p0 : P;
                if (j0 == 0 || k > P) {   // A's columns p0 ..< p0 + kp, transposed (once when k fits)
                    for (long p = 0; p < kp; p++)
                        for (long r = 0; r < 16; r++) at[p * 16 + r] = r < rows ? a[(i0 + r) * lda + p0 + p] : 0;
                }
                if (cols == 16) {
                    // B's next blocks come from memory (27 MB for the generator's first layer): its 16
                    // rows, read a column at a time, defeat the hardware prefetcher (4 GB/s), so each
                    // step asks for one line of the block after next.
                    const char *ahead = (const char *)(b + (j0 + 64) * ldb + p0);
                    for (long p = 0; p < kp; p++) {
                        _mm_prefetch(ahead + 64 * p, _MM_HINT_T0);
                        const __m512 av = _mm512_load_ps(at + p * 16);
                        const float *bp = b + j0 * ldb + p0 + p;
#pragma clang loop unroll(full)
                        for (int s = 0; s < 16; s++) acc[s] = _mm512_fmadd_ps(av, _mm512_set1_ps(bp[s * ldb]), acc[s]);
                    }
                } else {
                    for (long p = 0; p < kp; p++) {
                        const __m512 av = _mm512_load_ps(at + p * 16);
                        const float *bp = b + j0 * ldb + p0 + p;
                        for (long s = 0; s < cols; s++) acc[s] = _mm512_fmadd_ps(av, _mm512_set1_ps(bp[s * ldb]), acc[s]);
                    }
                }
            }
            for (int s = 0; s < 16; s++) _mm512_store_ps(block + s * 16, acc[s]);
            for (long r = 0; r < rows; r++) {
                float *cr = c + (i0 + r) * ldc + j0;
                for (long s = 0; s < cols; s++) cr[s] += block[s * 16 + r];
            }
        }
    }
}

int kg_rows_level(int isa) { return kg_level(isa) == 2 ? 2 : 0; }

void kg_rows(const float *a, long lda, long m, const float *b, long ldb, long n, long k, float *c, long ldc, int isa) {
    if (kg_rows_level(isa) == 2) rows_avx512(a, lda, m, b, ldb, n, k, c, ldc);
    else rows_portable(a, lda, m, b, ldb, n, k, c, ldc);
}
