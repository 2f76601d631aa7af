// F(4x4, 2x2) transforms (Engine/WinogradConv.swift, tile 4): 25 products per 4x4 output
// tile where F(2x2, 2x2) needs 36 for the same outputs. Interpolation points 0, 1, -1, 2 and
// infinity; the data and output transforms' coefficients are +-1, +-2, 4 and 8. Their only
// multiplications are by powers of 2, which are exact: a * x + y rounds once whether the
// compiler contracts it into an FMA (the AVX-512 path: fewer operations, the adds on Zen 4's
// two 256-bit pipes were the transforms' limit) or not (portable), so every path gives the
// same bits. The filter transform (with its 1/2, 1/6 and 1/3) is done in double, below.
#include "winograd_kernels.h"
#include <immintrin.h>

// B^T d for d0..d4 along one direction (rows of B^T: 2 -1 -2 1 0 / 0 -2 -1 1 0 / 0 2 -3 1 0 /
// 0 -1 0 1 0 / 0 2 -1 -2 1). Works for float and for clang vectors alike.
#define DATA5(T, d0, d1, d2, d3, d4, r0, r1, r2, r3, r4)                      \
    do {                                                                      \
        T s_ = (d3) - (d2);                                                   \
        r3 = (d3) - (d1);                                                     \
        r0 = 2 * ((d0) - (d2)) + r3;                                          \
        r1 = -2 * (d1) + s_;                                                  \
        r2 = 2 * ((d1) - (d2)) + s_;                                          \
        r4 = 2 * ((d1) - (d3)) + ((d4) - (d2));                               \
    } while (0)

// A^T m for m0..m4 (rows of A^T: 1 1 1 1 0 / 0 1 -1 2 0 / 0 1 1 4 0 / 0 1 -1 8 1).
#define OUT4(T, m0, m1, m2, m3, m4, y0, y1, y2, y3)                           \
    do {                                                                      \
        T p_ = (m1) + (m2), q_ = (m1) - (m2);                                 \
        y0 = ((m0) + p_) + (m3);                                              \
        y1 = 2 * (m3) + q_;                                                   \
        y2 = 4 * (m3) + p_;                                                   \
        y3 = (8 * (m3) + q_) + (m4);                                          \
    } while (0)

// G' f for f0..f3 (rows of G': 1 0 0 0 / 1 1 1 1 / 1 -1 1 -1 / 1 2 4 8 / 0 0 0 1): the weight
// gradient's F(2x2, 4x4), a 4x4 block of dy as the filter. (Its G, 1/2 -1/2 -1/6 1/6 1,
// times these rows; those scales go to the output side, applied once per weight in Swift.)
#define GRAD5(T, f0, f1, f2, f3, h0, h1, h2, h3, h4)                         \
    do {                                                                      \
        T p_ = (f0) + (f2), q_ = (f1) + (f3);                                 \
        h0 = (f0); h1 = p_ + q_; h2 = p_ - q_; h4 = (f3);                     \
        h3 = 2 * (2 * (2 * (f3) + (f2)) + (f1)) + (f0);                       \
    } while (0)

// U = G' F G'^T for one 4x4 block: f[i][j] row i, column j; u[5i + k].
#define TILE_GRADIENT(T, f, u)                                                \
    do {                                                                      \
        T c_[5][4];                                                           \
        for (int j = 0; j < 4; j++)                                           \
            GRAD5(T, f[0][j], f[1][j], f[2][j], f[3][j], c_[0][j], c_[1][j], c_[2][j], c_[3][j], c_[4][j]); \
        for (int i = 0; i < 5; i++)                                           \
            GRAD5(T, c_[i][0], c_[i][1], c_[i][2], c_[i][3], u[5 * i], u[5 * i + 1], u[5 * i + 2], u[5 * i + 3], u[5 * i + 4]); \
    } while (0)

