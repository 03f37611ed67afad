import CKernels
import Foundation

// Transposed convolutions: depthwise 4x4 stride 2 (THA3's upsampling blocks) and full (THA v1).

/// Sizes shared by `transposedDepthwiseRows` and its callers: the depthwise 4x4, stride-2,
/// padding-1 transposed convolution of an h x w plane (output 2h x 2w).
struct TransposedGeometry {
    let h, w: Int
    var rowStride: Int { w + 2 + 16 }

    init(height: Int, width: Int) { (h, w) = (height, width) }

    /// Floats of scratch for `rows` output rows: the zero-bordered input rows they read (at
    /// most rows / 2 + 3), then the even and odd halves of one output row.
    func scratchCount(rows: Int) -> Int { (rows / 2 + 3) * rowStride + 2 * (w + 8) }
}

extension KernelContext {
    /// Depthwise transposed convolution (groups = channels, no bias), as
    /// `ConvTranspose2d(c, c, kernel_size=4, stride=2, padding=1, groups=c)`.
    /// input [c, h, w], weight [c, 1, 4, 4] -> output [c, 2h, 2w].
    ///
    /// Split by output parity: out[2m + py][2n + px] = sum over a, b in {0, 1} of
    /// w[ky(py, a)][kx(px, b)] * in[m + d(py, a)][n + d(px, b)], with (k, d) = (1, 0), (3, -1) for
    /// parity 0 and (0, +1), (2, 0) for parity 1; the input is read from a zero-bordered copy.
    func depthwiseConvTranspose2d(
        input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, kernel k: Int, stride s: Int, padding p: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        precondition(k == 4 && s == 2 && p == 1, "depthwiseConvTranspose2d: only kernel 4, stride 2, padding 1")
        let g = TransposedGeometry(height: h, width: w)
        let scratch = g.scratchCount(rows: 2 * h)
        parallelRanges(c, chunks: 2 * workerCount) { channels in
            let padded = pool.take(scratch)
            defer { pool.give(padded, count: scratch) }
            for ch in channels {
                transposedDepthwiseRows(g, input: input + ch * h * w, norm: nil, weight: weight + ch * 16, rows: 0..<(2 * h),
                                        padded: padded, output: output + ch * 4 * h * w)
            }
        }
    }

