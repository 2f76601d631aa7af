#include "gemm_kernels.h"
#include "elementwise_kernels.h"
#include "vector_path.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

long kg_packed_count(long m, long k) { return (m + 7) / 8 * 8 * k; }

// Columns j0 ..< n of C, one element at a time: the reference, and every path's tail.
// add: each chain starts from C's element instead of 0.
static void gemm_columns(const float *packed, long m, long k, const float *b, long ldb, long j0, long n,
                         float *c, long ldc, int add) {
    for (long i = 0; i < m; i++) {
        const float *ap = packed + i / 8 * 8 * k + i % 8;
        for (long j = j0; j < n; j++) {
            float s = add ? c[i * ldc + j] : 0;
            for (long p = 0; p < k; p++) s = fmaf(ap[8 * p], b[p * ldb + j], s);
            c[i * ldc + j] = s;
        }
    }
}

static void gemm_portable(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc,
                          int add) {
    gemm_columns(packed, m, k, b, ldb, 0, n, c, ldc, add);
}

#define W 8
#define ROWS 4
#define COLS 2
#define SUFFIX avx2
#define TARGET "avx2,fma"
#include "gemm_vector.h"

#define W 16
#define ROWS 8
#define COLS 2
#define SUFFIX avx512
#define TARGET "avx512f,fma"
#include "gemm_vector.h"

int kg_level(int isa) {
    // The vector paths need FMA as well (every AVX2 CPU made so far has it; checked anyway).
    return __builtin_cpu_supports("fma") ? ek_level(isa) : 0;
}

static void gemm_dispatch(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc,
                          int add, int isa) {
    switch (kg_level(isa)) {
    case 2: gemm_avx512(packed, m, k, b, ldb, n, c, ldc, add); break;
    case 1: gemm_avx2(packed, m, k, b, ldb, n, c, ldc, add); break;
    default: gemm_portable(packed, m, k, b, ldb, n, c, ldc, add); break;
    }
}

void kg_gemm(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc, int isa) {
    gemm_dispatch(packed, m, k, b, ldb, n, c, ldc, 0, isa);
}

void kg_gemm_add(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc, int isa) {
    gemm_dispatch(packed, m, k, b, ldb, n, c, ldc, 1, isa);
}
