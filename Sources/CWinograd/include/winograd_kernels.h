// The transforms of F(2x2, 2x2) Winograd convolution (Engine/WinogradConv.swift), in C so they
// can use AVX-512 or AVX2 when the CPU has them (chosen at run time: Swift here compiles for
// baseline x86-64). The Swift versions in WinogradConv.swift are the reference tests compare with.
// isa: 2 = AVX-512 if this CPU has it (else as 1), 1 = AVX2 if it has it (else 0), 0 = portable C.
// Every path does the same additions in the same order: the same bits.
#ifndef CGAN_WINOGRAD_KERNELS_H
#define CGAN_WINOGRAD_KERNELS_H

// v[e * step + t], e < 9, t < tiles = B^T d B for the 3x3 tile at p + 2t (rows `stride` apart).
// May read a float or two past the last tile's right column (callers pad their rows).
void wg_input_transform(const float *p, long stride, float *v, long step, long tiles, int isa);

// The 2x2 output of tile t from m[e * plane + t], plus bias: y0[2t], y0[2t+1], y1[2t], y1[2t+1].
void wg_output_rows(const float *m, long plane, long tiles, float bias, float *y0, float *y1, int isa);

// The same, written two apart (one phase of a stride-2 output): x0[4t], x0[4t+2], x1[4t], x1[4t+2].
void wg_output_phase(const float *m, long plane, long tiles, float bias, float *x0, float *x1, int isa);

// dst[e * step + t] = G g G^T for the 2x2 block g = (d0[2t], d0[2t+1]; d1[2t], d1[2t+1]).
void wg_filter_rows(const float *d0, const float *d1, float *dst, long step, long tiles, int isa);

// Both column phases of one input row (width even): even[q] = src[2q] for q < width/2, then 0;
// odd[0] = 0, then odd[q] = src[2q - 1] for q = 1 ... width/2 (rows of width/2 + 1 cells).
void wg_split_row(const float *src, long width, float *odd, float *even, int isa);

// F(4x4, 2x2) (winograd4.c), AVX-512 when `isa` is 2 and the CPU has it, else portable C; the
// same bits either way. v[e * step + t], e < 25, t < tiles = B^T d B for the 5x5 tile at p + 4t
// (rows `stride` apart); reads only the floats those tiles cover.
void wg4_input_transform(const float *p, long stride, float *v, long step, long tiles, int isa);

// The 4x4 output of tile t from m[e * plane + t], plus bias: row r at y[r * rowStride + 4t + s].
void wg4_output_rows(const float *m, long plane, long tiles, float bias, float *y, long rowStride, int isa);

// The adjoint of the input transform and its overlapping windows (a stride-2 layer's input
// gradient, or a transposed layer's output, from 25 products per tile): B m B^T of tile t (from
// m[e * plane + t]) added onto cells 4t ... 4t + 4 of 5 rows, cells[r * rowStride + q], q <= 4 tiles.
void wg4_adjoint_cells(const float *m, long plane, long tiles, float *cells, long rowStride, int isa);

// One x row from the cells of its column phases: x[2j] = even[j], x[2j + 1] = odd[j + 1], j < width,
// each plus evenAbove[j] / oddAbove[j + 1] (the same grid row from the tile row above) where those
// are not NULL, then plus bias where addBias.
void wg4_adjoint_row(const float *odd, const float *even, const float *oddAbove, const float *evenAbove, long width,
                     float bias, int addBias, float *x, int isa);

// The weight gradient's F(2x2, 4x4): dst[e * step + t] = G' f G'^T for the 4x4 block f of dy
// at rows dy + i * rowStride, columns 4t ... 4t + 3 (G' in winograd4.c).
void wg4_gradient_rows(const float *dy, long rowStride, float *dst, long step, long tiles, int isa);

// Its output transform, once per output channel: m holds the 25 summed products (row e at
// m + e * k), out gets the 2x2 gradient of each of the k columns as 4 rows of k: (0,0), (0,1),
// (1,0), (1,1). In double, rounded once; the same bits on every path.
void wg4_gradient_output(const float *m, long k, float *out, int isa);

// G g G^T for `count` 2x2 filters: filter i's taps (g00, g01, g10, g11) at w + i * stride + tap0..3,
// its 25 values (row-major 5 x 5) to dst[e * step + i]; computed in double, rounded once.
void wg4_filters(const float *w, long stride, long tap0, long tap1, long tap2, long tap3,
                 float *dst, long step, long count, int isa);

// 1 when this CPU has AVX2.
int wg_has_avx2(void);
#endif
