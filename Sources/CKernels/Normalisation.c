// Instance norm: per-channel moments (th_moments) and the affine map + activation that applies
// it, in place or while copying (th_scale_shift).
#include "Internal.h"

#if TH_X86
// One pass over the values shifted by the mean of the first 16 (or fewer) of them: sums of the
// shifted values and of their squares in float vectors over blocks of 1024, blocks added in
// double. The shift keeps the two sums from cancelling (the values' distance from their mean
// is what is squared, give or take the first values' distance from it).
__attribute__((target("avx512f")))
static void moments_avx512(const float *p, long n, double *mean, double *variance) {
    __mmask16 m0 = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    float shift = _mm512_reduce_add_ps(_mm512_maskz_loadu_ps(m0, p)) / (float)(n < 16 ? n : 16);
    __m512 kv = _mm512_set1_ps(shift);
    double sum = 0, squares = 0;
    for (long i = 0; i < n; i += 1024) {
        long end = i + 1024 < n ? i + 1024 : n;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, q0 = s0, q1 = s0;
        long j = i;
        for (; j + 32 <= end; j += 32) {
            __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(p + j), kv);
            __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(p + j + 16), kv);
            s0 = _mm512_add_ps(s0, d0);
            s1 = _mm512_add_ps(s1, d1);
            q0 = _mm512_fmadd_ps(d0, d0, q0);
            q1 = _mm512_fmadd_ps(d1, d1, q1);
        }
        for (; j < end; j += 16) {
            __mmask16 m = end - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (end - j)) - 1);
            __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, p + j), kv);
            s0 = _mm512_add_ps(s0, d);
            q0 = _mm512_fmadd_ps(d, d, q0);
        }
        sum += (double)_mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
        squares += (double)_mm512_reduce_add_ps(_mm512_add_ps(q0, q1));
    }
    double d = sum / (double)n;
    double v = squares / (double)n - d * d;
    *mean = (double)shift + d;
    *variance = v > 0 ? v : 0;
}

// Row r < rows, i < n: dst[r * dst_stride + i] = act(src[r * src_stride + i] * scale + shift)
// (+ residual[r * src_stride + i]), act 0 identity, 1 relu, 2 leaky relu with `slope`; src may be dst.
__attribute__((target("avx512f")))
void th_scale_shift_avx512(const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                           float scale, float shift, int act, float slope, const float *residual) {
    const __m512 a = _mm512_set1_ps(scale), b = _mm512_set1_ps(shift), sl = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
    for (long r = 0; r < rows; r++, src += src_stride, dst += dst_stride) {
        const float *res = residual ? residual + r * src_stride : 0;
        for (long j = 0; j < n; j += 16) {
            __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
            __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, src + j), a, b);
            if (act == 1) v = _mm512_max_ps(v, zero);
            else if (act == 2) v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, sl);
            if (res) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, res + j), v);
            _mm512_mask_storeu_ps(dst + j, m, v);
        }
    }
}
#endif

int th_moments(int level, const float *p, long n, double *mean, double *variance) {
    if (!th_kernel_runs(TH_KERNEL_MOMENTS, level) || n <= 0) return 0;
#if TH_X86
    moments_avx512(p, n, mean, variance);
    return 1;
#else
    return 0;
#endif
}

int th_scale_shift(int level, const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                   float scale, float shift, int act, float slope, const float *residual) {
    if (!th_kernel_runs(TH_KERNEL_SCALE_SHIFT, level)) return 0;
#if TH_X86
    th_scale_shift_avx512(src, src_stride, dst, dst_stride, rows, n, scale, shift, act, slope, residual);
    return 1;
#else
    return 0;
#endif
}
