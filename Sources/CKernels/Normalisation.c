// Instance norm: per-channel moments (th_moments) and the affine map + activation that applies
// it, in place or while copying (th_scale_shift).
#include "Internal.h"

#if TH_X86
// Opens the loop over blocks i ..< end of 1024 values, and sums (s0, s1) and squares (q0, q1) of
// p[j] - kv in W-bit vectors of L floats, two at a time while two whole vectors are left (j: the
// first value left).
#define TH_MOMENTS_BLOCK(W, L)                                                                          \
    for (long i = 0; i < n; i += 1024) {                                                               \
        long end = i + 1024 < n ? i + 1024 : n;                                                        \
        __m##W s0 = _mm##W##_setzero_ps(), s1 = s0, q0 = s0, q1 = s0;                                  \
        long j = i;                                                                                    \
    for (; j + 2 * L <= end; j += 2 * L) {                                                             \
        __m##W d0 = _mm##W##_sub_ps(_mm##W##_loadu_ps(p + j), kv);                                     \
        __m##W d1 = _mm##W##_sub_ps(_mm##W##_loadu_ps(p + j + L), kv);                                 \
        s0 = _mm##W##_add_ps(s0, d0);                                                                  \
        s1 = _mm##W##_add_ps(s1, d1);                                                                  \
        q0 = _mm##W##_fmadd_ps(d0, d0, q0);                                                            \
        q1 = _mm##W##_fmadd_ps(d1, d1, q1);                                                            \
    }

// Mean and biased variance from the sums of the n values shifted by `shift` and of their squares.
static inline void finish_moments(double sum, double squares, long n, float shift, double *mean, double *variance) {
    double d = sum / (double)n;
    double v = squares / (double)n - d * d;
    *mean = (double)shift + d;
    *variance = v > 0 ? v : 0;
}

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
    TH_MOMENTS_BLOCK(512, 16)
        for (; j < end; j += 16) {
            __mmask16 m = end - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (end - j)) - 1);
            __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, p + j), kv);
            s0 = _mm512_add_ps(s0, d);
            q0 = _mm512_fmadd_ps(d, d, q0);
        }
        sum += (double)_mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
        squares += (double)_mm512_reduce_add_ps(_mm512_add_ps(q0, q1));
    }
    finish_moments(sum, squares, n, shift, mean, variance);
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
// moments_avx512 in 8-wide vectors (the shift: the mean of the first 8 values or fewer).
__attribute__((target("avx2,fma")))
static void moments_avx2(const float *p, long n, double *mean, double *variance) {
    long first = n < 8 ? n : 8;
    float shift = 0;
    for (long i = 0; i < first; i++) shift += p[i];
    shift /= (float)first;
    __m256 kv = _mm256_set1_ps(shift);
    double sum = 0, squares = 0;
    TH_MOMENTS_BLOCK(256, 8)
        float lanes[8], tail_sum = 0, tail_squares = 0;
        for (; j < end; j++) {
            float d = p[j] - shift;
            tail_sum += d;
            tail_squares = __builtin_fmaf(d, d, tail_squares);
        }
        _mm256_storeu_ps(lanes, _mm256_add_ps(s0, s1));
        float block = tail_sum;
        for (int l = 0; l < 8; l++) block += lanes[l];
        sum += (double)block;
        _mm256_storeu_ps(lanes, _mm256_add_ps(q0, q1));
        block = tail_squares;
        for (int l = 0; l < 8; l++) block += lanes[l];
        squares += (double)block;
    }
    finish_moments(sum, squares, n, shift, mean, variance);
}

// th_scale_shift_avx512 in 8-wide vectors.
__attribute__((target("avx2,fma")))
void th_scale_shift_avx2(const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                         float scale, float shift, int act, float slope, const float *residual) {
    const __m256 a = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift), sl = _mm256_set1_ps(slope), zero = _mm256_setzero_ps();
    const __m256i mk = tail_mask_avx2(n & 7);
    for (long r = 0; r < rows; r++, src += src_stride, dst += dst_stride) {
        const float *res = residual ? residual + r * src_stride : 0;
        for (long j = 0; j < n; j += 8) {
            int whole = n - j >= 8;
            __m256 v = _mm256_fmadd_ps(whole ? _mm256_loadu_ps(src + j) : _mm256_maskload_ps(src + j, mk), a, b);
            if (act == 1) v = _mm256_max_ps(v, zero);
            else if (act == 2) v = _mm256_blendv_ps(v, _mm256_mul_ps(v, sl), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
            if (res) v = _mm256_add_ps(whole ? _mm256_loadu_ps(res + j) : _mm256_maskload_ps(res + j, mk), v);
            if (whole) _mm256_storeu_ps(dst + j, v);
            else _mm256_maskstore_ps(dst + j, mk, v);
        }
    }
}
#endif

int th_moments(int level, const float *p, long n, double *mean, double *variance) {
    if (!th_kernel_runs(TH_KERNEL_MOMENTS, level) || n <= 0) return 0;
#if TH_X86
    if (th_level(level) >= 2) moments_avx512(p, n, mean, variance);
    else moments_avx2(p, n, mean, variance);
    return 1;
#else
    return 0;
#endif
}

int th_scale_shift(int level, const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                   float scale, float shift, int act, float slope, const float *residual) {
    if (!th_kernel_runs(TH_KERNEL_SCALE_SHIFT, level)) return 0;
#if TH_X86
    if (th_level(level) >= 2) th_scale_shift_avx512(src, src_stride, dst, dst_stride, rows, n, scale, shift, act, slope, residual);
    else th_scale_shift_avx2(src, src_stride, dst, dst_stride, rows, n, scale, shift, act, slope, residual);
    return 1;
#else
    return 0;
#endif
}