    /// Output rows `rows` (of 2h) of one channel's depthwise `ConvTranspose2d(kernel 4, stride 2,
    /// padding 1)`: input [h, w] (with `norm`, a deferred instance norm, applied when given),
    /// weight [4, 4] -> output [rows.count, 2w].
    ///
    /// Split by output parity: out[2m + py][2n + px] = sum over a, b in {0, 1} of
    /// w[ky(py, a)][kx(px, b)] * in[m + d(py, a)][n + d(px, b)], with (k, d) = (1, 0), (3, -1) for
    /// parity 0 and (0, +1), (2, 0) for parity 1; the input rows are read from a zero-bordered copy
    /// in `padded` (`g.scratchCount(rows: rows.count)` floats).
    func transposedDepthwiseRows(
        _ g: TransposedGeometry, input src: UnsafePointer<Float>, norm: RowNorm?, weight wk: UnsafePointer<Float>,
        rows: Range<Int>, padded: UnsafeMutablePointer<Float>, output dst: UnsafeMutablePointer<Float>
    ) {
        let (h, w, rowStride) = (g.h, g.w, g.rowStride)
        let wo = 2 * w
        // Input rows mLo - 1 ... mHi + 1 at padded rows 0 ..., column x at index x + 1.
        let mLo = rows.lowerBound >> 1, mHi = (rows.upperBound - 1) >> 1
        for y in (mLo - 1)...(mHi + 1) {
            let row = padded + (y - mLo + 1) * rowStride
            if y < 0 || y >= h {
                row.update(repeating: 0, count: w + 2)
            } else {
                row[0] = 0
                copyRow(src + y * w, row + 1, count: w, norm: norm)
                row[w + 1] = 0
            }
        }
        let even = padded + (mHi - mLo + 3) * rowStride
        let odd = even + w + 8
        let taps: [(k: Int, d: Int)] = [(1, 0), (3, -1), (0, 1), (2, 0)]  // parity 0: 0..<2, parity 1: 2..<4
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 16) { wv in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 16) { offsets in
            // Per parity pair q = 2*py + px: four weights and their offsets for m = mLo.
            for py in 0..<2 {
                for px in 0..<2 {
                    for a in 0..<2 {
                        for b in 0..<2 {
                            let ty = taps[2 * py + a]
                            let tx = taps[2 * px + b]
                            let q = 2 * py + px
                            wv[4 * q + 2 * a + b] = SIMD8(repeating: wk[ty.k * 4 + tx.k])
                            offsets[4 * q + 2 * a + b] = (ty.d + 1) * rowStride + tx.d + 1
                        }
                    }
                }
            }
            let base = UnsafeRawPointer(padded)
            for oy in rows {
                let m = oy >> 1 - mLo
                let py = oy & 1
                for px in 0..<2 {
                    let target = px == 0 ? even : odd
                    let q = 4 * (2 * py + px)
                    let (w0, w1, w2, w3) = (wv[q], wv[q + 1], wv[q + 2], wv[q + 3])
                    let r0 = base + (offsets[q] + m * rowStride) * 4
                    let r1 = base + (offsets[q + 1] + m * rowStride) * 4
                    let r2 = base + (offsets[q + 2] + m * rowStride) * 4
                    let r3 = base + (offsets[q + 3] + m * rowStride) * 4
                    var n = 0
                    while n + 8 <= w {
                        var acc = w0 * (r0 + 4 * n).loadUnaligned(as: SIMD8<Float>.self)
                        acc += w1 * (r1 + 4 * n).loadUnaligned(as: SIMD8<Float>.self)
                        acc += w2 * (r2 + 4 * n).loadUnaligned(as: SIMD8<Float>.self)
                        acc += w3 * (r3 + 4 * n).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(target + n).storeBytes(of: acc, as: SIMD8<Float>.self)
                        n += 8
                    }
                    while n < w {
                        var acc = w0[0] * r0.load(fromByteOffset: 4 * n, as: Float.self)
                        acc += w1[0] * r1.load(fromByteOffset: 4 * n, as: Float.self)
                        acc += w2[0] * r2.load(fromByteOffset: 4 * n, as: Float.self)
                        acc += w3[0] * r3.load(fromByteOffset: 4 * n, as: Float.self)
                        target[n] = acc
                        n += 1
                    }
                }
                let out = dst + (oy - rows.lowerBound) * wo
                var n = 0
                while n + 8 <= w {
                    let e = UnsafeRawPointer(even + n).loadUnaligned(as: SIMD8<Float>.self)
                    let o = UnsafeRawPointer(odd + n).loadUnaligned(as: SIMD8<Float>.self)
                    let lo = SIMD8<Float>(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3])
                    let hi = SIMD8<Float>(e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7])
                    UnsafeMutableRawPointer(out + 2 * n).storeBytes(of: lo, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(out + 2 * n + 8).storeBytes(of: hi, as: SIMD8<Float>.self)
                    n += 8
                }
                while n < w {
                    out[2 * n] = even[n]
                    out[2 * n + 1] = odd[n]
                    n += 1
                }
            }
        }
        }
    }

    /// Full transposed convolution (groups = 1, no bias), as `ConvTranspose2d(cin, cout, k, s, p)`.
    /// input [cin, h, w], weight [cin, cout, k, k] -> output [cout, ho, wo], ho = (h - 1) * s - 2p + k.
    /// 4x4 stride 2 padding 1 goes to `convTranspose2dShifted`; other shapes are computed as one sgemm
    /// (weightᵀ x input) into per-tap columns, then a col2im scatter.
    func convTranspose2d(
        input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, cout: Int, kernel k: Int, stride s: Int, padding p: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        if k == 4 && s == 2 && p == 1 {
            convTranspose2dShifted(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, output: output)
            return
        }
        let ho = (h - 1) * s - 2 * p + k
        let wo = (w - 1) * s - 2 * p + k
        let plane = h * w
        let taps = cout * k * k
        // weightT [cout*k*k, cin]
        let weightT = UnsafeMutablePointer<Float>.allocate(capacity: taps * cin)
        defer { weightT.deallocate() }
        for ci in 0..<cin {
            for t in 0..<taps { weightT[t * cin + ci] = weight[ci * taps + t] }
        }
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: taps * plane)
        defer { columns.deallocate() }
        parallelSgemm(m: taps, n: plane, k: cin, a: weightT, lda: cin, b: input, ldb: plane, c: columns, ldc: plane)
        parallelFor(cout) { o in
            let dst = output + o * ho * wo
            dst.update(repeating: 0, count: ho * wo)
            for ky in 0..<k {
                for kx in 0..<k {
                    let col = columns + ((o * k + ky) * k + kx) * plane
                    for iy in 0..<h {
                        let oy = iy * s - p + ky
                        if oy < 0 || oy >= ho { continue }
                        for ix in 0..<w {
                            let ox = ix * s - p + kx
                            if ox < 0 || ox >= wo { continue }
                            dst[oy * wo + ox] += col[iy * w + ix]
                        }
                    }
                }
            }
        }
    }
}
