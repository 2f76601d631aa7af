// Griffin-Lim's per-frame passes in C, so they can use AVX-512 or AVX2 when the CPU has them
// (Swift here compiles for baseline x86-64). isa as in elementwise_kernels.h (2 AVX-512,
// 1 AVX2, 0 portable; ek_level says which runs). Every path gives the same bits: the same IEEE
// operations per element in the same order, no fused multiply-add.
#ifndef CGAN_GRIFFINLIM_KERNELS_H
#define CGAN_GRIFFINLIM_KERNELS_H

// dst[i] = src[i] * w[i]: one analysis frame, windowed.
void gl_window(const float *src, const float *w, float *dst, long n, int isa);

// dst[i] += frame[i] * w[i]: one synthesis frame, windowed and overlap-added.
void gl_overlap_add(float *dst, const float *frame, const float *w, long n, int isa);

// Fast Griffin-Lim's phase step for `bins` complex values (interleaved re, im), in place:
// a = spectrum - alpha * previous; previous = spectrum (as it was);
// spectrum = a * (magnitude / (sqrt(re(a)^2 + im(a)^2) + 1e-16)).
void gl_momentum(float *spectrum, float *previous, const float *magnitude, long bins, float alpha, int isa);

#endif
