// Direct k x k convolutions with few output channels (the output heads), th_conv_rows, on weights
// regrouped once at load (th_conv_pack).
#include "Internal.h"

// Output channels per pass of th_conv_rows: TH_G channels (the AVX2 loop; the AVX-512 loop
// takes 4, 6, 8, 10 or 12, whichever computes the fewest channels past cout) x 2 vectors.
#define TH_G 8

long th_conv_group(int level, long cout) {
    if (!th_kernel_runs(TH_KERNEL_CONV_ROWS, level) || cout <= 0) return 0;
    if (th_level(level) < 2) return TH_G;
    // The group size that computes the fewest channels past cout (ties: the larger group).
    static const long sizes[] = {12, 10, 8, 6, 4, 2};
    long best = -1, group = TH_G;
    for (int i = 0; i < 6; i++) {
        long padded_count = (cout + sizes[i] - 1) / sizes[i] * sizes[i];
        if (best < 0 || padded_count < best) { best = padded_count; group = sizes[i]; }
    }
    return group;
}

void th_conv_pack(const float *weight, long cin, long cout, long kk, long group, float *out) {
    // Group o0 / group at out + o0 * cin * kk: [(ci * kk + t) * group + g] = weight of output o0 + g, zero past cout.
    for (long o0 = 0; o0 < cout; o0 += group)
        for (long ci = 0; ci < cin; ci++)
            for (long t = 0; t < kk; t++)
                for (long g = 0; g < group; g++)
                    out[o0 * cin * kk + (ci * kk + t) * group + g] =
                        o0 + g < cout ? weight[((o0 + g) * cin + ci) * kk + t] : 0.0f;
}

#if TH_X86
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
#endif

int th_conv_rows(int level, int k, const float *padded, long cin, long chan_stride, long row_stride,
                 const float *packed, long group, const float *bias, long cout, long rows, long wo,
                 float *out, long out_plane) {
    if (group != th_conv_group(level, cout)) return 0;
#if TH_X86
    for (long o0 = 0; o0 < cout; o0 += group) {
        const float *w_group = packed + o0 * cin * k * k;
        if (th_level(level) >= 2) {
            if (group == 12) conv_rows_avx512_12(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (group == 10) conv_rows_avx512_10(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (group == 8) conv_rows_avx512_8(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (group == 6) conv_rows_avx512_6(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (group == 4) conv_rows_avx512_4(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else conv_rows_avx512_2(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
        } else {
            conv_rows_avx2(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
        }
    }
    return 1;
#else
    return 0;
#endif
}