// V = B^T D B for one tile: d[i][j] row i, column j; v[5i + k].
#define TILE_DATA(T, d, v)                                                    \
    do {                                                                      \
        T c_[5][5];                                                           \
        for (int j = 0; j < 5; j++)                                           \
            DATA5(T, d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], c_[0][j], c_[1][j], c_[2][j], c_[3][j], c_[4][j]); \
        for (int i = 0; i < 5; i++)                                           \
            DATA5(T, c_[i][0], c_[i][1], c_[i][2], c_[i][3], c_[i][4], v[5 * i], v[5 * i + 1], v[5 * i + 2], v[5 * i + 3], v[5 * i + 4]); \
    } while (0)

// Z = A^T M A + bias for one tile: m[5i + k]; z[r][s] row r, column s.
#define TILE_OUTPUT(T, m, bias, z)                                            \
    do {                                                                      \
        T r_[5][4];                                                           \
        for (int i = 0; i < 5; i++)                                           \
            OUT4(T, m[5 * i], m[5 * i + 1], m[5 * i + 2], m[5 * i + 3], m[5 * i + 4], r_[i][0], r_[i][1], r_[i][2], r_[i][3]); \
        for (int s = 0; s < 4; s++) {                                         \
            OUT4(T, r_[0][s], r_[1][s], r_[2][s], r_[3][s], r_[4][s], z[0][s], z[1][s], z[2][s], z[3][s]); \
            for (int r = 0; r < 4; r++) z[r][s] = z[r][s] + (bias);           \
        }                                                                     \
    } while (0)

// B v for v0..v4 along one direction, the adjoint of DATA5 (rows of B: 2 0 0 0 0 /
// -1 -2 2 -1 2 / -2 -1 -3 0 -1 / 1 1 1 1 -2 / 0 0 0 0 1). Its only multiplications are exact
// doublings, so, as above, every path rounds the same whether or not they contract into FMAs.
#define ADJOINT5(T, v0, v1, v2, v3, v4, o0, o1, o2, o3, o4)                 \
    do {                                                                      \
        T s_ = (v0) + (v3), t_ = (v1) + (v2);                                 \
        o0 = 2 * (v0);                                                        \
        o1 = 2 * (((v2) - (v1)) + (v4)) - s_;                                 \
        o2 = -(2 * ((v0) + (v2)) + (t_ + (v4)));                              \
        o3 = (s_ + t_) - 2 * (v4);                                            \
        o4 = (v4);                                                            \
    } while (0)

// D = B M B^T for one tile (the adjoint of TILE_DATA): m[5i + k]; d[r][s] row r, column s.
#define TILE_ADJOINT(T, m, d)                                                 \
    do {                                                                      \
        T c_[5][5];                                                           \
        for (int i = 0; i < 5; i++)                                           \
            ADJOINT5(T, m[5 * i], m[5 * i + 1], m[5 * i + 2], m[5 * i + 3], m[5 * i + 4], \
                     c_[i][0], c_[i][1], c_[i][2], c_[i][3], c_[i][4]);       \
        for (int s = 0; s < 5; s++)                                           \
            ADJOINT5(T, c_[0][s], c_[1][s], c_[2][s], c_[3][s], c_[4][s], d[0][s], d[1][s], d[2][s], d[3][s], d[4][s]); \
    } while (0)

// ---- Portable versions.

static void gradient4_portable(const float *dy, long rowStride, float *dst, long step, long tiles) {
    for (long t = 0; t < tiles; t++) {
        float f[4][4], u[25];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) f[i][j] = dy[i * rowStride + 4 * t + j];
        TILE_GRADIENT(float, f, u);
        for (int e = 0; e < 25; e++) dst[e * step + t] = u[e];
    }
}

static void input4_portable(const float *p, long stride, float *v, long step, long tiles) {
    for (long t = 0; t < tiles; t++) {
        const float *q = p + 4 * t;
        float d[5][5], w[25];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) d[i][j] = q[i * stride + j];
        TILE_DATA(float, d, w);
        for (int e = 0; e < 25; e++) v[e * step + t] = w[e];
    }
}

#define OUTPUT4_SCALAR(t)                                                     \
    float mm[25], z[4][4];                                                    \
    for (int e = 0; e < 25; e++) mm[e] = m[e * plane + t];                    \
    TILE_OUTPUT(float, mm, bias, z);

