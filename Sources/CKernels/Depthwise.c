// Depthwise convolutions: a channel's output rows from a zero-padded scratch (th_depthwise_rows),
// a band of rows of many channels at once (th_depthwise_band), the 3x3 of a 2x upsampling
// (th_depthwise_up2_rows). See CKernels.h for the contracts.
#include "Internal.h"
#include <string.h>

#if TH_X86
// depthwise_rows_avx512 / _avx2 (th_depthwise_rows) in W-bit vectors of L floats: each row in
// blocks of 4 vectors (4 accumulations in flight over the taps); the columns past the last
// block (all of them on planes narrower than 4 L) in vectors of 4 rows at once, the last one
// masked (MASK(n): the first n lanes; LOAD_M, STORE_M), so 4 accumulations are in flight
// instead of one chain of `taps` dependent FMAs. Past the last row, a block repeats it and
// stores nothing. Every output sums its taps in order from 0: the same bits at both widths.
#define TH_DEPTHWISE_ROWS(NAME, TARGET, W, L, MASK_T, MASK, LOAD_M, STORE_M)                            \
__attribute__((target(TARGET)))                                                                        \
static void NAME(const float *padded, long row_stride, long s, const float *w,                         \
                 const long *tap_offset, long taps, long rows, long wo, float *out) {                  \
    for (long oy = 0; oy < rows; oy++) {                                                               \
        const float *base = padded + oy * s * row_stride;                                              \
        float *o = out + oy * wo;                                                                      \
        for (long x = 0; x + 4 * L <= wo; x += 4 * L) {                                                \
            __m##W a0 = _mm##W##_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                              \
            for (long t = 0; t < taps; t++) {                                                          \
                const float *r = base + tap_offset[t] + x;                                             \
                __m##W wt = _mm##W##_set1_ps(w[t]);                                                    \
                a0 = _mm##W##_fmadd_ps(wt, _mm##W##_loadu_ps(r), a0);                                  \
                a1 = _mm##W##_fmadd_ps(wt, _mm##W##_loadu_ps(r + L), a1);                              \
                a2 = _mm##W##_fmadd_ps(wt, _mm##W##_loadu_ps(r + 2 * L), a2);                          \
                a3 = _mm##W##_fmadd_ps(wt, _mm##W##_loadu_ps(r + 3 * L), a3);                          \
            }                                                                                          \
            _mm##W##_storeu_ps(o + x, a0);                                                             \
            _mm##W##_storeu_ps(o + x + L, a1);                                                         \
            _mm##W##_storeu_ps(o + x + 2 * L, a2);                                                     \
            _mm##W##_storeu_ps(o + x + 3 * L, a3);                                                     \
        }                                                                                              \
    }                                                                                                  \
    long x0 = wo / (4 * L) * (4 * L);                                                                  \
    if (x0 == wo) return;                                                                              \
    for (long oy = 0; oy < rows; oy += 4) {                                                            \
        const float *b[4];                                                                             \
        for (int r = 0; r < 4; r++) b[r] = padded + (oy + r < rows ? oy + r : rows - 1) * s * row_stride; \
        for (long x = x0; x < wo; x += L) {                                                            \
            MASK_T m = MASK(wo - x);                                                                   \
            __m##W a0 = _mm##W##_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                              \
            for (long t = 0; t < taps; t++) {                                                          \
                __m##W wt = _mm##W##_set1_ps(w[t]);                                                    \
                long off = tap_offset[t] + x;                                                          \
                a0 = _mm##W##_fmadd_ps(wt, LOAD_M(m, b[0] + off), a0);                                 \
                a1 = _mm##W##_fmadd_ps(wt, LOAD_M(m, b[1] + off), a1);                                 \
                a2 = _mm##W##_fmadd_ps(wt, LOAD_M(m, b[2] + off), a2);                                 \
                a3 = _mm##W##_fmadd_ps(wt, LOAD_M(m, b[3] + off), a3);                                 \
            }                                                                                          \
            float *o = out + oy * wo + x;                                                              \
            STORE_M(o, m, a0);                                                                         \
            if (oy + 1 < rows) STORE_M(o + wo, m, a1);                                                 \
            if (oy + 2 < rows) STORE_M(o + 2 * wo, m, a2);                                             \
            if (oy + 3 < rows) STORE_M(o + 3 * wo, m, a3);                                             \
        }                                                                                              \
    }                                                                                                  \
}
TH_DEPTHWISE_ROWS(depthwise_rows_avx512, "avx512f", 512, 16, __mmask16, TH_MASK16, TH_LOAD16, TH_STORE16)
TH_DEPTHWISE_ROWS(depthwise_rows_avx2, "avx2,fma", 256, 8, __m256i, TH_MASK8, TH_LOAD8, TH_STORE8)

