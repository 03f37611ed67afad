#include "CKernels.h"
#include <stdlib.h>

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

// Output channels per pass of th_conv_rows: 8 channels x 2 vectors of accumulators.
#define TH_G 8

// w_group[(ci * kk + t) * TH_G + g]: weights of output channels o0 + g, zero past cout.
static void gather_group(const float *weight, long cin, long cout, long kk, long o0, float *w_group) {
    for (long ci = 0; ci < cin; ci++)
        for (long t = 0; t < kk; t++)
            for (long g = 0; g < TH_G; g++)
                w_group[(ci * kk + t) * TH_G + g] = o0 + g < cout ? weight[((o0 + g) * cin + ci) * kk + t] : 0.0f;
}

__attribute__((target("avx512f")))
static void conv_rows_avx512(int k, const float *padded, long cin, long chan_stride, long row_stride,
                                const float *w_group, const float *bias, long o0, long cout, long rows,
                                long wo, float *out, long out_plane) {
    long gn = cout - o0 < TH_G ? cout - o0 : TH_G;
    for (long oy = 0; oy < rows; oy++) {
        for (long x = 0; x < wo; x += 32) {
            long left = wo - x;
            __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            __mmask16 m1 = left >= 32 ? (__mmask16)0xFFFF : (left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0);
            __m512 a[TH_G][2];
            for (int g = 0; g < TH_G; g++) {
                float b = (bias && o0 + g < cout) ? bias[o0 + g] : 0.0f;
                a[g][0] = _mm512_set1_ps(b);
                a[g][1] = a[g][0];
            }
            for (long ci = 0; ci < cin; ci++) {
                const float *base = padded + ci * chan_stride + oy * row_stride + x;
                const float *wc = w_group + ci * k * k * TH_G;
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        const float *r = base + ky * row_stride + kx;
                        __m512 v0 = _mm512_maskz_loadu_ps(m0, r);
                        __m512 v1 = _mm512_maskz_loadu_ps(m1, r + 16);
                        const float *wt = wc + (ky * k + kx) * TH_G;
                        for (int g = 0; g < TH_G; g++) {
                            __m512 wv = _mm512_set1_ps(wt[g]);
                            a[g][0] = _mm512_fmadd_ps(wv, v0, a[g][0]);
                            a[g][1] = _mm512_fmadd_ps(wv, v1, a[g][1]);
                        }
                    }
                }
            }
            for (long g = 0; g < gn; g++) {
                float *o = out + (o0 + g) * out_plane + oy * wo + x;
                _mm512_mask_storeu_ps(o, m0, a[g][0]);
                if (m1) _mm512_mask_storeu_ps(o + 16, m1, a[g][1]);
            }
        }
    }
}

__attribute__((target("avx2,fma")))
static void conv_rows_avx2(int k, const float *padded, long cin, long chan_stride, long row_stride,
                              const float *w_group, const float *bias, long o0, long cout, long rows,
                              long wo, float *out, long out_plane) {
    long gn = cout - o0 < TH_G ? cout - o0 : TH_G;
    for (long oy = 0; oy < rows; oy++) {
        long x = 0;
        for (; x + 8 <= wo; x += 8) {
            __m256 a[TH_G];
            for (int g = 0; g < TH_G; g++) a[g] = _mm256_set1_ps((bias && o0 + g < cout) ? bias[o0 + g] : 0.0f);
            for (long ci = 0; ci < cin; ci++) {
                const float *base = padded + ci * chan_stride + oy * row_stride + x;
                const float *wc = w_group + ci * k * k * TH_G;
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        __m256 v = _mm256_loadu_ps(base + ky * row_stride + kx);
                        const float *wt = wc + (ky * k + kx) * TH_G;
                        for (int g = 0; g < TH_G; g++) a[g] = _mm256_fmadd_ps(_mm256_set1_ps(wt[g]), v, a[g]);
                    }
                }
            }
            for (long g = 0; g < gn; g++) _mm256_storeu_ps(out + (o0 + g) * out_plane + oy * wo + x, a[g]);
        }
        for (; x < wo; x++) {
            for (long g = 0; g < gn; g++) {
                float acc = bias ? bias[o0 + g] : 0.0f;
                for (long ci = 0; ci < cin; ci++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                            acc = __builtin_fmaf(w_group[(ci * k * k + ky * k + kx) * TH_G + g],
                                                 padded[ci * chan_stride + (oy + ky) * row_stride + x + kx], acc);
                out[(o0 + g) * out_plane + oy * wo + x] = acc;
            }
        }
    }
}

void th_conv_rows(int level, int k, const float *padded, long cin, long chan_stride, long row_stride,
                  const float *weight, const float *bias, long cout, long rows, long wo,
                  float *out, long out_plane) {
    float *w_group = (float *)malloc((size_t)cin * k * k * TH_G * sizeof(float));
    if (!w_group) abort();
    for (long o0 = 0; o0 < cout; o0 += TH_G) {
        gather_group(weight, cin, cout, (long)k * k, o0, w_group);
        if (level == 2)
            conv_rows_avx512(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
        else
            conv_rows_avx2(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
    }
    free(w_group);
}

#else
int th_vector_level(void) { return 0; }
void th_conv_rows(int level, int k, const float *padded, long cin, long chan_stride, long row_stride,
                  const float *weight, const float *bias, long cout, long rows, long wo,
                  float *out, long out_plane) {
    (void)level; (void)k; (void)padded; (void)cin; (void)chan_stride; (void)row_stride; (void)weight; (void)bias;
    (void)cout; (void)rows; (void)wo; (void)out; (void)out_plane;
}
void th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                       const long *tap_offset, long taps, long rows, long wo, float *out) {
    (void)level; (void)padded; (void)row_stride; (void)s; (void)w; (void)tap_offset; (void)taps; (void)rows; (void)wo; (void)out;
}
#endif
