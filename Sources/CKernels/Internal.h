// Shared by the kernel files only (not part of the module's interface).
#ifndef TALKING_HEAD_CKERNELS_INTERNAL_H
#define TALKING_HEAD_CKERNELS_INTERNAL_H

#include "CKernels.h"

// The vector loops exist only for x86-64 (target attributes); elsewhere every entry point declines.
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define TH_X86 1
#include <immintrin.h>

// Rows of dst = act(src * scale + shift) (+ residual), as th_scale_shift (Normalisation.c);
// also the deferred-norm copy of th_depthwise_band (Depthwise.c).
__attribute__((target("avx512f")))
void th_scale_shift_avx512(const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                           float scale, float shift, int act, float slope, const float *residual);
#else
#define TH_X86 0
#endif

#endif