// act(v * scale + shift) as scale_shift_avx512 computes it.
__attribute__((target("avx512f")))
static inline __m512 affine_act_avx512(__m512 v, __m512 a, __m512 b, int act, __m512 sl) {
    v = _mm512_fmadd_ps(v, a, b);
    if (act == 1) v = _mm512_max_ps(v, _mm512_setzero_ps());
    else if (act == 2) v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v, sl);
    return v;
}

// Columns x ..< w of split_row_avx512 / _avx2, one at a time.
static inline void split_row_tail(const float *in, long x, long w, long p, long half, float *row, int norm, float fa,
                                  float fb, int act, float fslope) {
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

// One input row (w floats, through the affine map when `norm`) split for a stride-2 kernel:
// column x goes to padded column j = x + p, stored at (j even ? j / 2 : half + j / 2).
__attribute__((target("avx512f")))
static void split_row_avx512(const float *in, long w, long p, long half, float *row, int norm, float fa, float fb,
                             int act, float fslope) {
    const __m512 a = _mm512_set1_ps(fa), b = _mm512_set1_ps(fb), sl = _mm512_set1_ps(fslope);
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
    split_row_tail(in, x, w, p, half, row, norm, fa, fb, act, fslope);
}

// split_row_avx512 in 8-wide vectors.
__attribute__((target("avx2,fma")))
static void split_row_avx2(const float *in, long w, long p, long half, float *row, int norm, float fa, float fb,
                           int act, float fslope) {
    const __m256 a = _mm256_set1_ps(fa), b = _mm256_set1_ps(fb), sl = _mm256_set1_ps(fslope), zero = _mm256_setzero_ps();
    float *dst_even_x = (p & 1) ? row + half + (p >> 1) : row + (p >> 1);
    float *dst_odd_x = (p & 1) ? row + ((p + 1) >> 1) : row + half + (p >> 1);
    long x = 0;
    for (; x + 16 <= w; x += 16) {
        __m256 v0 = _mm256_loadu_ps(in + x), v1 = _mm256_loadu_ps(in + x + 8);
        if (norm) {
            v0 = _mm256_fmadd_ps(v0, a, b);
            v1 = _mm256_fmadd_ps(v1, a, b);
            if (act == 1) { v0 = _mm256_max_ps(v0, zero); v1 = _mm256_max_ps(v1, zero); }
            else if (act == 2) {
                v0 = _mm256_blendv_ps(v0, _mm256_mul_ps(v0, sl), _mm256_cmp_ps(v0, zero, _CMP_LT_OQ));
                v1 = _mm256_blendv_ps(v1, _mm256_mul_ps(v1, sl), _mm256_cmp_ps(v1, zero, _CMP_LT_OQ));
            }
        }
        // Lanes 0 2 | 4 6 of each half, then the 64-bit pairs in order.
        __m256 even = _mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0));
        __m256 odd = _mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1));
        _mm256_storeu_ps(dst_even_x + x / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), 0xD8)));
        _mm256_storeu_ps(dst_odd_x + x / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(odd), 0xD8)));
    }
    split_row_tail(in, x, w, p, half, row, norm, fa, fb, act, fslope);
}