static void output4_rows_portable(const float *m, long plane, long tiles, float bias, float *y, long rowStride) {
    for (long t = 0; t < tiles; t++) {
        OUTPUT4_SCALAR(t)
        for (int r = 0; r < 4; r++)
            for (int s = 0; s < 4; s++) y[r * rowStride + 4 * t + s] = z[r][s];
    }
}

// One plane's cells from the products of `tiles` tiles (m[e * plane + t]): tile t's 5 x 5 window
// B M B^T lands on cells 4t ... 4t + 4 of 5 rows (rowStride apart), and neighbouring windows share
// a column: cell 4t = column 0 of tile t + column 4 of tile t - 1 (+ 0 for the first), cell 4 tiles
// = column 4 of the last.
static void adjoint4_portable(const float *m, long plane, long tiles, float *cells, long rowStride) {
    float left[5] = {0, 0, 0, 0, 0};
    for (long t = 0; t < tiles; t++) {
        float mm[25], d[5][5];
        for (int e = 0; e < 25; e++) mm[e] = m[e * plane + t];
        TILE_ADJOINT(float, mm, d);
        for (int r = 0; r < 5; r++) {
            float *row = cells + r * rowStride + 4 * t;
            row[0] = d[r][0] + left[r];
            row[1] = d[r][1]; row[2] = d[r][2]; row[3] = d[r][3];
            left[r] = d[r][4];
        }
    }
    for (int r = 0; r < 5; r++) cells[r * rowStride + 4 * tiles] = left[r];
}

// One x row from the cells of its two column phases: x[2j] = even[j], x[2j + 1] = odd[j + 1]
// for j < width; plus the cells of the same grid row from the tile row above where given, then
// plus bias where addBias.
static void adjoint_row_portable(const float *odd, const float *even, const float *oddAbove, const float *evenAbove,
                                 long width, float bias, int addBias, float *x) {
    for (long j = 0; j < width; j++) {
        float a = even[j], b = odd[j + 1];
        if (evenAbove) { a = a + evenAbove[j]; b = b + oddAbove[j + 1]; }
        if (addBias) { a = a + bias; b = b + bias; }
        x[2 * j] = a; x[2 * j + 1] = b;
    }
}

// ---- AVX-512: 16 tiles per step, a row's last ones with masks (loads read only the floats
// those tiles use, stores write only their lanes). The same operations per lane: the same bits.

#define AVX512 __attribute__((target("avx512f")))
typedef float v16 __attribute__((ext_vector_type(16)));

// Runs STEP(t, r) for the tiles in steps of 16 (r = 16, which folds the masks away), then the
// last r < 16 tiles once with masks.
#define IN_STEPS_OF_16(tiles, STEP)                                           \
    do {                                                                      \
        long t = 0;                                                           \
        for (; t + 16 <= (tiles); t += 16) STEP(t, 16);                       \
        if (t < (tiles)) STEP(t, (tiles) - t);                                \
    } while (0)

static inline __mmask16 lanes(long count) {
    return (__mmask16)(count >= 16 ? 0xFFFF : count <= 0 ? 0 : (1u << count) - 1);
}

// Columns j = 0..3 of r <= 16 tiles 4 apart at q: c[j][t] = q[4t + j], reading only the first
// n floats at q.
AVX512 static inline __attribute__((always_inline)) void columns4(const float *q, long n, v16 c[4]) {
    __m512 a = _mm512_maskz_loadu_ps(lanes(n), q), b = _mm512_maskz_loadu_ps(lanes(n - 16), q + 16);
    __m512 cc = _mm512_maskz_loadu_ps(lanes(n - 32), q + 32), d = _mm512_maskz_loadu_ps(lanes(n - 48), q + 48);
    for (int j = 0; j < 4; j++) {
        __m512i idx = _mm512_setr_epi32(j, 4 + j, 8 + j, 12 + j, 16 + j, 20 + j, 24 + j, 28 + j, 0, 0, 0, 0, 0, 0, 0, 0);
        __m512 lo = _mm512_permutex2var_ps(a, idx, b), hi = _mm512_permutex2var_ps(cc, idx, d);
        c[j] = (v16)_mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0));
    }
}

