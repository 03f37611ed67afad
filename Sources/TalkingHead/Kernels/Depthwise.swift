import CKernels
import Foundation

// Depthwise convolutions (groups = channels): a channel's output rows from a zero-padded
// scratch of the input rows they read, by the C loops (`CKernelDispatch`) or their Swift twin.

/// Sizes shared by `depthwiseRows` and its callers. The scratch holds the input rows a band of
/// output rows reads, zero-padded (for stride 2 each padded row is split into its even and odd
/// columns), so the inner loop has no border tests and reads contiguous vectors.
struct DepthwiseGeometry {
    let h, w, k, s, p, ho, wo: Int
    let half: Int       // stride 2: width of the even and odd halves of a padded row
    let rowStride: Int  // floats per padded row, with 16 spare for the vector loads

    init(height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        precondition(stride == 1 || stride == 2, "depthwise convolution: stride \(stride) not supported")
        (h, w, k, s, p) = (height, width, kernel, stride, padding)
        ho = convOutputSize(height, kernel: kernel, stride: stride, padding: padding)
        wo = convOutputSize(width, kernel: kernel, stride: stride, padding: padding)
        let pw = width + 2 * padding
        half = (pw + 1) / 2
        rowStride = (stride == 1 ? pw : 2 * half) + 16
    }

    /// Floats of scratch for `rows` output rows: the padded rows they read, then w spare floats
    /// (where a stride-2 row is normalised before it is split, see `depthwiseRows`).
    func scratchCount(rows: Int) -> Int { paddedRowsCount(rows: rows) + w }

    /// Floats of the padded input rows that `rows` output rows read.
    func paddedRowsCount(rows: Int) -> Int { ((rows - 1) * s + k) * rowStride }
}

/// The Swift SIMD twin of `th_depthwise_rows` (CPUs without AVX2 + FMA, and tests).
func depthwiseRowsPortable(
    padded: UnsafeMutablePointer<Float>, rowStride: Int, stride s: Int, weight wk: UnsafePointer<Float>,
    tapOffset: UnsafePointer<Int>, taps: Int, rows: Int, wo: Int, output dst: UnsafeMutablePointer<Float>
) {
    let wv = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: taps)
    defer { wv.deallocate() }
    for t in 0..<taps { wv[t] = SIMD8(repeating: wk[t]) }
    for oy in 0..<rows {
        let out = dst + oy * wo
        let base = UnsafeRawPointer(padded + oy * s * rowStride)
        var x = 0
        // Four independent accumulators (32 outputs) per pass over the taps.
        while x + 32 <= wo {
            var a0 = SIMD8<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
            for t in 0..<taps {
                let r = base + (tapOffset[t] + x) * 4
                let w = wv[t]
                a0 += w * r.loadUnaligned(as: SIMD8<Float>.self)
                a1 += w * r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                a2 += w * r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                a3 += w * r.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
            }
            let o = UnsafeMutableRawPointer(out + x)
            o.storeBytes(of: a0, as: SIMD8<Float>.self)
            o.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
            x += 32
        }
        while x + 8 <= wo {
            var acc = SIMD8<Float>(repeating: 0)
            for t in 0..<taps {
                acc += wv[t] * (base + (tapOffset[t] + x) * 4).loadUnaligned(as: SIMD8<Float>.self)
            }
            UnsafeMutableRawPointer(out + x).storeBytes(of: acc, as: SIMD8<Float>.self)
            x += 8
        }
        let row = padded + oy * s * rowStride
        while x < wo {
            var acc: Float = 0
            for t in 0..<taps { acc += wk[t] * row[tapOffset[t] + x] }
            out[x] = acc
            x += 1
        }
    }
}

extension KernelContext {
    /// Depthwise convolution (groups = channels, no bias).
    /// input [c, h, w], weight [c, 1, k, k] -> output [c, ho, wo].
    ///
    /// Each channel is computed by `depthwiseRows` over all its output rows; channels are spread
    /// over the cores.
    func depthwiseConv2d(
        input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, kernel k: Int, stride s: Int, padding p: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let g = DepthwiseGeometry(height: h, width: w, kernel: k, stride: s, padding: p)
        let scratch = g.scratchCount(rows: g.ho)
        parallelRanges(c, chunks: 2 * workerCount) { channels in
            let padded = pool.take(scratch)
            defer { pool.give(padded, count: scratch) }
            padded.update(repeating: 0, count: scratch)
            for ch in channels {
                depthwiseRows(g, input: input + ch * h * w, weight: weight + ch * k * k, rows: 0..<g.ho,
                              padded: padded, output: output + ch * g.ho * g.wo)
            }
        }
    }

