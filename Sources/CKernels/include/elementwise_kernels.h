// The engine's per-element passes (BatchNorm, activations, Adam) in C, so they can use AVX-512 or
// AVX2 when the CPU has them (chosen at run time: Swift here compiles for baseline x86-64).
// isa: 2 = AVX-512 where the CPU has it (else as 1), 1 = AVX2 where it has it (else as 0),
// 0 = portable C, the reference the tests compare with. Every path gives the same bits: the same
// operations in the same order, no fused multiply-add; a double sum keeps 8 lanes (element i of
// each full block of 8 in lane i % 8), reduces them in one fixed order and adds the tail last.
#ifndef CGAN_ELEMENTWISE_KERNELS_H
#define CGAN_ELEMENTWISE_KERNELS_H

// act: 0 identity, 1 ReLU, 2 LeakyReLU(slope).

// The path `isa` runs on this CPU (2, 1 or 0).
int ek_level(int isa);

// *sum = sum of x[i], *squares = sum of x[i]^2, in double.
void ek_sums(const float *x, long n, double *sum, double *squares, int isa);

// y[i] = act(x[i] * scale + shift) (may be in place): BatchNorm's normalisation and its activation.
void ek_affine(const float *x, float *y, long n, float scale, float shift, int act, float slope, int isa);

// y[i] = act(x[i]) (may be in place).
void ek_activation(const float *x, float *y, long n, int act, float slope, int isa);

// dx[i] = dy[i] * act'(from the output y[i]) (may be in place, dx == dy).
void ek_activation_backward(const float *y, const float *dy, float *dx, long n, int act, float slope, int isa);

// BatchNorm backward, first pass: with d[i] = g[i] * act'(x[i] * scale + shift) (the forward's
// pre-activation, by its affine's arithmetic), *sumG = sum of d[i] and *sumGX = sum of d[i] * x[i],
// in double. g is only read.
void ek_gradient_sums(const float *x, const float *g, long n, int act, float slope, float scale, float shift,
                      double *sumG, double *sumGX, int isa);

// BatchNorm backward, second pass: dx[i] = k * ((d[i] - a) - ((x[i] - mean) * invStd) * b), d[i] as above.
void ek_normalize_gradient(const float *x, const float *g, float *dx, long n, float mean, float invStd,
                           float k, float a, float b, int act, float slope, float scale, float shift, int isa);

// Adam (torch.optim.Adam's arithmetic): m += (g - m) * oneMinusB1; v = v * b2 + (oneMinusB2 * g) * g;
// p -= stepSize * (m / (sqrt(v) / bc2Sqrt + eps)).
void ek_adam(float *p, const float *g, float *m, float *v, long n, float b2, float oneMinusB1, float oneMinusB2,
             float bc2Sqrt, float eps, float stepSize, int isa);

#endif