// Columns j = 0..4 of the 5-wide windows of r <= 16 tiles 4 apart at q: c[j][t] = q[4t + j].
AVX512 static inline __attribute__((always_inline)) void columns5(const float *q, long r, v16 c[5]) {
    long n = 4 * r + 1;
    columns4(q, n, c);
    // Column 4 of tile t is column 0 of tile t + 1; the 16th tile's is q[64].
    __m512 last = _mm512_maskz_loadu_ps(lanes(n - 64), q + 64);
    c[4] = (v16)_mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(last), _mm512_castps_si512((__m512)c[0]), 1));
}

// The 25 transform points of r <= 16 tiles: point e's lanes to w + e * step.
AVX512 static inline __attribute__((always_inline)) void store_points(float *w, long step, long r, v16 v[25]) {
    __mmask16 m = lanes(r);
    for (int e = 0; e < 25; e++) _mm512_mask_storeu_ps(w + e * step, m, (__m512)v[e]);
}

AVX512 static inline __attribute__((always_inline))
void input4_step_avx512(const float *q, long stride, float *w, long step, long r) {
    v16 d[5][5], v[25];
    for (int i = 0; i < 5; i++) columns5(q + i * stride, r, d[i]);
    TILE_DATA(v16, d, v);
    store_points(w, step, r, v);
}

AVX512 static void input4_avx512(const float *p, long stride, float *v, long step, long tiles) {
#define INPUT_STEP(t, r) input4_step_avx512(p + 4 * (t), stride, v + (t), step, r)
    IN_STEPS_OF_16(tiles, INPUT_STEP);
#undef INPUT_STEP
}

AVX512 static inline __attribute__((always_inline))
void gradient4_step_avx512(const float *dy, long rowStride, float *w, long step, long r) {
    v16 f[4][4], u[25];
    for (int i = 0; i < 4; i++) columns4(dy + i * rowStride, 4 * r, f[i]);
    TILE_GRADIENT(v16, f, u);
    store_points(w, step, r, u);
}

AVX512 static void gradient4_avx512(const float *dy, long rowStride, float *dst, long step, long tiles) {
#define GRADIENT_STEP(t, r) gradient4_step_avx512(dy + 4 * (t), rowStride, dst + (t), step, r)
    IN_STEPS_OF_16(tiles, GRADIENT_STEP);
#undef GRADIENT_STEP
}

// The 4 x 4 outputs of r <= 16 tiles: z[row][column], 16 tiles per vector.
AVX512 static inline __attribute__((always_inline))
void output4_step_avx512(const float *m, long plane, long r, float bias, v16 z[4][4]) {
    v16 mm[25];
    __mmask16 k = lanes(r);
    for (int e = 0; e < 25; e++) mm[e] = (v16)_mm512_maskz_loadu_ps(k, m + e * plane);
    v16 b = bias;
    TILE_OUTPUT(v16, mm, b, z);
}

// (a[t], b[t]) for tiles t = 0-7 (half 0) or 8-15 (half 1), as 8 doubles.
AVX512 static inline __m512d pairs8(v16 a, v16 b, int half) {
    __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    return _mm512_castps_pd(_mm512_permutex2var_ps((__m512)a, half ? hi : lo, (__m512)b));
}

// o[0..3]: the 64 floats z0[0] z1[0] z2[0] z3[0] z0[1] ... of one output row's 16 tiles.
AVX512 static inline void interleave4(v16 z0, v16 z1, v16 z2, v16 z3, __m512 o[4]) {
    __m512d p0 = pairs8(z0, z1, 0), p1 = pairs8(z0, z1, 1), q0 = pairs8(z2, z3, 0), q1 = pairs8(z2, z3, 1);
    __m512i first = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), second = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    o[0] = _mm512_castpd_ps(_mm512_permutex2var_pd(p0, first, q0));
    o[1] = _mm512_castpd_ps(_mm512_permutex2var_pd(p0, second, q0));
    o[2] = _mm512_castpd_ps(_mm512_permutex2var_pd(p1, first, q1));
    o[3] = _mm512_castpd_ps(_mm512_permutex2var_pd(p1, second, q1));
}

