#include "cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xcr0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

unsigned cpu_features(void) {
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    unsigned maxLeaf = a;
    if (b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163) f |= CPU_VENDOR_AMD;   // "AuthenticAMD"
    if (maxLeaf < 7 || !__get_cpuid(1, &a, &b, &c, &d)) return f;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1;
    unsigned long long x = osxsave ? xcr0() : 0;
    int ymm = (x & 0x6) == 0x6, zmm = (x & 0xe6) == 0xe6;   // SSE+AVX state; plus opmask and ZMM state
    if (!ymm) return f;
    if (fma) f |= CPU_FMA;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned maxSub = a;
    if (b & (1u << 5)) f |= CPU_AVX2;
    if (zmm) {
        if (b & (1u << 16)) f |= CPU_AVX512F;
        if (b & (1u << 17)) f |= CPU_AVX512DQ;
        if (b & (1u << 28)) f |= CPU_AVX512CD;
        if (b & (1u << 30)) f |= CPU_AVX512BW;
        if (b & (1u << 31)) f |= CPU_AVX512VL;
        if (maxSub >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            if (a & (1u << 5)) f |= CPU_AVX512BF16;
        }
    }
    return f;
}
#else
unsigned cpu_features(void) { return 0; }
#endif
