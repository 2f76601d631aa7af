// kg_conv_s2: a 4 x 4, stride-2, padding-1 convolution straight from the input, for layers with
// one or two input channels (the discriminator's first layer; the generator's last, in its
// input gradient), which im2col + sgemm ran at half the machine's speed: each output's 16 * C
// products are one fused chain in im2col's row order (c, ky, kx), exactly as kg_gemm runs on
// im2col's columns, so both give the same bits, and every path here gives the same bits.
#include "gemm_kernels.h"
#include "elementwise_kernels.h"
#include "winograd_kernels.h"
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Only the explicit fused steps: the bias and the slope are added and multiplied apart.
#pragma clang fp contract(off)

static inline float act_scalar(float v, int act, float slope) {
    if (act == 0) return v;
    return v > 0 ? v : (act == 1 ? 0 : v * slope);
}

// Input column 2j + kx - 1 of row r (0 outside the row or outside the image).
static inline float at_column(const float *row, long width, long col) {
    return row && col >= 0 && col < width ? row[col] : 0;
}

static void conv_s2_portable(const float *x, long channels, long batch, long height, long width, const float *w,
                             const float *bias, long outChannels, int act, float slope, float *y, long row0, long row1) {
    const long oh = height / 2, ow = width / 2, plane = height * width, k = 16 * channels;
    for (long row = row0; row < row1; row++) {
        const long n = row / oh, i = row % oh;
        for (long o = 0; o < outChannels; o++) {
            float *yo = y + ((o * batch + n) * oh + i) * ow;
            for (long j = 0; j < ow; j++) {
                float s = 0;
                for (long c = 0; c < channels; c++) {
                    for (long ky = 0; ky < 4; ky++) {
                        const long r = 2 * i + ky - 1;
                        const float *src = r >= 0 && r < height ? x + (c * batch + n) * plane + r * width : NULL;
                        for (long kx = 0; kx < 4; kx++)
                            s = fmaf(w[o * k + c * 16 + ky * 4 + kx], at_column(src, width, 2 * j + kx - 1), s);
                    }
                }
                if (bias) s = s + bias[o];
                yo[j] = act_scalar(s, act, slope);
            }
        }
    }
}

// Rows of the input split into column phases by CWinograd's wg_split_row, each zero-padded:
// odd[q] = x[2q - 1] (q = 0 .. ow, odd[0] = 0), even[q] = x[2q] (q < ow, even[ow ..] = 0); a row
// outside the image is all zeros. Output j's input column 2j + kx - 1 is odd[j], even[j],
// odd[j + 1], even[j + 1] for kx = 0 .. 3.
static void split_phases(const float *src, long width, float *odd, float *even, long padded) {
    memset(odd, 0, (size_t)padded * sizeof(float));
    memset(even, 0, (size_t)padded * sizeof(float));
    if (src) wg_split_row(src, width, odd, even, 2);
}

// Bias, activation and store of one vector of outputs.
__attribute__((target("avx512f,fma"))) static inline __attribute__((always_inline))
void finish(__m512 s, const float *bias, int act, __m512 slope, float *dst, __mmask16 keep) {
    const __m512 zero = _mm512_setzero_ps();
    if (bias) s = _mm512_add_ps(s, _mm512_set1_ps(*bias));
    if (act != 0) {
        const __m512 other = act == 1 ? zero : _mm512_mul_ps(s, slope);
        s = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(s, zero, _CMP_GT_OQ), other, s);
    }
    // The output (33 MB for the discriminator's first layer) goes past the caches: whole aligned
    // lines are streamed, which saves reading each line before writing it.
    if (keep == 0xFFFF && ((unsigned long)dst & 63) == 0) _mm512_stream_ps(dst, s);
    else _mm512_mask_storeu_ps(dst, keep, s);
}