    /// Output rows `rows` of one channel's depthwise convolution.
    /// input [h, w] (or, `upsampled`, [h/2, w/2] read as its nearest 2x upsampling; stride 1),
    /// with `norm` (a deferred instance norm) applied to it when given; weight [k, k]
    /// -> output [rows.count, wo].
    /// `padded` holds `g.scratchCount(rows: rows.count)` floats whose padding columns are zero
    /// (callers zero it once; this writes only image columns and whole rows outside the image).
    @inline(__always)
    func depthwiseRows(
        _ g: DepthwiseGeometry, input src: UnsafePointer<Float>, upsampled: Bool = false, norm: RowNorm? = nil,
        weight wk: UnsafePointer<Float>,
        rows: Range<Int>, padded: UnsafeMutablePointer<Float>, output dst: UnsafeMutablePointer<Float>
    ) {
        let (h, w, k, s, p, wo, half, rowStride) = (g.h, g.w, g.k, g.s, g.p, g.wo, g.half, g.rowStride)
        if upsampled && k == 3 && p == 1 && runs(.depthwiseUp2) {
            // 3x3 on the upsampling, as 2x2 stencils on the low plane (th_depthwise_up2_rows): copy
            // low rows lr0 ... lr1 with a zero column on each side.
            let (lh, lw) = (h >> 1, w >> 1)
            let lr0 = (rows.lowerBound - 1) >> 1, lr1 = rows.upperBound >> 1
            for r in 0...(lr1 - lr0) {
                let y = lr0 + r
                let row = padded + r * rowStride
                if y < 0 || y >= lh {
                    row.update(repeating: 0, count: rowStride)
                } else {
                    row[0] = 0
                    copyRow(src + y * lw, row + 1, count: lw, norm: norm)
                    row[lw + 1] = 0
                }
            }
            if th_depthwise_up2_rows(cLevel, padded, rowStride, lr0, wk, rows.lowerBound, rows.count, lw, dst) != 0 {
                return
            }
        }
        let inRows = (rows.count - 1) * s + k
        let iy0 = rows.lowerBound * s - p
        if s == 1 && !upsampled, let norm {
            // Stride 1 with a deferred norm: the image rows in one call.
            let ya = max(0, iy0), yb = min(h, iy0 + inRows)
            for r in 0..<inRows where iy0 + r < ya || iy0 + r >= yb {
                (padded + r * rowStride).update(repeating: 0, count: rowStride)
            }
            if ya < yb {
                scaleShiftRows(src + ya * w, sourceStride: w, padded + (ya - iy0) * rowStride + p, destinationStride: rowStride,
                               rows: yb - ya, count: w, scale: norm.scale, shift: norm.shift, activation: norm.activation)
            }
        } else {
        for r in 0..<inRows {
            let y = iy0 + r
            let row = padded + r * rowStride
            if y < 0 || y >= h {
                row.update(repeating: 0, count: rowStride)
                continue
            }
            if upsampled {
                // Levels without th_depthwise_up2_rows, and kernels other than 3x3.
                let half = src + (y >> 1) * (w >> 1)
                let out = row + p
                for x in 0..<(w >> 1) {
                    let v = half[x]
                    out[2 * x] = v
                    out[2 * x + 1] = v
                }
                if let norm { scaleShift(out, out, count: w, scale: norm.scale, shift: norm.shift, activation: norm.activation) }
            } else if s == 1 {
                copyRow(src + y * w, row + p, count: w, norm: norm)
            } else {
                // Column j = x + p of the padded row goes to (j even ? j/2 : half + j/2). A deferred
                // norm is applied first, into the scratch's w spare floats past the padded rows.
                var r = src + y * w
                if let norm {
                    let temp = padded + g.paddedRowsCount(rows: rows.count)
                    copyRow(r, temp, count: w, norm: norm)
                    r = UnsafePointer(temp)
                }
                var x = 0
                if p == 1 {
                    // Even x land in the odd half at x/2, odd x in the even half at x/2 + 1.
                    let raw = UnsafeRawPointer(r)
                    while x + 16 <= w {
                        let v = raw.loadUnaligned(fromByteOffset: 4 * x, as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(row + half + x / 2).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(row + x / 2 + 1).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                        x += 16
                    }
                }
                while x < w {
                    let j = x + p
                    row[(j & 1) * half + (j >> 1)] = r[x]
                    x += 1
                }
            }
        }
        }
        // Tap t = ky*k + kx reads padded row (oy*s + ky) at column offset tapOffset[t] + x.
        let taps = k * k
        withUnsafeTemporaryAllocation(of: Int.self, capacity: taps) { tapOffset in
            for ky in 0..<k {
                for kx in 0..<k {
                    tapOffset[ky * k + kx] = ky * rowStride + (s == 1 ? kx : (kx & 1) * half + (kx >> 1))
                }
            }
            if th_depthwise_rows(cLevel, padded, rowStride, s, wk, tapOffset.baseAddress!, taps, rows.count, wo, dst) == 0 {
                depthwiseRowsPortable(padded: padded, rowStride: rowStride, stride: s, weight: wk, tapOffset: tapOffset.baseAddress!,
                                      taps: taps, rows: rows.count, wo: wo, output: dst)
            }
        }
    }
}