// th_depthwise_band at level 2 (AVX-512) or 1 (AVX2).
static void depthwise_band(int level, const float *src, long plane_stride, long channels, long h, long w, long k, long s,
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
    for (long c = 0; c < channels; c++) {
        const float *plane = src + c * plane_stride;
        if (s == 2) {
            float fa = scale ? scale[c] : 1, fb = scale ? shift[c] : 0;
            for (long y = ya; y < yb; y++) {
                float *row = scratch + (y - iy0) * row_stride;
                if (level >= 2) split_row_avx512(plane + y * w, w, p, half, row, scale != 0, fa, fb, act, slope);
                else split_row_avx2(plane + y * w, w, p, half, row, scale != 0, fa, fb, act, slope);
            }
        } else if (scale) {
            float *dst = scratch + (ya - iy0) * row_stride + p;
            if (level >= 2) th_scale_shift_avx512(plane + ya * w, w, dst, row_stride, yb - ya, w, scale[c], shift[c], act, slope, 0);
            else th_scale_shift_avx2(plane + ya * w, w, dst, row_stride, yb - ya, w, scale[c], shift[c], act, slope, 0);
        } else {
            for (long y = ya; y < yb; y++) memcpy(scratch + (y - iy0) * row_stride + p, plane + y * w, (size_t)w * sizeof(float));
        }
        if (level >= 2) depthwise_rows_avx512(scratch, row_stride, s, weight + c * k * k, tap_offset, k * k, rows, wo, out + c * ldm);
        else depthwise_rows_avx2(scratch, row_stride, s, weight + c * k * k, tap_offset, k * k, rows, wo, out + c * ldm);
    }
}

