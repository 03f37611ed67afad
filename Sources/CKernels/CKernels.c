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
    }
    // Columns past the last 64-wide block (all of them on planes up to 63 wide): 16-wide
    // vectors of 4 rows at once, so 4 accumulations are in flight instead of one chain of
    // `taps` dependent FMAs. Past the last row, a block repeats it and stores nothing.
    long x0 = wo & ~63L;
    if (x0 == wo) return;
    for (long oy = 0; oy < rows; oy += 4) {
        const float *b[4];
        for (int r = 0; r < 4; r++) b[r] = padded + (oy + r < rows ? oy + r : rows - 1) * s * row_stride;
        for (long x = x0; x < wo; x += 16) {
            __mmask16 m = (wo - x) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (wo - x)) - 1);
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (long t = 0; t < taps; t++) {
                __m512 wt = _mm512_set1_ps(w[t]);
                long off = tap_offset[t] + x;
                a0 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m, b[0] + off), a0);
                a1 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m, b[1] + off), a1);
                a2 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m, b[2] + off), a2);
                a3 = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m, b[3] + off), a3);
            }
            float *o = out + oy * wo + x;
            _mm512_mask_storeu_ps(o, m, a0);
            if (oy + 1 < rows) _mm512_mask_storeu_ps(o + wo, m, a1);
            if (oy + 2 < rows) _mm512_mask_storeu_ps(o + 2 * wo, m, a2);
            if (oy + 3 < rows) _mm512_mask_storeu_ps(o + 3 * wo, m, a3);
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

__attribute__((target("avx512f")))
static void scale_shift_avx512(const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                               float scale, float shift, int act, float slope, const float *residual);

// act(v * scale + shift) as scale_shift_avx512 computes it.
__attribute__((target("avx512f")))
static inline __m512 affine_act_avx512(__m512 v, __m512 a, __m512 b, int act, __m512 sl) {
    v = _mm512_fmadd_ps(v, a, b);
    if (act == 1) v = _mm512_max_ps(v, _mm512_setzero_ps());
    else if (act == 2) v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, sl);
    return v;
}

// One input row (w floats, through the affine map when `norm`) split for a stride-2 kernel:
// column x goes to padded column j = x + p, stored at (j even ? j / 2 : half + j / 2).
__attribute__((target("avx512f")))
static void split_row_avx512(const float *in, long w, long p, long half, float *row, int norm, __m512 a, __m512 b,
                             int act, __m512 sl, float fa, float fb, float fslope) {
    const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd_idx = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    // Even x: j = x + p has p's parity.
    float *dst_even_x = (p & 1) ? row + half + (p >> 1) : row + (p >> 1);
    float *dst_odd_x = (p & 1) ? row + ((p + 1) >> 1) : row + half + (p >> 1);
    long x = 0;
    for (; x + 32 <= w; x += 32) {
        __m512 v0 = _mm512_loadu_ps(in + x), v1 = _mm512_loadu_ps(in + x + 16);
        if (norm) { v0 = affine_act_avx512(v0, a, b, act, sl); v1 = affine_act_avx512(v1, a, b, act, sl); }
        _mm512_storeu_ps(dst_even_x + x / 2, _mm512_permutex2var_ps(v0, even_idx, v1));
        _mm512_storeu_ps(dst_odd_x + x / 2, _mm512_permutex2var_ps(v0, odd_idx, v1));
    }
    for (; x < w; x++) {
        float v = in[x];
        if (norm) {
            v = __builtin_fmaf(v, fa, fb);
            if (act == 1) v = v > 0 ? v : 0;
            else if (act == 2) v = v < 0 ? v * fslope : v;
        }
        long j = x + p;
        row[(j & 1) * half + (j >> 1)] = v;
    }
}