__attribute__((target("avx512f,fma")))
static void conv_s2_avx512(const float *x, long channels, long batch, long height, long width, const float *w,
                           const float *bias, long outChannels, int act, float slope, float *y, long row0, long row1) {
    const long oh = height / 2, ow = width / 2, plane = height * width, k = 16 * channels;
    const long padded = (ow + 1 + 47) / 16 * 16;   // odd[] reaches q = ow; loads reach 32 past a block's start
    float *phases = aligned_alloc(64, (size_t)(8 * channels * padded) * sizeof(float));
    if (!phases) {   // no memory for the split rows: the portable chain gives the same bits
        conv_s2_portable(x, channels, batch, height, width, w, bias, outChannels, act, slope, y, row0, row1);
        return;
    }
    const __m512 vslope = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
    for (long row = row0; row < row1; row++) {
        const long n = row / oh, i = row % oh;
        // Stream p = (c, ky, kx) reads phases + ((c * 4 + ky) * 2 + (kx odd ? 1 : 0)) * padded + j + kx / 2.
        const float *in[64];
        for (long c = 0; c < channels; c++) {
            for (long ky = 0; ky < 4; ky++) {
                const long r = 2 * i + ky - 1;
                float *odd = phases + ((c * 4 + ky) * 2) * padded, *even = odd + padded;
                split_phases(r >= 0 && r < height ? x + (c * batch + n) * plane + r * width : NULL, width, odd, even, padded);
                float *const base[4] = {odd, even, odd + 1, even + 1};
                for (long kx = 0; kx < 4; kx++) in[c * 16 + ky * 4 + kx] = base[kx];
            }
        }
        // Blocks of 2 x 16 outputs along the row by 8 output channels: 16 accumulators, each
        // weight broadcast feeding two of them.
        for (long j0 = 0; j0 < ow; j0 += 32) {
            const long left = ow - j0;
            const __mmask16 keep0 = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
            const __mmask16 keep1 = left >= 32 ? 0xFFFF : left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1);
            for (long o0 = 0; o0 < outChannels; o0 += 8) {
                const long os = outChannels - o0 < 8 ? outChannels - o0 : 8;
                __m512 acc[8][2];
#pragma clang loop unroll(full)
                for (int t = 0; t < 8; t++) { acc[t][0] = zero; acc[t][1] = zero; }
                const float *wp = w + o0 * k;
                if (os == 8) {
                    for (long p = 0; p < k; p++) {
                        const __m512 v0 = _mm512_loadu_ps(in[p] + j0), v1 = _mm512_loadu_ps(in[p] + j0 + 16);
#pragma clang loop unroll(full)
                        for (int t = 0; t < 8; t++) {
                            const __m512 wv = _mm512_set1_ps(wp[t * k + p]);
                            acc[t][0] = _mm512_fmadd_ps(wv, v0, acc[t][0]);
                            acc[t][1] = _mm512_fmadd_ps(wv, v1, acc[t][1]);
                        }
                    }
#pragma clang loop unroll(full)
                    for (int t = 0; t < 8; t++) {
                        float *dst = y + (((o0 + t) * batch + n) * oh + i) * ow + j0;
                        finish(acc[t][0], bias ? bias + o0 + t : NULL, act, vslope, dst, keep0);
                        finish(acc[t][1], bias ? bias + o0 + t : NULL, act, vslope, dst + 16, keep1);
                    }
                } else {
                    for (long p = 0; p < k; p++) {
                        const __m512 v0 = _mm512_loadu_ps(in[p] + j0), v1 = _mm512_loadu_ps(in[p] + j0 + 16);
                        for (long t = 0; t < os; t++) {
                            const __m512 wv = _mm512_set1_ps(wp[t * k + p]);
                            acc[t][0] = _mm512_fmadd_ps(wv, v0, acc[t][0]);
                            acc[t][1] = _mm512_fmadd_ps(wv, v1, acc[t][1]);
                        }
                    }
                    for (long t = 0; t < os; t++) {
                        float *dst = y + (((o0 + t) * batch + n) * oh + i) * ow + j0;
                        finish(acc[t][0], bias ? bias + o0 + t : NULL, act, vslope, dst, keep0);
                        finish(acc[t][1], bias ? bias + o0 + t : NULL, act, vslope, dst + 16, keep1);
                    }
                }
            }
        }
    }
    _mm_sfence();
    free(phases);
}

int kg_conv_s2_level(int isa) { return kg_level(isa) == 2 ? 2 : 0; }

void kg_conv_s2(const float *x, long channels, long batch, long height, long width, const float *w, const float *bias,
                long outChannels, int act, float slope, float *y, long row0, long row1, int isa) {
    if (kg_conv_s2_level(isa) == 2 && channels <= 4)
        conv_s2_avx512(x, channels, batch, height, width, w, bias, outChannels, act, slope, y, row0, row1);
    else
        conv_s2_portable(x, channels, batch, height, width, w, bias, outChannels, act, slope, y, row0, row1);
}
