#ifndef TALKING_HEAD_CKERNELS_H
#define TALKING_HEAD_CKERNELS_H

// Inner loops that gain from 8- and 16-wide vectors with FMA. Swift code compiles for
// baseline x86-64 (SSE) and a package cannot raise that without unsafeFlags, so these are C
// functions with per-function target attributes, chosen at run time by what the CPU has.

// 2 = AVX-512F, 1 = AVX2 + FMA, 0 = neither (callers use their portable path).
int th_vector_level(void);

// Output rows of one channel's depthwise convolution from a zero-padded scratch:
// out[oy * wo + x] = sum over t < taps of w[t] * padded[oy * s * row_stride + tap_offset[t] + x]
// for oy < rows, x < wo. Every read index is inside the scratch the caller allocated
// (row_stride holds 16 spare floats per row). `level` (1 or 2, at most th_vector_level())
// picks the AVX2 or the AVX-512 loop.
void th_depthwise_rows(int level, const float *padded, long row_stride, long s, const float *w,
                       const long *tap_offset, long taps, long rows, long wo, float *out);

// A band of output rows of a k x k (k odd), stride-1, 'same'-padded convolution with few output
// channels (output heads), directly instead of by im2col + sgemm, whose small M wastes the sgemm
// kernel. padded: cin planes of (rows + k - 1) rows x row_stride floats, zero-padded by k / 2
//         pixels on every side (column x + k/2 of padded row r is input row r - k/2 of the band,
//         column x), at least wo + k - 1 + 16 floats per row; chan_stride floats apart.
// weight [cout, cin, k, k], bias [cout] or NULL.
// out: channel o, band row oy, column x at out[o * out_plane + oy * wo + x].
void th_conv_rows(int level, int k, const float *padded, long cin, long chan_stride, long row_stride,
                  const float *weight, const float *bias, long cout, long rows, long wo,
                  float *out, long out_plane);

#endif