// The 3x3 (padding 1) depthwise convolution of a nearest-2x-upsampled plane, read from the low
// plane: output (2i + a, 2j + b) is a 2x2 stencil on low rows (i - 1 + a, i + a) and columns
// (j - 1 + b, j + b) whose weights are sums of the 3x3 weights (row group {0}, {1, 2} for a = 0
// and {0, 1}, {2} for a = 1; columns likewise).
// Opens the loops over output rows y (o: the row's outputs) and low columns j ..< j + L, and
// computes the even (`even`) and odd (`odd`) output columns of those in W-bit vectors, from the
// row's two low rows p0, p1 and the weights c.
#define TH_UP2_STENCIL(W, L)                                                                            \
    for (long y = oy0; y < oy0 + rows; y++) {                                                          \
        long i = y >> 1, a = y & 1;                                                                    \
        const float *p0 = padded + (i - 1 + a - lr0) * row_stride; /* low row i - 1 + a, column j - 1 at p0[j] */ \
        const float *p1 = p0 + row_stride;                                                             \
        float *o = out + (y - oy0) * wo;                                                               \
        __m##W e00 = _mm##W##_set1_ps(c[a][0][0][0]), e01 = _mm##W##_set1_ps(c[a][0][0][1]);           \
        __m##W e10 = _mm##W##_set1_ps(c[a][0][1][0]), e11 = _mm##W##_set1_ps(c[a][0][1][1]);           \
        __m##W d00 = _mm##W##_set1_ps(c[a][1][0][0]), d01 = _mm##W##_set1_ps(c[a][1][0][1]);           \
        __m##W d10 = _mm##W##_set1_ps(c[a][1][1][0]), d11 = _mm##W##_set1_ps(c[a][1][1][1]);           \
        for (long j = 0; j < lw; j += L) {                                                             \
            __m##W a0 = _mm##W##_loadu_ps(p0 + j), a1 = _mm##W##_loadu_ps(p0 + j + 1);                 \
            __m##W a2 = _mm##W##_loadu_ps(p0 + j + 2), b0 = _mm##W##_loadu_ps(p1 + j);                 \
            __m##W b1 = _mm##W##_loadu_ps(p1 + j + 1), b2 = _mm##W##_loadu_ps(p1 + j + 2);             \
            __m##W even = _mm##W##_mul_ps(e00, a0);                                                    \
            even = _mm##W##_fmadd_ps(e01, a1, even);                                                   \
            even = _mm##W##_fmadd_ps(e10, b0, even);                                                   \
            even = _mm##W##_fmadd_ps(e11, b1, even);                                                   \
            __m##W odd = _mm##W##_mul_ps(d00, a1);                                                     \
            odd = _mm##W##_fmadd_ps(d01, a2, odd);                                                     \
            odd = _mm##W##_fmadd_ps(d10, b1, odd);                                                     \
            odd = _mm##W##_fmadd_ps(d11, b2, odd);

// c[a][b][r][q]: the weight of low row group r, column group q for output parity (a, b).
static void up2_weights(const float *w, float c[2][2][2][2]) {
    // g[a][r][k]: weight of 3x3 row/column k in group r for parity a.
    static const float g[2][2][3] = {{{1, 0, 0}, {0, 1, 1}}, {{1, 1, 0}, {0, 0, 1}}};
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
}

__attribute__((target("avx512f")))
static void depthwise_up2_rows_avx512(const float *padded, long row_stride, long lr0, const float *w,
                                      long oy0, long rows, long lw, float *out) {
    float c[2][2][2][2];
    up2_weights(w, c);
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    long wo = 2 * lw;
        TH_UP2_STENCIL(512, 16)
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

// depthwise_up2_rows_avx512 in 8-wide vectors: the even and odd outputs of 8 low columns
// interleaved into 16 outputs (unpack within 128-bit lanes, then the lanes in order).
__attribute__((target("avx2,fma")))
static void depthwise_up2_rows_avx2(const float *padded, long row_stride, long lr0, const float *w,
                                    long oy0, long rows, long lw, float *out) {
    float c[2][2][2][2];
    up2_weights(w, c);
    long wo = 2 * lw;
        TH_UP2_STENCIL(256, 8)
            __m256 lo = _mm256_unpacklo_ps(even, odd), hi = _mm256_unpackhi_ps(even, odd);
            __m256 first = _mm256_permute2f128_ps(lo, hi, 0x20), second = _mm256_permute2f128_ps(lo, hi, 0x31);
            long left = wo - 2 * j;  // outputs still to write in this row
            if (left >= 16) {
                _mm256_storeu_ps(o + 2 * j, first);
                _mm256_storeu_ps(o + 2 * j + 8, second);
            } else {
                _mm256_maskstore_ps(o + 2 * j, tail_mask_avx2(left >= 8 ? 8 : left), first);
                if (left > 8) _mm256_maskstore_ps(o + 2 * j + 8, tail_mask_avx2(left - 8), second);
            }
        }
    }
}
#endif

int th_depthwise_band(int level, const float *src, long plane_stride, long channels, long h, long w, long k, long s,
                      long p, const float *weight, const float *scale, const float *shift, int act, float slope,
                      long oy0, long rows, float *scratch, long row_stride, float *out, long ldm) {
    if (!th_kernel_runs(TH_KERNEL_DEPTHWISE_BAND, level) || k > 7 || (s != 1 && s != 2) || (scale && act < 0)) return 0;
#if TH_X86
    depthwise_band(th_level(level), src, plane_stride, channels, h, w, k, s, p, weight, scale, shift, act, slope, oy0, rows,
                   scratch, row_stride, out, ldm);
    return 1;
#else
    return 0;
#endif
}

int th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                      const long *tap_offset, long taps, long rows, long wo, float *out) {
    if (!th_kernel_runs(TH_KERNEL_DEPTHWISE_ROWS, level)) return 0;
#if TH_X86
    if (th_level(level) >= 2) depthwise_rows_avx512(padded, row_stride, s, w, tap_offset, taps, rows, wo, out);
    else depthwise_rows_avx2(padded, row_stride, s, w, tap_offset, taps, rows, wo, out);
    return 1;
#else
    return 0;
#endif
}

int th_depthwise_up2_rows(int level, const float *padded, long row_stride, long lr0, const float *w,
                          long oy0, long rows, long lw, float *out) {
    if (!th_kernel_runs(TH_KERNEL_DEPTHWISE_UP2, level)) return 0;
#if TH_X86
    if (th_level(level) >= 2) depthwise_up2_rows_avx512(padded, row_stride, lr0, w, oy0, rows, lw, out);
    else depthwise_up2_rows_avx2(padded, row_stride, lr0, w, oy0, rows, lw, out);
    return 1;
#else
    return 0;
#endif
}