AVX512 static inline __attribute__((always_inline))
void output4_rows_step_avx512(const float *m, long plane, long r, float bias, float *y, long rowStride) {
    v16 z[4][4];
    output4_step_avx512(m, plane, r, bias, z);
    for (int row = 0; row < 4; row++) {
        __m512 o[4];
        interleave4(z[row][0], z[row][1], z[row][2], z[row][3], o);
        for (int k = 0; k < 4; k++) _mm512_mask_storeu_ps(y + row * rowStride + 16 * k, lanes(4 * r - 16 * k), o[k]);
    }
}

AVX512 static void output4_rows_avx512(const float *m, long plane, long tiles, float bias, float *y, long rowStride) {
#define ROWS_STEP(t, r) output4_rows_step_avx512(m + (t), plane, r, bias, y + 4 * (t), rowStride)
    IN_STEPS_OF_16(tiles, ROWS_STEP);
#undef ROWS_STEP
}

// adjoint4_portable, 16 tiles per step: lane j's left neighbour is lane j - 1 of column 4, lane
// 0's the previous step's lane 15 (0 before the first).
AVX512 static void adjoint4_avx512(const float *m, long plane, long tiles, float *cells, long rowStride) {
    v16 carry[5] = {0, 0, 0, 0, 0};
    long last = 0;
    for (long t = 0; t < tiles; t += 16) {
        long r = tiles - t < 16 ? tiles - t : 16;
        __mmask16 k = lanes(r);
        v16 mm[25], d[5][5];
        for (int e = 0; e < 25; e++) mm[e] = (v16)_mm512_maskz_loadu_ps(k, m + e * plane + t);
        TILE_ADJOINT(v16, mm, d);
        for (int row = 0; row < 5; row++) {
            v16 left = (v16)_mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512((__m512)d[row][4]),
                                                                    _mm512_castps_si512((__m512)carry[row]), 15));
            __m512 o[4];
            interleave4(d[row][0] + left, d[row][1], d[row][2], d[row][3], o);
            float *dst = cells + row * rowStride + 4 * t;
            for (int q = 0; q < 4; q++) _mm512_mask_storeu_ps(dst + 16 * q, lanes(4 * r - 16 * q), o[q]);
            carry[row] = d[row][4];
        }
        last = r - 1;
    }
    for (int row = 0; row < 5; row++) cells[row * rowStride + 4 * tiles] = carry[row][last];
}

AVX512 static void adjoint_row_avx512(const float *odd, const float *even, const float *oddAbove, const float *evenAbove,
                                      long width, float bias, int addBias, float *x) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512 b16 = _mm512_set1_ps(bias);
    for (long j = 0; j < width; j += 16) {
        long r = width - j < 16 ? width - j : 16;
        __mmask16 k = lanes(r);
        __m512 a = _mm512_maskz_loadu_ps(k, even + j), b = _mm512_maskz_loadu_ps(k, odd + j + 1);
        if (evenAbove) {
            a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(k, evenAbove + j));
            b = _mm512_add_ps(b, _mm512_maskz_loadu_ps(k, oddAbove + j + 1));
        }
        if (addBias) { a = _mm512_add_ps(a, b16); b = _mm512_add_ps(b, b16); }
        _mm512_mask_storeu_ps(x + 2 * j, lanes(2 * r), _mm512_permutex2var_ps(a, lo, b));
        _mm512_mask_storeu_ps(x + 2 * j + 16, lanes(2 * r - 16), _mm512_permutex2var_ps(a, hi, b));
    }
}

// ---- Entry points: AVX-512 where `isa` and the CPU allow it, else portable C (the layers
// take tile 4 only where the packed product kernel runs, which needs AVX-512 too).

