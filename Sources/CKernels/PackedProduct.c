// The packed pointwise product of the separable convolutions (th_gemm_packed) and its weight
// layout (th_pack_rows).
#include "Internal.h"

#include <stdlib.h>

#if TH_X86
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


// The same product in 8-wide vectors for AVX2's 16 ymm registers: tiles of MR rows x NV vectors
// (MR * NV accumulators + NV loads of B + 1 broadcast of A <= 16), k unrolled twice (80 -> 85
// GFLOP/s). The last columns (n not a multiple of 8): the last vector read and written through mk.
#define TH_GEMM_TILE_AVX2(NAME, MR, NV)                                                                 \
__attribute__((target("avx2,fma"), no_builtin("memset"), always_inline))                               \
static inline void NAME##_tile(const float *ap, long k, const float *b, long ldb, const float *bias,     \
                               float *c, long ldc, long o0, long rows, long x, int masked, __m256i mk) { \
    __m256 acc[MR][NV];                                                                                \
    for (int r = 0; r < MR; r++) {                                                                     \
        long o = o0 + (r < rows ? r : rows - 1);                                                       \
        for (int j = 0; j < NV; j++) acc[r][j] = _mm256_set1_ps(bias ? bias[o] : 0.0f);               \
    }                                                                                                  \
    const float *bp = b + x;                                                                           \
    _Pragma("clang loop unroll_count(2)")                                                              \
    for (long kk = 0; kk < k; kk++, bp += ldb, ap += rows) {                                           \
        __m256 bv[NV];                                                                                 \
        for (int j = 0; j < NV; j++)                                                                   \
            bv[j] = masked && j == NV - 1 ? _mm256_maskload_ps(bp + 8 * j, mk) : _mm256_loadu_ps(bp + 8 * j); \
        for (int r = 0; r < MR; r++) {                                                                 \
            __m256 av = _mm256_broadcast_ss(ap + (r < rows ? r : rows - 1));                           \
            for (int j = 0; j < NV; j++) acc[r][j] = _mm256_fmadd_ps(av, bv[j], acc[r][j]);            \
        }                                                                                              \
    }                                                                                                  \
    for (long r = 0; r < rows; r++) {                                                                  \
        float *o = c + (o0 + r) * ldc + x;                                                             \
        for (int j = 0; j < NV; j++) {                                                                 \
            if (masked && j == NV - 1) _mm256_maskstore_ps(o + 8 * j, mk, acc[r][j]);                  \
            else _mm256_storeu_ps(o + 8 * j, acc[r][j]);                                               \
        }                                                                                              \
    }                                                                                                  \
}                                                                                                      \
/* Columns x .. x + 8 * NV of every row of C, the last vector through mk when masked. */              \
__attribute__((target("avx2,fma"), no_builtin("memset")))                                              \
static void NAME(const float *ap, long m, long k, const float *b, long ldb, const float *bias,           \
                 float *c, long ldc, long x, int masked, __m256i mk) {                                  \
    long o0 = 0;                                                                                       \
    if (masked) {                                                                                      \
        for (; o0 + MR <= m; o0 += MR) NAME##_tile(ap + o0 * k, k, b, ldb, bias, c, ldc, o0, MR, x, 1, mk); \
        if (o0 < m) NAME##_tile(ap + o0 * k, k, b, ldb, bias, c, ldc, o0, m - o0, x, 1, mk);          \
    } else {                                                                                           \
        for (; o0 + MR <= m; o0 += MR) NAME##_tile(ap + o0 * k, k, b, ldb, bias, c, ldc, o0, MR, x, 0, mk); \
        if (o0 < m) NAME##_tile(ap + o0 * k, k, b, ldb, bias, c, ldc, o0, m - o0, x, 0, mk);          \
    }                                                                                                  \
}
TH_GEMM_TILE_AVX2(gemm_columns_avx2_6x2, 6, 2)
TH_GEMM_TILE_AVX2(gemm_columns_avx2_6x1, 6, 1)

// Tiles of 6 x 16 (4 x 24, 16 registers, ran at 50 against 80 GFLOP/s on one Zen 4 core for
// 128 x 1024 x 256); the last columns in a tile just as wide as they need, in steps of 8.
__attribute__((target("avx2,fma")))
static void gemm_packed_avx2(const float *ap, long m, long k, const float *b, long ldb, long n,
                             const float *bias, float *c, long ldc) {
    for (long x = 0; x < n;) {
        long left = n - x;
        long nv = left >= 16 ? 2 : (left + 7) / 8;
        long last = left - 8 * (nv - 1);  // columns of the last vector, 1 ... 8
        int masked = last < 8;
        __m256i mk = tail_mask_avx2(last);
        if (nv == 2) gemm_columns_avx2_6x2(ap, m, k, b, ldb, bias, c, ldc, x, masked, mk);
        else gemm_columns_avx2_6x1(ap, m, k, b, ldb, bias, c, ldc, x, masked, mk);
        x += 8 * nv;
    }
}
#endif

int th_gemm_packed(int level, const float *ap, int mr, long m, long k, const float *b, long ldb, long n,
                   const float *bias, float *c, long ldc) {
    if (!th_kernel_runs(TH_KERNEL_GEMM_PACKED, level) || m <= 0 || n <= 0 || mr != th_gemm_tile_rows(level, k)) return 0;
#if TH_X86
    if (th_level(level) >= 2) gemm_packed_avx512(ap, mr, m, k, b, ldb, n, bias, c, ldc);
    else gemm_packed_avx2(ap, m, k, b, ldb, n, bias, c, ldc);
    return 1;
#else
    return 0;
#endif
}

int th_gemm_tile_rows(int level, long k) {
    if (!th_kernel_runs(TH_KERNEL_GEMM_PACKED, level)) return 0;
    if (level >= 2 && th_vector_level() >= 2) return k >= 256 ? 6 : 8;
    return 6;
}

void th_pack_rows(const float *a, long lda, long m, long k, int mr, float *out) {
    for (long o0 = 0; o0 < m; o0 += mr) {
        long rows = m - o0 < mr ? m - o0 : mr;
        for (long kk = 0; kk < k; kk++)
            for (long r = 0; r < rows; r++) out[o0 * k + kk * rows + r] = a[(o0 + r) * lda + kk];
    }
}
