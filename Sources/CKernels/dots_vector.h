// kg_dots's vector path, written once over a vector of W floats (see vector_path.h): a block of
// RA rows of A by RB rows of B, each pair's 16 lanes in 16 / W vectors, over one block of p.
// AVX-512 holds 4 x 4 pairs (16 accumulators, 8 loads a step), AVX2 2 x 2 (8 and 8).
#include "vector_path.h"

EV_DECLARE_TYPES()

#define NV (KG_DOT_LANES / W)

// Adds the lanes of a[r] . b[s] over p0 ..< p1 (p1 - p0 a multiple of the lanes) to
// lanes[(r * RB + s) * 16 ...]: the rows past ra / rb repeat the last one (their sums are dropped).
EV_TARGET static void EV(dots_block)(const float *const *ar, const float *const *br, long p0, long p1,
                                     float *lanes) {
    EV(vf) acc[RA][RB][NV];
#pragma clang loop unroll(full)
    for (int r = 0; r < RA; r++) {
#pragma clang loop unroll(full)
        for (int s = 0; s < RB; s++) {
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) acc[r][s][v] = EV_LOAD(lanes + (r * RB + s) * KG_DOT_LANES + v * W);
        }
    }
    for (long p = p0; p < p1; p += KG_DOT_LANES) {
        EV(vf) av[RA][NV], bv[RB][NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) {
#pragma clang loop unroll(full)
            for (int r = 0; r < RA; r++) av[r][v] = EV_LOAD(ar[r] + p + v * W);
#pragma clang loop unroll(full)
            for (int s = 0; s < RB; s++) bv[s][v] = EV_LOAD(br[s] + p + v * W);
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < RA; r++) {
#pragma clang loop unroll(full)
            for (int s = 0; s < RB; s++) {
#pragma clang loop unroll(full)
                for (int v = 0; v < NV; v++) acc[r][s][v] = __builtin_elementwise_fma(av[r][v], bv[s][v], acc[r][s][v]);
            }
        }
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < RA; r++) {
#pragma clang loop unroll(full)
        for (int s = 0; s < RB; s++) {
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) EV_STORE(lanes + (r * RB + s) * KG_DOT_LANES + v * W, acc[r][s][v]);
        }
    }
}

EV_TARGET static void EV(dots)(const float *a, long lda, long m, const float *b, long ldb, long n, long k,
                               float *c, long ldc, int add) {
    float lanes[RA * RB * KG_DOT_LANES] __attribute__((aligned(64)));
    float tail[(RA + RB) * KG_DOT_LANES] __attribute__((aligned(64)));
    for (long p0 = 0; p0 < k; p0 += KG_DOT_BLOCK) {
        const long p1 = p0 + KG_DOT_BLOCK < k ? p0 + KG_DOT_BLOCK : k;
        const long full = p0 + (p1 - p0) / KG_DOT_LANES * KG_DOT_LANES;
        const int sum = add || p0 > 0;
        for (long i0 = 0; i0 < m; i0 += RA) {
            const long ra = m - i0 < RA ? m - i0 : RA;
            for (long j0 = 0; j0 < n; j0 += RB) {
                const long rb = n - j0 < RB ? n - j0 : RB;
                const float *ar[RA], *br[RB];
                for (int r = 0; r < RA; r++) ar[r] = a + (i0 + (r < ra ? r : ra - 1)) * lda;
                for (int s = 0; s < RB; s++) br[s] = b + (j0 + (s < rb ? s : rb - 1)) * ldb;
                memset(lanes, 0, sizeof lanes);
                EV(dots_block)(ar, br, p0, full, lanes);
                if (full < p1) {   // the last columns, zero-padded to a whole step
                    memset(tail, 0, sizeof tail);
                    const float *tr[RA + RB];
                    for (int r = 0; r < RA + RB; r++) {
                        const float *row = r < RA ? ar[r] : br[r - RA];
                        memcpy(tail + r * KG_DOT_LANES, row + full, (size_t)(p1 - full) * sizeof(float));
                        tr[r] = tail + r * KG_DOT_LANES - full;
                    }
                    EV(dots_block)(tr, tr + RA, full, full + KG_DOT_LANES, lanes);
                }
                for (long r = 0; r < ra; r++) {
                    for (long s = 0; s < rb; s++) {
                        float *e = c + (i0 + r) * ldc + j0 + s;
                        const float t = dots_reduce(lanes + (r * RB + s) * KG_DOT_LANES);
                        *e = sum ? *e + t : t;
                    }
                }
            }
        }
    }
}

#undef NV
#undef W
#undef RA
#undef RB
#undef SUFFIX
#undef TARGET
