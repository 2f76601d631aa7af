// log1p over a buffer, for the log-mel spectrogram (glibc's log1pf is scalar and was 6% of
// extraction's profile). isa as in elementwise_kernels.h. Every path computes the same
// polynomial with the same operations (no FMA), so every path gives the same bits; the result
// is within 2 ulp of the correctly rounded log1p for 0 <= x < inf (tested against glibc).
// Negative, infinite and NaN inputs go through glibc's log1pf unchanged.
#ifndef CGAN_LOG1P_KERNELS_H
#define CGAN_LOG1P_KERNELS_H

// x[i] = log1p(x[i]) in place.
void ek_log1p(float *x, long n, int isa);

#endif