static int use_avx512(int isa) { return isa >= 2 && __builtin_cpu_supports("avx512f"); }

void wg4_input_transform(const float *p, long stride, float *v, long step, long tiles, int isa) {
    if (use_avx512(isa)) input4_avx512(p, stride, v, step, tiles);
    else input4_portable(p, stride, v, step, tiles);
}

void wg4_adjoint_cells(const float *m, long plane, long tiles, float *cells, long rowStride, int isa) {
    if (use_avx512(isa)) adjoint4_avx512(m, plane, tiles, cells, rowStride);
    else adjoint4_portable(m, plane, tiles, cells, rowStride);
}

void wg4_adjoint_row(const float *odd, const float *even, const float *oddAbove, const float *evenAbove, long width,
                     float bias, int addBias, float *x, int isa) {
    if (use_avx512(isa)) adjoint_row_avx512(odd, even, oddAbove, evenAbove, width, bias, addBias, x);
    else adjoint_row_portable(odd, even, oddAbove, evenAbove, width, bias, addBias, x);
}

void wg4_gradient_rows(const float *dy, long rowStride, float *dst, long step, long tiles, int isa) {
    if (use_avx512(isa)) gradient4_avx512(dy, rowStride, dst, step, tiles);
    else gradient4_portable(dy, rowStride, dst, step, tiles);
}

void wg4_output_rows(const float *m, long plane, long tiles, float bias, float *y, long rowStride, int isa) {
    if (use_avx512(isa)) output4_rows_avx512(m, plane, tiles, bias, y, rowStride);
    else output4_rows_portable(m, plane, tiles, bias, y, rowStride);
}

// ---- The filter transform G g G^T (rows of G: 1/2 0 / -1/2 -1/2 / -1/6 1/6 / 1/6 1/3 / 0 1),
// in double and rounded once, for `count` filters: filter i's taps g00, g01, g10, g11 at
// w + i * stride + tap[0..3], its 25 values to dst[e * step + i]. No contraction into FMAs, so
// the vector path gives the same bits as the portable one.
#pragma STDC FP_CONTRACT OFF

// (G x)[0..4] for the pair x0, x1: the same operations for double and for __m512d (below).
#define G5(x0, x1, h)                                                         \
    do {                                                                      \
        h[0] = 0.5 * (x0); h[1] = -0.5 * ((x0) + (x1));                       \
        h[2] = ((x1) - (x0)) * sixth; h[3] = ((x0) + ((x1) + (x1))) * sixth; h[4] = (x1); \
    } while (0)

static const double sixth = 1.0 / 6;

static void filters4_portable(const float *w, long stride, long tap0, long tap1, long tap2, long tap3,
                              float *dst, long step, long count) {
    for (long i = 0; i < count; i++) {
        const float *g = w + i * stride;
        double col0[5], col1[5];
        G5((double)g[tap0], (double)g[tap2], col0);
        G5((double)g[tap1], (double)g[tap3], col1);
        for (int r = 0; r < 5; r++) {
            double u[5];
            G5(col0[r], col1[r], u);
            for (int c = 0; c < 5; c++) dst[(5 * r + c) * step + i] = (float)u[c];
        }
    }
}

// 8 filters per step (their taps gathered), in double; the rest as above. (As one filter at a
// time in scalar code this took 5.5% of `bench train`.)
typedef double v8d __attribute__((ext_vector_type(8)));
AVX512 static void filters4_avx512(const float *w, long stride, long tap0, long tap1, long tap2, long tap3,
                                   float *dst, long step, long count) {
    long i = 0;
    if (8 * stride < (1L << 31)) {
        __m256i offsets = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)stride));
        for (; i + 8 <= count; i += 8) {
            const float *g = w + i * stride;
            v8d g00 = (v8d)_mm512_cvtps_pd(_mm256_i32gather_ps(g + tap0, offsets, 4));
            v8d g01 = (v8d)_mm512_cvtps_pd(_mm256_i32gather_ps(g + tap1, offsets, 4));
            v8d g10 = (v8d)_mm512_cvtps_pd(_mm256_i32gather_ps(g + tap2, offsets, 4));
            v8d g11 = (v8d)_mm512_cvtps_pd(_mm256_i32gather_ps(g + tap3, offsets, 4));
            v8d col0[5], col1[5];
            G5(g00, g10, col0);
            G5(g01, g11, col1);
            for (int r = 0; r < 5; r++) {
                v8d u[5];
                G5(col0[r], col1[r], u);
                for (int c = 0; c < 5; c++) _mm256_storeu_ps(dst + (5 * r + c) * step + i, _mm512_cvtpd_ps((__m512d)u[c]));
            }
        }
    }
    filters4_portable(w + i * stride, stride, tap0, tap1, tap2, tap3, dst + i, step, count - i);
}

