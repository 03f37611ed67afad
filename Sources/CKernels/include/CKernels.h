#ifndef TALKING_HEAD_CKERNELS_H
#define TALKING_HEAD_CKERNELS_H

// Inner loops that gain from 8- and 16-wide vectors with FMA. Swift code compiles for
// baseline x86-64 (SSE) and a package cannot raise that without unsafeFlags, so these are C
// functions with per-function target attributes, chosen at run time by what the CPU has.

// 2 = AVX-512F, 1 = AVX2 + FMA, 0 = neither (callers use their portable path). Read once.
int th_vector_level(void);

// Every kernel below takes the vector level it may use (`level`, capped by th_vector_level())
// and either runs at it or declines the same way: it returns 0 and does nothing, and the
// caller's Swift twin runs. Dispatch.c alone knows which kernel has loops at which level.
enum {
    TH_KERNEL_DEPTHWISE_ROWS, TH_KERNEL_DEPTHWISE_BAND, TH_KERNEL_DEPTHWISE_UP2, TH_KERNEL_CONV_ROWS,
    TH_KERNEL_SCALE_SHIFT, TH_KERNEL_MOMENTS, TH_KERNEL_ACTIVATE, TH_KERNEL_GEMM_PACKED, TH_KERNEL_COUNT
};

// 1 when `kernel` (TH_KERNEL_*) has a loop at `level` on this CPU, else 0.
int th_kernel_runs(int kernel, int level);

// Output rows of one channel's depthwise convolution from a zero-padded scratch:
// out[oy * wo + x] = sum over t < taps of w[t] * padded[oy * s * row_stride + tap_offset[t] + x]
// for oy < rows, x < wo. Every read index is inside the scratch the caller allocated
// (row_stride holds 16 spare floats per row). AVX2 and AVX-512 loops.
int th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                      const long *tap_offset, long taps, long rows, long wo, float *out);

// Output rows oy0 ..< oy0 + rows of the k x k (k <= 7), stride-s (1 or 2), padding-p depthwise
// convolution of `channels` planes h x w (plane_stride floats apart; weight [channels, k, k]),
// channel c to out + c * ldm (rows x wo, wo = (w + 2p - k) / s + 1). When scale is not NULL the
// input is first mapped through act(x * scale[c] + shift[c]) as in th_scale_shift (a deferred
// instance norm). scratch: ((rows - 1) * s + k) * row_stride floats, row_stride = w + 2p + 16
// (s = 1) or 2 * ((w + 2p + 1) / 2) + 16 (s = 2: each padded row split into its even and odd
// columns, see th_depthwise_rows). All channels in one call (per-channel calls from Swift
// cost more than the arithmetic on small planes).
// AVX2 and AVX-512 (elsewhere the caller runs th_depthwise_rows per channel).
int th_depthwise_band(int level, const float *src, long plane_stride, long channels, long h, long w, long k, long s,
                      long p, const float *weight, const float *scale, const float *shift, int act, float slope,
                      long oy0, long rows, float *scratch, long row_stride, float *out, long ldm);

// A band of output rows of a k x k (k odd), stride-1, 'same'-padded convolution with few output
// channels (output heads), directly instead of by im2col + sgemm, whose small M wastes the sgemm
// kernel. padded: cin planes of (rows + k - 1) rows x row_stride floats, zero-padded by k / 2
//         pixels on every side (column x + k/2 of padded row r is input row r - k/2 of the band,
//         column x), at least wo + k - 1 + 16 floats per row; chan_stride floats apart.
// packed: the weights [cout, cin, k, k] regrouped by th_conv_pack for `group` =
// th_conv_group(level, cout) (declines for any other group); bias [cout] or NULL.
// out: channel o, band row oy, column x at out[o * out_plane + oy * wo + x]. AVX2 and AVX-512.
int th_conv_rows(int level, int k, const float *padded, long cin, long chan_stride, long row_stride,
                 const float *packed, long group, const float *bias, long cout, long rows, long wo,
                 float *out, long out_plane);

// Output channels per group of th_conv_rows at `level` (0 when it declines there).
long th_conv_group(int level, long cout);

