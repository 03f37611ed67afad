// Direct k x k convolutions with few output channels (the output heads), th_conv_rows, on weights
// regrouped once at load (th_conv_pack).
#include "Internal.h"

// Output channels per pass of th_conv_rows (x 2 vectors of columns). AVX-512: 2 ... 12, the
// group that computes the fewest channels past cout (ties: the larger group). AVX2: 2, 4 or 6
// (2 G accumulators + 2 loads + 1 broadcast in 16 ymm registers), the fewest passes, then the
// fewest channels past cout (one Zen 4 core, 32 -> 10 channels at 16 x 512: groups of 6, 4, 2
// 0.55, 0.62, 0.84 ms; 64 -> 2 at 8 x 256: 0.13, 0.09, 0.08 ms).
long th_conv_group(int level, long cout) {
    if (!th_kernel_runs(TH_KERNEL_CONV_ROWS, level) || cout <= 0) return 0;
    static const long sizes[] = {12, 10, 8, 6, 4, 2};
    int avx2 = th_level(level) < 2;
    long best = -1, best_passes = -1, group = 0;
    for (int i = avx2 ? 3 : 0; i < 6; i++) {
        long passes = (cout + sizes[i] - 1) / sizes[i], padded_count = passes * sizes[i];
        if (avx2 && best_passes >= 0 && passes > best_passes) continue;
        if (best < 0 || padded_count < best || (avx2 && passes < best_passes)) {
            best = padded_count;
            best_passes = passes;
            group = sizes[i];
        }
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
// Output rows of G channels (o0 ..< o0 + G) in W-bit vectors of L floats, 2 L columns at a time:
// every output sums bias, then its inputs and taps in order (the same bits at both widths). The
// columns past wo are computed from readable padding (LOAD) and not stored (STORE_M, MASK).
#define TH_CONV_ROWS(NAME, TARGET, W, L, G, MASK_T, MASK, LOAD, STORE_M)                               \
__attribute__((target(TARGET), always_inline))                                                         \
static inline void NAME##_body(int k, const float *padded, long cin, long chan_stride, long row_stride, \
                 const float *w_group, const float *bias, long o0, long cout, long rows,               \
                 long wo, float *out, long out_plane) {                                                \
    long gn = cout - o0 < G ? cout - o0 : G;                                                           \
    for (long oy = 0; oy < rows; oy++) {                                                               \
        for (long x = 0; x < wo; x += 2 * L) {                                                         \
            long left = wo - x;                                                                        \
            MASK_T m0 = MASK(left);                                                                    \
            MASK_T m1 = MASK(left > L ? left - L : 0);                                                 \
            __m##W a[G][2];                                                                            \
            for (int g = 0; g < G; g++) {                                                              \
                float b = (bias && o0 + g < cout) ? bias[o0 + g] : 0.0f;                               \
                a[g][0] = _mm##W##_set1_ps(b);                                                         \
                a[g][1] = a[g][0];                                                                     \
            }                                                                                          \
            for (long ci = 0; ci < cin; ci++) {                                                        \
                const float *base = padded + ci * chan_stride + oy * row_stride + x;                   \
                const float *wc = w_group + ci * k * k * G;                                            \
                for (int ky = 0; ky < k; ky++) {                                                       \
                    for (int kx = 0; kx < k; kx++) {                                                   \
                        const float *r = base + ky * row_stride + kx;                                  \
                        __m##W v0 = LOAD(m0, r);                                                       \
                        __m##W v1 = LOAD(m1, r + L);                                                   \
                        const float *wt = wc + (ky * k + kx) * G;                                      \
                        for (int g = 0; g < G; g++) {                                                  \
                            __m##W wv = _mm##W##_set1_ps(wt[g]);                                       \
                            a[g][0] = _mm##W##_fmadd_ps(wv, v0, a[g][0]);                              \
                            a[g][1] = _mm##W##_fmadd_ps(wv, v1, a[g][1]);                              \
                        }                                                                              \
                    }                                                                                  \
                }                                                                                      \
            }                                                                                          \
            for (long g = 0; g < gn; g++) {                                                            \
                float *o = out + (o0 + g) * out_plane + oy * wo + x;                                   \
                STORE_M(o, m0, a[g][0]);                                                               \
                if (left > L) STORE_M(o + L, m1, a[g][1]);                                             \
            }                                                                                          \
        }                                                                                              \
    }                                                                                                  \
}                                                                                                      \
/* 3x3 (every head of the THA3 networks) with the taps unrolled; other sizes generic. */              \
__attribute__((target(TARGET)))                                                                        \
static void NAME(int k, const float *padded, long cin, long chan_stride, long row_stride,              \
                 const float *w_group, const float *bias, long o0, long cout, long rows,               \
                 long wo, float *out, long out_plane) {                                                \
    if (k == 3) NAME##_body(3, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows,   \
                            wo, out, out_plane);                                                       \
    else NAME##_body(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, \
                     out_plane);                                                                       \
}
#define TH_CONV_ROWS_AVX512(NAME, G) TH_CONV_ROWS(NAME, "avx512f", 512, 16, G, __mmask16, TH_MASK16, TH_LOAD16, TH_STORE16)
// Whole vectors read (the row holds 16 readable floats past the last tap of column wo - 1).
#define TH_LOAD8_WHOLE(m, p) _mm256_loadu_ps(p)
#define TH_CONV_ROWS_AVX2(NAME, G) TH_CONV_ROWS(NAME, "avx2,fma", 256, 8, G, __m256i, TH_MASK8, TH_LOAD8_WHOLE, TH_STORE8)

TH_CONV_ROWS_AVX512(conv_rows_avx512_2, 2)
TH_CONV_ROWS_AVX512(conv_rows_avx512_4, 4)
TH_CONV_ROWS_AVX512(conv_rows_avx512_6, 6)
TH_CONV_ROWS_AVX512(conv_rows_avx512_8, 8)
TH_CONV_ROWS_AVX512(conv_rows_avx512_10, 10)
TH_CONV_ROWS_AVX512(conv_rows_avx512_12, 12)
TH_CONV_ROWS_AVX2(conv_rows_avx2_2, 2)
TH_CONV_ROWS_AVX2(conv_rows_avx2_4, 4)
TH_CONV_ROWS_AVX2(conv_rows_avx2_6, 6)
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
            if (group == 6) conv_rows_avx2_6(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else if (group == 4) conv_rows_avx2_4(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
            else conv_rows_avx2_2(k, padded, cin, chan_stride, row_stride, w_group, bias, o0, cout, rows, wo, out, out_plane);
        }
    }
    return 1;
#else
    return 0;
#endif
}