__attribute__((target("avx512f")))
static void depthwise_band_avx512(const float *src, long plane_stride, long channels, long h, long w, long k, long s,
                                  long p, const float *weight, const float *scale, const float *shift, int act, float slope,
                                  long oy0, long rows, float *scratch, long row_stride, float *out, long ldm) {
    long wo = (w + 2 * p - k) / s + 1, in_rows = (rows - 1) * s + k, iy0 = oy0 * s - p;
    long half = (w + 2 * p + 1) / 2;
    long tap_offset[49];
    for (long ky = 0; ky < k; ky++)
        for (long kx = 0; kx < k; kx++)
            tap_offset[ky * k + kx] = ky * row_stride + (s == 1 ? kx : (kx & 1) * half + (kx >> 1));
    // Padding columns and rows outside the image stay zero from here on; image columns are
    // rewritten for every channel.
    for (long r = 0; r < in_rows; r++) {
        float *row = scratch + r * row_stride;
        long y = iy0 + r;
        if (y < 0 || y >= h || s == 2) { for (long j = 0; j < row_stride; j++) row[j] = 0; continue; }
        for (long j = 0; j < p; j++) row[j] = 0;
        for (long j = p + w; j < row_stride; j++) row[j] = 0;
    }
    long ya = iy0 < 0 ? 0 : iy0, yb = iy0 + in_rows > h ? h : iy0 + in_rows;
    const __m512 sl = _mm512_set1_ps(slope);
    for (long c = 0; c < channels; c++) {
        const float *plane = src + c * plane_stride;
        if (s == 2) {
            float fa = scale ? scale[c] : 1, fb = scale ? shift[c] : 0;
            for (long y = ya; y < yb; y++)
                split_row_avx512(plane + y * w, w, p, half, scratch + (y - iy0) * row_stride, scale != 0,
                                 _mm512_set1_ps(fa), _mm512_set1_ps(fb), act, sl, fa, fb, slope);
        } else if (scale) {
            scale_shift_avx512(plane + ya * w, w, scratch + (ya - iy0) * row_stride + p, row_stride, yb - ya, w,
                               scale[c], shift[c], act, slope, 0);
        } else {
            for (long y = ya; y < yb; y++) {
                const float *in = plane + y * w;
                float *o = scratch + (y - iy0) * row_stride + p;
                for (long j = 0; j < w; j += 16) {
                    __mmask16 m = w - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (w - j)) - 1);
                    _mm512_mask_storeu_ps(o + j, m, _mm512_maskz_loadu_ps(m, in + j));
                }
            }
        }
        depthwise_rows_avx512(scratch, row_stride, s, weight + c * k * k, tap_offset, k * k, rows, wo, out + c * ldm);
    }
}

int th_depthwise_band(int level, const float *src, long plane_stride, long channels, long h, long w, long k, long s,
                      long p, const float *weight, const float *scale, const float *shift, int act, float slope,
                      long oy0, long rows, float *scratch, long row_stride, float *out, long ldm) {
    if (level < 2 || k > 7 || (s != 1 && s != 2) || (scale && act < 0)) return 0;
    depthwise_band_avx512(src, plane_stride, channels, h, w, k, s, p, weight, scale, shift, act, slope, oy0, rows,
                          scratch, row_stride, out, ldm);
    return 1;
}

void th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                       const long *tap_offset, long taps, long rows, long wo, float *out) {
    if (level == 2) depthwise_rows_avx512(padded, row_stride, s, w, tap_offset, taps, rows, wo, out);
    else depthwise_rows_avx2(padded, row_stride, s, w, tap_offset, taps, rows, wo, out);
}

// Output channels per pass of th_conv_rows: TH_G channels (the AVX2 loop; the AVX-512 loop
// takes 4, 6, 8, 10 or 12, whichever computes the fewest channels past cout) x 2 vectors.
#define TH_G 8
#define TH_G_MAX 12

// w_group[(ci * kk + t) * G + g]: weights of output channels o0 + g, zero past cout.
static void gather_group(const float *weight, long cin, long cout, long kk, long o0, long G, float *w_group) {
    for (long ci = 0; ci < cin; ci++)
        for (long t = 0; t < kk; t++)
            for (long g = 0; g < G; g++)
                w_group[(ci * kk + t) * G + g] = o0 + g < cout ? weight[((o0 + g) * cin + ci) * kk + t] : 0.0f;
}

