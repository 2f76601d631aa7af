#include "gemm_kernels.h"
#include "elementwise_kernels.h"
#include "vector_path.h"
#include <math.h>
#include <string.h>

// Each element's products go to 16 lanes (lane l takes columns p = l mod 16) over blocks of
// KG_DOT_BLOCK columns; each block's lanes are reduced in this fixed tree and added to C. The
// vector paths only keep the lanes in registers: every path gives the same bits.
#define KG_DOT_LANES 16
#define KG_DOT_BLOCK 4096

static float dots_reduce(const float *l) {
    float t[8];
    for (int i = 0; i < 8; i++) t[i] = l[i] + l[i + 8];
    for (int i = 0; i < 4; i++) t[i] = t[i] + t[i + 4];
    return (t[0] + t[2]) + (t[1] + t[3]);
}

// The reference: the same lanes, one product at a time (the tail's zero padding included, so
// that a lane's chain is the same fused steps as on the vector paths).
static void dots_portable(const float *a, long lda, long m, const float *b, long ldb, long n, long k,
                          float *c, long ldc, int add) {
    for (long p0 = 0; p0 < k; p0 += KG_DOT_BLOCK) {
        const long p1 = p0 + KG_DOT_BLOCK < k ? p0 + KG_DOT_BLOCK : k;
        const long end = p0 + (p1 - p0 + KG_DOT_LANES - 1) / KG_DOT_LANES * KG_DOT_LANES;
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) {
                float lanes[KG_DOT_LANES] = {0};
                for (long p = p0; p < end; p++) {
                    const float x = p < p1 ? a[i * lda + p] : 0, y = p < p1 ? b[j * ldb + p] : 0;
                    lanes[(p - p0) % KG_DOT_LANES] = fmaf(x, y, lanes[(p - p0) % KG_DOT_LANES]);
                }
                const float t = dots_reduce(lanes);
                float *e = c + i * ldc + j;
                *e = add || p0 > 0 ? *e + t : t;
            }
        }
    }
}

#define W 8
#define RA 2
#define RB 2
#define SUFFIX avx2
#define TARGET "avx2,fma"
#include "dots_vector.h"

#define W 16
#define RA 4
#define RB 4
#define SUFFIX avx512
#define TARGET "avx512f,fma"
#include "dots_vector.h"

void kg_dots(const float *a, long lda, long m, const float *b, long ldb, long n, long k, float *c, long ldc,
             int add, int isa) {
    switch (kg_level(isa)) {
    case 2: dots_avx512(a, lda, m, b, ldb, n, k, c, ldc, add); break;
    case 1: dots_avx2(a, lda, m, b, ldb, n, k, c, ldc, add); break;
    default: dots_portable(a, lda, m, b, ldb, n, k, c, ldc, add); break;
    }
}
