// Sigmoid and tanh with a vectorised exp (th_activate).
#include "Internal.h"

#if TH_X86
// exp(x) for x <= 0 in [-87.3, 0] (Cephes expf: range reduction by ln 2, degree-6 polynomial,
// relative error about 1e-7); below -87.3 the result is flushed to 0. This part declares
// fx = round(x / ln 2) and y = exp(x - fx ln 2) in W-bit vectors (ROUND: the width's rounding
// intrinsic); exp(x) is then y * 2^fx.
#define TH_EXP_REDUCED(W, ROUND)                                                                        \
    x = _mm##W##_max_ps(x, _mm##W##_set1_ps(-87.3f));                                                  \
    __m##W fx = ROUND(_mm##W##_mul_ps(x, _mm##W##_set1_ps(1.44269504088896341f)),                      \
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);                                  \
    x = _mm##W##_fnmadd_ps(fx, _mm##W##_set1_ps(0.693359375f), x);                                     \
    x = _mm##W##_fnmadd_ps(fx, _mm##W##_set1_ps(-2.12194440e-4f), x);                                  \
    __m##W y = _mm##W##_set1_ps(1.9875691500E-4f);                                                     \
    y = _mm##W##_add_ps(_mm##W##_mul_ps(y, x), _mm##W##_set1_ps(1.3981999507E-3f));                    \
    y = _mm##W##_add_ps(_mm##W##_mul_ps(y, x), _mm##W##_set1_ps(8.3334519073E-3f));                    \
    y = _mm##W##_add_ps(_mm##W##_mul_ps(y, x), _mm##W##_set1_ps(4.1665795894E-2f));                    \
    y = _mm##W##_add_ps(_mm##W##_mul_ps(y, x), _mm##W##_set1_ps(1.6666665459E-1f));                    \
    y = _mm##W##_add_ps(_mm##W##_mul_ps(y, x), _mm##W##_set1_ps(5.0000001201E-1f));                    \
    y = _mm##W##_add_ps(_mm##W##_add_ps(_mm##W##_mul_ps(_mm##W##_mul_ps(y, x), x), x), _mm##W##_set1_ps(1.0f));

__attribute__((target("avx512f")))
static inline __m512 exp_neg_avx512(__m512 x) {
    TH_EXP_REDUCED(512, _mm512_roundscale_ps)
    return _mm512_scalef_ps(y, fx);
}

__attribute__((target("avx2,fma")))
static inline __m256 exp_neg_avx2(__m256 x) {
    TH_EXP_REDUCED(256, _mm256_round_ps)
    // 2^fx for fx in [-126, 0]: the exponent field of fx + 127.
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// kind 0: sigmoid 1 / (1 + exp(-x)); kind 1: tanh, sign(x) (1 - t) / (1 + t) with t = exp(-2|x|).
__attribute__((target("avx512f")))
static void activate_avx512(int kind, float *x, long n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i), r;
        if (kind == 0) {
            // exp(-x) for x >= 0; for x < 0, sigmoid(x) = e / (1 + e) with e = exp(x).
            __m512 a = _mm512_abs_ps(v);
            __m512 e = exp_neg_avx512(_mm512_sub_ps(_mm512_setzero_ps(), a));
            __m512 pos = _mm512_div_ps(one, _mm512_add_ps(one, e));
            __m512 neg = _mm512_div_ps(e, _mm512_add_ps(one, e));
            r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), pos, neg);
        } else {
            __m512 a = _mm512_abs_ps(v);
            __m512 t = exp_neg_avx512(_mm512_mul_ps(a, _mm512_set1_ps(-2.0f)));
            __m512 th = _mm512_div_ps(_mm512_sub_ps(one, t), _mm512_add_ps(one, t));
            // Copy the sign of v.
            r = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(th),
                    _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32((int)0x80000000))));
        }
        _mm512_mask_storeu_ps(x + i, m, r);
    }
}

__attribute__((target("avx2,fma")))
static void activate_avx2(int kind, float *x, long n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000));
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), r;
        __m256 a = _mm256_andnot_ps(sign, v);
        if (kind == 0) {
            __m256 e = exp_neg_avx2(_mm256_sub_ps(_mm256_setzero_ps(), a));
            __m256 pos = _mm256_div_ps(one, _mm256_add_ps(one, e));
            __m256 neg = _mm256_div_ps(e, _mm256_add_ps(one, e));
            r = _mm256_blendv_ps(pos, neg, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
        } else {
            __m256 t = exp_neg_avx2(_mm256_mul_ps(a, _mm256_set1_ps(-2.0f)));
            __m256 th = _mm256_div_ps(_mm256_sub_ps(one, t), _mm256_add_ps(one, t));
            r = _mm256_or_ps(th, _mm256_and_ps(v, sign));
        }
        _mm256_storeu_ps(x + i, r);
    }
    for (; i < n; i++) {
        float v = x[i];
        x[i] = kind == 0 ? 1.0f / (1.0f + __builtin_expf(-v)) : __builtin_tanhf(v);
    }
}
#endif

int th_activate(int level, int kind, float *x, long n) {
    if (!th_kernel_runs(TH_KERNEL_ACTIVATE, level)) return 0;
#if TH_X86
    if (th_level(level) >= 2) activate_avx512(kind, x, n);
    else activate_avx2(kind, x, n);
    return 1;
#else
    return 0;
#endif
}