#define TH_CONV_ROWS_AVX512(NAME, G)                                                                   \
__attribute__((target("avx512f"), always_inline))                                                      \
static inline void NAME##_body(int k, const float *padded, long cin, long chan_stride, long row_stride, \
                 const float *w_group, const float *bias, long o0, long cout, long rows,               \
                 long wo, float *out, long out_plane) {                                                \
    long gn = cout - o0 < G ? cout - o0 : G;                                                           \
    for (long oy = 0; oy < rows; oy++) {                                                               \
        for (long x = 0; x < wo; x += 32) {                                                            \
            long left = wo - x;                                                                        \
            __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);             \
            __mmask16 m1 = left >= 32 ? (__mmask16)0xFFFF                                              \
                                      : (left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0);        \
            __m512 a[G][2];                                                                            \
            for (int g = 0; g < G; g++) {                                                              \
                float b = (bias && o0 + g < cout) ? bias[o0 + g] : 0.0f;                               \
                a[g][0] = _mm512_set1_ps(b);                                                           \
                a[g][1] = a[g][0];                                                                     \
            }                                                                                          \
            for (long ci = 0; ci < cin; ci++) {                                                        \
                const float *base = padded + ci * chan_stride + oy * row_stride + x;                   \
                const float *wc = w_group + ci * k * k * G;                                            \
                for (int ky = 0; ky < k; ky++) {                                                       \
                    for (int kx = 0; kx < k; kx++) {                                                   \
                        const float *r = base + ky * row_stride + kx;                                  \
                        __m512 v0 = _mm512_maskz_loadu_ps(m0, r);                                      \
                        __m512 v1 = _mm512_maskz_loadu_ps(m1, r + 16);                                 \
                        const float *wt = wc + (ky * k + kx) * G;                                      \
                        for (int g = 0; g < G; g++) {                                                  \
                            __m512 wv = _mm512_set1_ps(wt[g]);                                         \
                            a[g][0] = _mm512_fmadd_ps(wv, v0, a[g][0]);                                \
                            a[g][1] = _mm512_fmadd_ps(wv, v1, a[g][1]);                                \
                        }                                                                              \
                    }                                                                                  \
                }                                                                                      \
            }                                                                                          \
            for (long g = 0; g < gn; g++) {                                                            \
                float *o = out + (o0 + g) * out_plane + oy * wo + x;                                   \
                _mm512_mask_storeu_ps(o, m0, a[g][0]);                                                 \
                if (m1) _mm512_mask_storeu_ps(o + 16, m1, a[g][1]);                                    \
            }                                                                                          \
        }                                                                                              \
    }                                                                                                  \
}                                                                                                      \
/* 3x3 (every head of the THA3 networks) with the taps unrolled; other sizes generic. */              \
__attribute__((target("avx512f")))                                                                     \
static void NAME(int k, const float *padded, long cin, long chan_stride, long row_stride,              \
                 const float *w_group, const float *bias, long o0, long cout, long rows,               \
                 long wo, float *out, long out_plane) {                                                \
    if (k == 3) NAME##_body(3, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows,   \
                            wo, out, out_plane);                                                       \
    else NAME##_body(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, \
                     out_plane);                                                                       \
}

TH_CONV_ROWS_AVX512(conv_rows_avx512_2, 2)
TH_CONV_ROWS_AVX512(conv_rows_avx512_4, 4)
TH_CONV_ROWS_AVX512(conv_rows_avx512_6, 6)
TH_CONV_ROWS_AVX512(conv_rows_avx512_8, 8)
TH_CONV_ROWS_AVX512(conv_rows_avx512_10, 10)
TH_CONV_ROWS_AVX512(conv_rows_avx512_12, 12)

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

// exp(x) for x <= 0 in [-87.3, 0] (Cephes expf: range reduction by ln 2, degree-6 polynomial,
// relative error about 1e-7); below -87.3 the result is flushed to 0.
#define TH_EXP_POLY(MUL, ADD, SET1, x, y)                                                               \
    y = SET1(1.9875691500E-4f);                                                                     \
    y = ADD(MUL(y, x), SET1(1.3981999507E-3f));                                                     \
    y = ADD(MUL(y, x), SET1(8.3334519073E-3f));                                                     \
    y = ADD(MUL(y, x), SET1(4.1665795894E-2f));                                                     \
    y = ADD(MUL(y, x), SET1(1.6666665459E-1f));                                                     \
    y = ADD(MUL(y, x), SET1(5.0000001201E-1f));                                                     \
    y = ADD(ADD(MUL(MUL(y, x), x), x), SET1(1.0f));

