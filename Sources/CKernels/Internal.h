// Shared by the kernel files only (not part of the module's interface).
#ifndef TALKING_HEAD_CKERNELS_INTERNAL_H
#define TALKING_HEAD_CKERNELS_INTERNAL_H

#include "CKernels.h"

// `level` capped by what the CPU has (th_vector_level): which loop an entry point runs.
static inline int th_level(int level) { int cpu = th_vector_level(); return level < cpu ? level : cpu; }

// The vector loops exist only for x86-64 (target attributes); elsewhere every entry point declines.
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define TH_X86 1
#include <immintrin.h>

// The mask of maskload / maskstore for the first n (0 ... 8) lanes.
__attribute__((target("avx2")))
static inline __m256i tail_mask_avx2(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The first n lanes (n >= 0) of a 16-float (AVX-512) or 8-float (AVX2) vector: masks, masked
// loads (the other lanes zero) and stores, by width.
#define TH_MASK16(n) ((n) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n)) - 1))
#define TH_LOAD16(m, p) _mm512_maskz_loadu_ps(m, p)
#define TH_STORE16(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define TH_MASK8(n) tail_mask_avx2((n) >= 8 ? 8 : (n))
#define TH_LOAD8(m, p) _mm256_maskload_ps(p, m)
#define TH_STORE8(p, m, v) _mm256_maskstore_ps(p, m, v)

// Rows of dst = act(src * scale + shift) (+ residual), as th_scale_shift (Normalisation.c) at
// each level; also the deferred-norm copy of th_depthwise_band (Depthwise.c).
__attribute__((target("avx512f")))
void th_scale_shift_avx512(const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                           float scale, float shift, int act, float slope, const float *residual);
__attribute__((target("avx2,fma")))
void th_scale_shift_avx2(const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                         float scale, float shift, int act, float slope, const float *residual);
#else
#define TH_X86 0
#endif

#endif
