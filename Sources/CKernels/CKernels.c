#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int th_vector_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

__attribute__((target("avx512f")))
static void depthwise_rows_avx512(const float *padded, long row_stride, long s, const float *w,
                                  const long *tap_offset, long taps, long rows, long wo, float *out) {
    for (long oy = 0; oy < rows; oy++) {
        const float *base = padded + oy * s * row_stride;
        float *o = out + oy * wo;
        long x = 0;
        for (; x + 64 <= wo; x += 64) {
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (long t = 0; t < taps; t++) {
                const float *r = base + tap_offset[t] + x;
                __m512 wt = _mm512_set1_ps(w[t]);
                a0 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r), a0);
                a1 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r + 16), a1);
                a2 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r + 32), a2);
                a3 = _mm512_fmadd_ps(wt, _mm512_loadu_ps(r + 48), a3);
            }
            _mm512_storeu_ps(o + x, a0);
            _mm512_storeu_ps(o + x + 16, a1);
            _mm512_storeu_ps(o + x + 32, a2);
            _mm512_storeu_ps(o + x + 48, a3);
        }
        for (; x < wo; x += 16) {
            __mmask16 m = (wo - x) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (wo - x)) - 1);
            __m512 a = _mm512_setzero_ps();
            for (long t = 0; t < taps; t++) {
                a = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_maskz_loadu_ps(m, base + tap_offset[t] + x), a);
            }
            _mm512_mask_storeu_ps(o + x, m, a);
        }
    }
}

__attribute__((target("avx2,fma")))
static void depthwise_rows_avx2(const float *padded, long row_stride, long s, const float *w,
                                const long *tap_offset, long taps, long rows, long wo, float *out) {
    for (long oy = 0; oy < rows; oy++) {
        const float *base = padded + oy * s * row_stride;
        float *o = out + oy * wo;
        long x = 0;
        for (; x + 32 <= wo; x += 32) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (long t = 0; t < taps; t++) {
                const float *r = base + tap_offset[t] + x;
                __m256 wt = _mm256_set1_ps(w[t]);
                a0 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r), a0);
                a1 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r + 8), a1);
                a2 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r + 16), a2);
                a3 = _mm256_fmadd_ps(wt, _mm256_loadu_ps(r + 24), a3);
            }
            _mm256_storeu_ps(o + x, a0);
            _mm256_storeu_ps(o + x + 8, a1);
            _mm256_storeu_ps(o + x + 16, a2);
            _mm256_storeu_ps(o + x + 24, a3);
        }
        for (; x + 8 <= wo; x += 8) {
            __m256 a = _mm256_setzero_ps();
            for (long t = 0; t < taps; t++) {
                a = _mm256_fmadd_ps(_mm256_set1_ps(w[t]), _mm256_loadu_ps(base + tap_offset[t] + x), a);
            }
            _mm256_storeu_ps(o + x, a);
        }
        for (; x < wo; x++) {
            float a = 0;
            for (long t = 0; t < taps; t++) a = __builtin_fmaf(w[t], base[tap_offset[t] + x], a);
            o[x] = a;
        }
    }
}

void th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                       const long *tap_offset, long taps, long rows, long wo, float *out) {
    if (level == 2) depthwise_rows_avx512(padded, row_stride, s, w, tap_offset, taps, rows, wo, out);
    else depthwise_rows_avx2(padded, row_stride, s, w, tap_offset, taps, rows, wo, out);
}

#else
int th_vector_level(void) { return 0; }
void th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                       const long *tap_offset, long taps, long rows, long wo, float *out) {
    (void)level; (void)padded; (void)row_stride; (void)s; (void)w; (void)tap_offset; (void)taps; (void)rows; (void)wo; (void)out;
}
#endif
