// What this CPU and OS let us run, read with cpuid/xgetbv (OpenBLAS 0.3.21 chooses its
// kernels by CPU model instead, and falls back to SSE3 on models it does not know).
#ifndef CGAN_CPU_FEATURES_H
#define CGAN_CPU_FEATURES_H

enum {
    CPU_AVX2 = 1 << 0,
    CPU_FMA = 1 << 1,
    CPU_AVX512F = 1 << 2,
    CPU_AVX512DQ = 1 << 3,
    CPU_AVX512CD = 1 << 4,
    CPU_AVX512BW = 1 << 5,
    CPU_AVX512VL = 1 << 6,
    CPU_AVX512BF16 = 1 << 7,
    CPU_VENDOR_AMD = 1 << 8,
};

// CPU_* bits; a vector extension counts only when the OS saves its registers (XCR0).
unsigned cpu_features(void);

#endif
