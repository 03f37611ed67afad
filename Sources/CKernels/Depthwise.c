// Depthwise convolutions: a channel's output rows from a zero-padded scratch (th_depthwise_rows),
// a band of rows of many channels at once (th_depthwise_band), the 3x3 of a 2x upsampling
// (th_depthwise_up2_rows). See CKernels.h for the contracts.
#include "Internal.h"

#if TH_X86
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
            th_scale_shift_avx512(plane + ya * w, w, scratch + (ya - iy0) * row_stride + p, row_stride, yb - ya, w,
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
#endif

int th_depthwise_band(int level, const float *src, long plane_stride, long channels, long h, long w, long k, long s,
                      long p, const float *weight, const float *scale, const float *shift, int act, float slope,
                      long oy0, long rows, float *scratch, long row_stride, float *out, long ldm) {
    if (!th_kernel_runs(TH_KERNEL_DEPTHWISE_BAND, level) || k > 7 || (s != 1 && s != 2) || (scale && act < 0)) return 0;
#if TH_X86
    depthwise_band_avx512(src, plane_stride, channels, h, w, k, s, p, weight, scale, shift, act, slope, oy0, rows,
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
    if (level >= 2) depthwise_rows_avx512(padded, row_stride, s, w, tap_offset, taps, rows, wo, out);
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
    depthwise_up2_rows_avx512(padded, row_stride, lr0, w, oy0, rows, lw, out);
    return 1;
#else
    return 0;
#endif
}