__attribute__((target("avx512f")))
static inline __m512 exp_neg_avx512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
    x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), x);
    __m512 y;
    TH_EXP_POLY(_mm512_mul_ps, _mm512_add_ps, _mm512_set1_ps, x, y)
    return _mm512_scalef_ps(y, fx);
}

__attribute__((target("avx2,fma")))
static inline __m256 exp_neg_avx2(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
    __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y;
    TH_EXP_POLY(_mm256_mul_ps, _mm256_add_ps, _mm256_set1_ps, x, y)
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

int th_activate(int level, int kind, float *x, long n) {
    if (level >= 2) { activate_avx512(kind, x, n); return 1; }
    if (level == 1) { activate_avx2(kind, x, n); return 1; }
    return 0;
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

int th_moments(int level, const float *p, long n, double *mean, double *variance) {
    if (level < 2 || n <= 0) return 0;
    moments_avx512(p, n, mean, variance);
    return 1;
}

// Row r < rows, i < n: dst[r * dst_stride + i] = act(src[r * src_stride + i] * scale + shift)
// (+ residual[r * src_stride + i]), act 0 identity, 1 relu, 2 leaky relu with `slope`; src may be dst.
__attribute__((target("avx512f")))
static void scale_shift_avx512(const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
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

int th_scale_shift(int level, const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                   float scale, float shift, int act, float slope, const float *residual) {
    if (level < 2) return 0;
    scale_shift_avx512(src, src_stride, dst, dst_stride, rows, n, scale, shift, act, slope, residual);
    return 1;
}

// The 3x3 (padding 1) depthwise convolution of a nearest-2x-upsampled plane, read from the low
// plane: output (2i + a, 2j + b) is a 2x2 stencil on low rows (i - 1 + a, i + a) and columns
// (j - 1 + b, j + b) whose weights are sums of the 3x3 weights (row group {0}, {1, 2} for a = 0
// and {0, 1}, {2} for a = 1; columns likewise).
__attribute__((target("avx512f")))
static void depthwise_up2_rows_avx512(const float *padded, long row_stride, long lr0, const float *w,
                                      long oy0, long rows, long lw, float *out) {
    // g[a][r][k]: weight of 3x3 row/column k in group r for parity a.
    static const float g[2][2][3] = {{{1, 0, 0}, {0, 1, 1}}, {{1, 1, 0}, {0, 0, 1}}};
    float c[2][2][2][2];  // c[a][b][r][q]
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (int r = 0; r < 2; r++)
                for (int q = 0; q < 2; q++) {
                    float sum = 0;
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            if (g[a][r][ky] != 0 && g[b][q][kx] != 0) sum += w[ky * 3 + kx];
                    c[a][b][r][q] = sum;
                }
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    long wo = 2 * lw;
    for (long y = oy0; y < oy0 + rows; y++) {
        long i = y >> 1, a = y & 1;
        const float *p0 = padded + (i - 1 + a - lr0) * row_stride;  // low row i - 1 + a, column j - 1 at p0[j]
        const float *p1 = p0 + row_stride;
        float *o = out + (y - oy0) * wo;
        __m512 e00 = _mm512_set1_ps(c[a][0][0][0]), e01 = _mm512_set1_ps(c[a][0][0][1]);
        __m512 e10 = _mm512_set1_ps(c[a][0][1][0]), e11 = _mm512_set1_ps(c[a][0][1][1]);
        __m512 d00 = _mm512_set1_ps(c[a][1][0][0]), d01 = _mm512_set1_ps(c[a][1][0][1]);
        __m512 d10 = _mm512_set1_ps(c[a][1][1][0]), d11 = _mm512_set1_ps(c[a][1][1][1]);
        for (long j = 0; j < lw; j += 16) {
            __m512 a0 = _mm512_loadu_ps(p0 + j), a1 = _mm512_loadu_ps(p0 + j + 1), a2 = _mm512_loadu_ps(p0 + j + 2);
            __m512 b0 = _mm512_loadu_ps(p1 + j), b1 = _mm512_loadu_ps(p1 + j + 1), b2 = _mm512_loadu_ps(p1 + j + 2);
            __m512 even = _mm512_mul_ps(e00, a0);
            even = _mm512_fmadd_ps(e01, a1, even);
            even = _mm512_fmadd_ps(e10, b0, even);
            even = _mm512_fmadd_ps(e11, b1, even);
            __m512 odd = _mm512_mul_ps(d00, a1);
            odd = _mm512_fmadd_ps(d01, a2, odd);
            odd = _mm512_fmadd_ps(d10, b1, odd);
            odd = _mm512_fmadd_ps(d11, b2, odd);
            __m512 first = _mm512_permutex2var_ps(even, lo, odd);
            __m512 second = _mm512_permutex2var_ps(even, hi, odd);
            long left = wo - 2 * j;  // outputs still to write in this row
            if (left >= 32) {
                _mm512_storeu_ps(o + 2 * j, first);
                _mm512_storeu_ps(o + 2 * j + 16, second);
            } else {
                __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
                __mmask16 m1 = left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
                _mm512_mask_storeu_ps(o + 2 * j, m0, first);
                if (m1) _mm512_mask_storeu_ps(o + 2 * j + 16, m1, second);
            }
        }
    }
}

int th_depthwise_up2_rows(int level, const float *padded, long row_stride, long lr0, const float *w,
                          long oy0, long rows, long lw, float *out) {
    if (level < 2) return 0;
    depthwise_up2_rows_avx512(padded, row_stride, lr0, w, oy0, rows, lw, out);
    return 1;
}

// One MR x (16 * NV) tile of C (column vector j masked by mk[j]): rows o0..o0+rows-1 (rows <= MR)
// from the tile's packed rows of A (k groups of `rows` floats, see th_pack_rows), in k order.
// Inlined twice per shape: for whole tiles (rows = MR, constant) and for the last, partial one.
// (no_builtin: clang otherwise zeroes the accumulators of a bias-free tile with a call to
// memset on the stack and reloads them, 2% of a pose.)
#define TH_GEMM_TILE(NAME, MR, NV)                                                                      \
__attribute__((target("avx512f"), no_builtin("memset"), always_inline))                                \
static inline void NAME##_tile(const float *ap, long k, const float *b, long ldb, const float *bias,     \
                               float *c, long ldc, long o0, long rows, long x, const __mmask16 *mk) {   \
    __m512 acc[MR][NV];                                                                                \
    for (int r = 0; r < MR; r++) {                                                                     \
        long o = o0 + (r < rows ? r : rows - 1);                                                       \
        for (int j = 0; j < NV; j++) acc[r][j] = _mm512_set1_ps(bias ? bias[o] : 0.0f);               \
    }                                                                                                  \
    const float *bp = b + x;                                                                           \
    for (long kk = 0; kk < k; kk++, bp += ldb, ap += rows) {                                           \
        __m512 bv[NV];                                                                                 \
        for (int j = 0; j < NV; j++) bv[j] = _mm512_maskz_loadu_ps(mk[j], bp + 16 * j);               \
        for (int r = 0; r < MR; r++) {                                                                 \
            __m512 av = _mm512_set1_ps(ap[r < rows ? r : rows - 1]);                                   \
            for (int j = 0; j < NV; j++) acc[r][j] = _mm512_fmadd_ps(av, bv[j], acc[r][j]);            \
        }                                                                                              \
    }                                                                                                  \
    for (long r = 0; r < rows; r++) {                                                                  \
        float *o = c + (o0 + r) * ldc + x;                                                             \
        for (int j = 0; j < NV; j++)                                                                   \
            if (mk[j]) _mm512_mask_storeu_ps(o + 16 * j, mk[j], acc[r][j]);                            \
    }                                                                                                  \
}                                                                                                      \
/* Columns x .. x + 16 * NV of every row of C. */                                                      \
__attribute__((target("avx512f"), no_builtin("memset")))                                               \
static void NAME(const float *ap, long m, long k, const float *b, long ldb, const float *bias,           \
                 float *c, long ldc, long x, const __mmask16 *mk) {                                     \
    long o0 = 0;                                                                                       \
    for (; o0 + MR <= m; o0 += MR) NAME##_tile(ap + o0 * k, k, b, ldb, bias, c, ldc, o0, MR, x, mk);  \
    if (o0 < m) NAME##_tile(ap + o0 * k, k, b, ldb, bias, c, ldc, o0, m - o0, x, mk);                 \
}
TH_GEMM_TILE(gemm_columns_avx512_6x4, 6, 4)
TH_GEMM_TILE(gemm_columns_avx512_6x3, 6, 3)
TH_GEMM_TILE(gemm_columns_avx512_6x2, 6, 2)
TH_GEMM_TILE(gemm_columns_avx512_6x1, 6, 1)
TH_GEMM_TILE(gemm_columns_avx512_8x3, 8, 3)
TH_GEMM_TILE(gemm_columns_avx512_8x2, 8, 2)
TH_GEMM_TILE(gemm_columns_avx512_8x1, 8, 1)

// Tiles of 6 x 64 for sums of 256 and more (24 accumulators, 4 loads of B per 6 broadcasts of
// A), 8 x 48 for shorter ones; the last columns (n not a multiple of the width) in a tile just as
// wide as they need, in steps of 16, instead of a masked full one: a band of 96 columns (4 rows
// of 24) is 64 + 32, not 64 + 64 with half of the second tile computed for nothing.
__attribute__((target("avx512f")))
static void gemm_packed_avx512(const float *ap, int mr, long m, long k, const float *b, long ldb, long n,
                               const float *bias, float *c, long ldc) {
    long widest = mr == 6 ? 4 : 3;
    for (long x = 0; x < n;) {
        long left = n - x;
        long nv = left >= 16 * widest ? widest : (left + 15) / 16;
        __mmask16 mk[4];
        for (int j = 0; j < 4; j++) {
            long l = left - 16 * j;
            mk[j] = l >= 16 ? (__mmask16)0xFFFF : (l > 0 ? (__mmask16)((1u << l) - 1) : 0);
        }
        if (mr == 6) {
            if (nv == 4) gemm_columns_avx512_6x4(ap, m, k, b, ldb, bias, c, ldc, x, mk);
            else if (nv == 3) gemm_columns_avx512_6x3(ap, m, k, b, ldb, bias, c, ldc, x, mk);
            else if (nv == 2) gemm_columns_avx512_6x2(ap, m, k, b, ldb, bias, c, ldc, x, mk);
            else gemm_columns_avx512_6x1(ap, m, k, b, ldb, bias, c, ldc, x, mk);
        } else {
            if (nv == 3) gemm_columns_avx512_8x3(ap, m, k, b, ldb, bias, c, ldc, x, mk);
            else if (nv == 2) gemm_columns_avx512_8x2(ap, m, k, b, ldb, bias, c, ldc, x, mk);
            else gemm_columns_avx512_8x1(ap, m, k, b, ldb, bias, c, ldc, x, mk);
        }
        x += 16 * nv;
    }
}

int th_gemm_packed(int level, const float *ap, int mr, long m, long k, const float *b, long ldb, long n,
                   const float *bias, float *c, long ldc) {
    if (level < 2 || m <= 0 || n <= 0 || (mr != 6 && mr != 8)) return 0;
    gemm_packed_avx512(ap, mr, m, k, b, ldb, n, bias, c, ldc);
    return 1;
}

void th_conv_rows(int level, int k, const float *padded, long cin, long chan_stride, long row_stride,
                  const float *weight, const float *bias, long cout, long rows, long wo,
                  float *out, long out_plane) {
    long G = TH_G;
    if (level == 2) {
        // The group size that computes the fewest channels past cout (ties: the larger group).
        static const long sizes[] = {12, 10, 8, 6, 4, 2};
        long best = -1;
        for (int i = 0; i < 6; i++) {
            long padded_count = (cout + sizes[i] - 1) / sizes[i] * sizes[i];
            if (best < 0 || padded_count < best) { best = padded_count; G = sizes[i]; }
        }
    }
    float *w_group = (float *)malloc((size_t)cin * k * k * TH_G_MAX * sizeof(float));
    if (!w_group) abort();
    for (long o0 = 0; o0 < cout; o0 += G) {
        gather_group(weight, cin, cout, (long)k * k, o0, G, w_group);
        if (level == 2) {
            if (G == 12) conv_rows_avx512_12(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (G == 10) conv_rows_avx512_10(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (G == 8) conv_rows_avx512_8(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (G == 6) conv_rows_avx512_6(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (G == 4) conv_rows_avx512_4(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else conv_rows_avx512_2(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
        } else {
            conv_rows_avx2(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
        }
    }
    free(w_group);
}

#else
int th_vector_level(void) { return 0; }
int th_depthwise_up2_rows(int level, const float *padded, long row_stride, long lr0, const float *w,
                          long oy0, long rows, long lw, float *out) {
    (void)level; (void)padded; (void)row_stride; (void)lr0; (void)w; (void)oy0; (void)rows; (void)lw; (void)out;
    return 0;
}
int th_moments(int level, const float *p, long n, double *mean, double *variance) {
    (void)level; (void)p; (void)n; (void)mean; (void)variance; return 0;
}
int th_scale_shift(int level, const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                   float scale, float shift, int act, float slope, const float *residual) {
    (void)level; (void)src; (void)src_stride; (void)dst; (void)dst_stride; (void)rows; (void)n; (void)scale; (void)shift;
    (void)act; (void)slope; (void)residual; return 0;
}
int th_activate(int level, int kind, float *x, long n) { (void)level; (void)kind; (void)x; (void)n; return 0; }
int th_gemm_packed(int level, const float *ap, int mr, long m, long k, const float *b, long ldb, long n,
                   const float *bias, float *c, long ldc) {
    (void)level; (void)ap; (void)mr; (void)m; (void)k; (void)b; (void)ldb; (void)n; (void)bias; (void)c; (void)ldc;
    return 0;
}
void th_conv_rows(int level, int k, const float *padded, long cin, long chan_stride, long row_stride,
                  const float *weight, const float *bias, long cout, long rows, long wo,
                  float *out, long out_plane) {
    (void)level; (void)k; (void)padded; (void)cin; (void)chan_stride; (void)row_stride; (void)weight; (void)bias;
    (void)cout; (void)rows; (void)wo; (void)out; (void)out_plane;
}
int th_depthwise_band(int level, const float *src, long plane_stride, long channels, long h, long w, long k, long s,
                      long p, const float *weight, const float *scale, const float *shift, int act, float slope,
                      long oy0, long rows, float *scratch, long row_stride, float *out, long ldm) {
    (void)level; (void)src; (void)plane_stride; (void)channels; (void)h; (void)w; (void)k; (void)s; (void)p; (void)weight;
    (void)scale; (void)shift; (void)act; (void)slope; (void)oy0; (void)rows; (void)scratch; (void)row_stride;
    (void)out; (void)ldm;
    return 0;
}
void th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                       const long *tap_offset, long taps, long rows, long wo, float *out) {
    (void)level; (void)padded; (void)row_stride; (void)s; (void)w; (void)tap_offset; (void)taps; (void)rows; (void)wo; (void)out;
}
#endif

int th_gemm_tile_rows(long k) { return k >= 256 ? 6 : 8; }

void th_pack_rows(const float *a, long lda, long m, long k, int mr, float *out) {
    for (long o0 = 0; o0 < m; o0 += mr) {
        long rows = m - o0 < mr ? m - o0 : mr;
        for (long kk = 0; kk < k; kk++)
            for (long r = 0; r < rows; r++) out[o0 * k + kk * rows + r] = a[(o0 + r) * lda + kk];
    }
}