// weight [cout, cin, kk] in groups of `group` output channels, zero past cout, for th_conv_rows:
// (cout + group - 1) / group * group * cin * kk floats at out.
void th_conv_pack(const float *weight, long cin, long cout, long kk, long group, float *out);

// Mean and biased variance of p[0..<n]: the sum, then the squared deviations from the float
// mean corrected for its rounding; blocks of 1024 in float vectors, added in double.
// For rows r < rows and i < n: dst[r * dst_stride + i] = act(src[r * src_stride + i] * scale + shift)
// (+ residual[r * src_stride + i] when residual is not NULL), act 0 identity, 1 relu, 2 leaky
// relu (slope), the product and sum fused (fma); src may be dst: an instance norm in place, or
// applied while copying rows into a padded scratch (a deferred norm, see DeferredTensor).
// Both AVX2 and AVX-512 (the AVX2 moments shift by the mean of the first 8 values, not 16).
int th_moments(int level, const float *p, long n, double *mean, double *variance);
int th_scale_shift(int level, const float *src, long src_stride, float *dst, long dst_stride, long rows, long n,
                   float scale, float shift, int act, float slope, const float *residual);

// x[i] = sigmoid(x[i]) (kind 0) or tanh(x[i]) (kind 1) in place, for i < n, with a vectorised
// exp (absolute error below 1e-6). AVX2 and AVX-512 (elsewhere the caller uses libm).
int th_activate(int level, int kind, float *x, long n);

// Output rows oy0 ..< oy0 + rows (each 2 * lw wide) of the 3x3, padding-1 depthwise convolution
// (weights w[9]) of the nearest-2x upsampling of a low plane lw wide, computed from the low plane
// as 2x2 stencils with summed weights (4 taps an output instead of 9, no upsampled copy).
// padded: low rows lr0, lr0 + 1, ... at row_stride floats, column x of a low row at index x + 1,
// index 0 and lw + 1 zero, rows outside the low plane all zero, 16 readable floats past lw + 1.
// lr0 = floor((oy0 - 1) / 2). AVX2 and AVX-512.
int th_depthwise_up2_rows(int level, const float *padded, long row_stride, long lr0, const float *w,
                          long oy0, long rows, long lw, float *out);

// C[m, n] = A[m, k] * B[k, n] + bias (per row of C; 0 when NULL), C and B row-major with
// leading dimensions ldc, ldb, A packed by th_pack_rows with mr = th_gemm_tile_rows(level, k): tiles of
// mr rows x 64 (mr 6) or 48 (mr 8) columns of C (AVX-512) accumulate over k in order, reading B where it
// is (its rows must not be a large power of two apart: cache sets) and A's tile as one stream.
// For the band products of the separable convolutions, where B is the band's depthwise result,
// still in cache, and OpenBLAS would first copy it into its packed layout.
// AVX2: tiles of 6 x 16 columns. Returns 1 when done (0, doing nothing, when mr is not
// th_gemm_tile_rows(level, k)). AVX2 and AVX-512 (elsewhere the caller uses sgemm).
int th_gemm_packed(int level, const float *ap, int mr, long m, long k, const float *b, long ldb, long n,
                   const float *bias, float *c, long ldc);

// Rows per tile of th_gemm_packed at `level` for sums of length k (AVX-512: 6 or 8; AVX2: 6),
// 0 where it declines. Weights packed at one level are read at that level only.
int th_gemm_tile_rows(int level, long k);

// Packs A [m, k] (leading dimension lda) for th_gemm_packed, m * k floats: tile t (rows t*mr up
// to t*mr + rows, rows = min(mr, m - t*mr)) at out + t*mr*k as k groups of `rows` floats (row r,
// column kk at [kk * rows + r]).
void th_pack_rows(const float *a, long lda, long m, long k, int mr, float *out);

// Runs fn(ctx, i) for i < count on the calling thread and `workers` pool threads (started at the
// first call, the same number every time), returning when every call has returned; the pool's
// threads spin for about 0.2 ms after a job before they sleep, so back-to-back jobs find them
// awake. Returns 0 without running anything when the pool is already running a job (another
// thread's, or this one's: a nested call) or has no threads: the caller runs the items itself.
typedef void (*th_pool_task)(void *ctx, long i);
int th_pool_run(long workers, long count, th_pool_task fn, void *ctx);

#endif
