// C = A B for the Winograd products: A (m x k, its rows packed once by kg_pack, as each layer's
// transformed filters are used by every chunk of tiles), B (k x n) and C row-major as they lie.
// OpenBLAS packs both operands again on every call, which for these small products (m 32-256,
// n 64-576, k 64-512) cost as much as a third of the multiply. Every path (isa as in
// elementwise_kernels.h) computes each element as one chain of fused multiply-adds in k order:
// AVX-512, AVX2 and portable give the same bits.
#ifndef CGAN_GEMM_KERNELS_H
#define CGAN_GEMM_KERNELS_H

// The path `isa` runs here: 2 AVX-512, 1 AVX2 (both with FMA), 0 portable (fmaf: correct, but
// slow on a CPU without FMA, where callers use OpenBLAS instead).
int kg_level(int isa);

// Floats kg_pack writes for an m x k matrix (rows in panels of 8, the last one zero-padded).
long kg_packed_count(long m, long k);

// packed[(i / 8) * 8 * k + p * 8 + i % 8] = a[i * lda + p] (0 for the rows past m), 16 x 16
// blocks at a time in registers where the AVX-512 path runs (the same floats either way).
void kg_pack(const float *a, long lda, long m, long k, float *packed, int isa);

// dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols, the same way.
void kg_transpose(const float *src, long lds, long rows, long cols, float *dst, long ldd, int isa);

// c[i * ldc + j] = sum over p of A[i][p] * b[p * ldb + j], for i < m, j < n.
void kg_gemm(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc, int isa);

// The same chain started from c[i * ldc + j] instead of 0 (c += A b, each element one chain).
void kg_gemm_add(const float *packed, long m, long k, const float *b, long ldb, long n, float *c, long ldc, int isa);

// c[i * ldc + j] = (add ? c[i * ldc + j] : 0) + sum over p < k of a[i * lda + p] * b[j * ldb + p],
// for i < m, j < n: C = A B^T with both operands' rows contiguous, for products whose k (a
// tile's thousands of columns) dwarfs m and n (dozens), the im2col layers' weight gradients,
// where OpenBLAS ran at 31-39 GFLOP/s. Same bits on every path (see dots.c).
void kg_dots(const float *a, long lda, long m, const float *b, long ldb, long n, long k, float *c, long ldc,
             int add, int isa);

// c[i * ldc + j] += sum over p < k of a[i * lda + p] * b[j * ldb + p], for i < m, j < n: a
// Linear layer's y = x W^T, A a batch of a few rows and B the weight's thousands of rows, where
// OpenBLAS ran at 17 GFLOP/s. Each element is one fused chain over p in order, then added to c:
// the same bits on both paths (AVX-512 where kg_rows_level says 2, else portable C) and for
// any split of the columns.
void kg_rows(const float *a, long lda, long m, const float *b, long ldb, long n, long k, float *c, long ldc, int isa);
int kg_rows_level(int isa);

// y[o, n, i, j] = act(bias[o] + sum over p = (c, ky, kx) in that order of w[o * 16C + p] *
// x[c, n, 2i + ky - 1, 2j + kx - 1]) for output rows row0 ..< row1 (row = n * H/2 + i): a 4 x 4
// convolution, stride 2, padding 1, from x (C, N, H, W) into y (O, N, H/2, W/2), H and W even;
// bias may be NULL (then nothing is added); act 0 identity, 1 ReLU, 2 LeakyReLU(slope). Each
// output is one fused chain, as kg_gemm on im2col's columns: the same bits as that, and on
// both paths (AVX-512 where kg_conv_s2_level says 2 and C <= 4, else portable C).
void kg_conv_s2(const float *x, long channels, long batch, long height, long width, const float *w, const float *bias,
                long outChannels, int act, float slope, float *y, long row0, long row1, int isa);
int kg_conv_s2_level(int isa);

#endif