void wg4_filters(const float *w, long stride, long tap0, long tap1, long tap2, long tap3,
                 float *dst, long step, long count, int isa) {
    if (use_avx512(isa)) filters4_avx512(w, stride, tap0, tap1, tap2, tap3, dst, step, count);
    else filters4_portable(w, stride, tap0, tap1, tap2, tap3, dst, step, count);
}

// ---- The weight gradient's output transform A'^T M A' (A'^T: 1/2 -1/2 -1/6 1/6 0 /
// 0 -1/2 1/6 1/3 1; see TILE_GRADIENT), in double, rounded once: for kk < count, M[i][j] =
// m[(5i + j) * k + kk] (the 25 summed products of one output channel), out[(2u + v) * count + kk]
// = z[u][v]. 8 columns at a time on AVX-512 (the same operations per lane), else one at a time.

// (A' x)[0..1] for x0..x4.
#define A2(x0, x1, x2, x3, x4, y0, y1)                                        \
    do {                                                                      \
        y0 = 0.5 * ((x0) - (x1)) + ((x3) - (x2)) * sixth;                     \
        y1 = -0.5 * (x1) + ((x2) + (x3) + (x3)) * sixth + (x4);               \
    } while (0)

#define GRADIENT_OUTPUT(T, LOAD, m, k, kk, z)                                 \
    do {                                                                      \
        T c0_[5], c1_[5];                                                     \
        for (int i = 0; i < 5; i++)                                           \
            A2(LOAD(m + (5 * i) * k + kk), LOAD(m + (5 * i + 1) * k + kk), LOAD(m + (5 * i + 2) * k + kk), \
               LOAD(m + (5 * i + 3) * k + kk), LOAD(m + (5 * i + 4) * k + kk), c0_[i], c1_[i]); \
        A2(c0_[0], c0_[1], c0_[2], c0_[3], c0_[4], z[0], z[2]);               \
        A2(c1_[0], c1_[1], c1_[2], c1_[3], c1_[4], z[1], z[3]);               \
    } while (0)

#define LOAD_SCALAR(p) ((double)*(p))
// Columns first ..< k.
static void gradient_output_portable(const float *m, long k, long first, float *out) {
    for (long kk = first; kk < k; kk++) {
        double z[4];
        GRADIENT_OUTPUT(double, LOAD_SCALAR, m, k, kk, z);
        for (int q = 0; q < 4; q++) out[q * k + kk] = (float)z[q];
    }
}

#define LOAD_VECTOR(p) ((v8d)_mm512_cvtps_pd(_mm256_loadu_ps(p)))
AVX512 static void gradient_output_avx512(const float *m, long k, float *out) {
    long kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        v8d z[4];
        GRADIENT_OUTPUT(v8d, LOAD_VECTOR, m, k, kk, z);
        for (int q = 0; q < 4; q++) _mm256_storeu_ps(out + q * k + kk, _mm512_cvtpd_ps((__m512d)z[q]));
    }
    gradient_output_portable(m, k, kk, out);   // the last columns one at a time: the same operations
}

void wg4_gradient_output(const float *m, long k, float *out, int isa) {
    if (use_avx512(isa)) gradient_output_avx512(m, k, out);
    else gradient_output_portable(m, k, 0, out);
}
