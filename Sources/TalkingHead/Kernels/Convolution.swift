import CKernels
import Foundation

// Convolutions on batch-1 NCHW float32 planes. Each kernel has a naive twin in
// Tests/KernelTests/NaiveKernels.swift and is checked against PyTorch fixtures.

/// Output size of a convolution along one axis (PyTorch's formula).
@inline(__always)
func convOutputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
    (size + 2 * padding - kernel) / stride + 1
}

/// 1x1 convolution as one sgemm.
/// input [cin, plane], weight [cout, cin], bias [cout] or nil -> output [cout, plane].
func conv1x1(
    input: UnsafePointer<Float>, cin: Int, plane: Int,
    weight: UnsafePointer<Float>, cout: Int, bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>
) {
    if let bias {
        parallelFor(cout) { o in
            (output + o * plane).update(repeating: bias[o], count: plane)
        }
    }
    parallelSgemm(m: cout, n: plane, k: cin, a: weight, lda: cin, b: input, ldb: plane,
          c: output, ldc: plane, beta: bias == nil ? 0 : 1)
}

/// General (groups = 1) convolution: 1x1 as one sgemm, 3x3 with few outputs directly, stride 1
/// and stride 2 (even kernel) as shifted-tap sgemms (`ShiftedConvolution.swift`), else im2col.
/// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil
/// -> output [cout, ho, wo] with ho = (h + 2p - k) / s + 1 (likewise wo).
///
/// `norm`, a deferred instance norm of the input (see `DeferredTensor`), is taken only where
/// `conv2dAppliesNorm` says so (the direct loops, which copy their input rows anyway).
func conv2d(
    input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
    weight: UnsafePointer<Float>, cout: Int, kernel k: Int, stride s: Int, padding p: Int,
    bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, norm: ChannelScaleShift? = nil
) {
    precondition(norm == nil || conv2dAppliesNorm(cout: cout, kernel: k, stride: s, padding: p),
                 "conv2d: a deferred norm on a path that does not apply it")
    if k == 1 && s == 1 && p == 0 {
        conv1x1(input: input, cin: cin, plane: h * w, weight: weight, cout: cout, bias: bias, output: output)
        return
    }
    if conv2dAppliesNorm(cout: cout, kernel: k, stride: s, padding: p) {
        convDirect(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k, bias: bias,
                   output: output, norm: norm)
        return
    }
    // Shifted taps win on large planes (measured at 256x256: 7x7 128->64 846 -> 623 ms, 4x4 s2
    // 64->128 71 -> 62 ms); on small ones (32x32, 512 channels) im2col's single long sgemm is faster.
    let largePlane = convOutputSize(h, kernel: k, stride: s, padding: p) * convOutputSize(w, kernel: k, stride: s, padding: p) >= 8192
    if s == 1 && p < k && cin >= 16 && largePlane {
        conv2dShifted(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k,
                      padding: p, bias: bias, output: output)
        return
    }
    if s == 2 && k % 2 == 0 && p < k && cin >= 4 && largePlane {
        conv2dStride2Shifted(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k,
                             padding: p, bias: bias, output: output)
        return
    }
    conv2dIm2col(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k, stride: s,
                 padding: p, bias: bias, output: output)
}

/// Whether `conv2d` of this geometry runs the direct loops (stride 1, odd 'same' kernels, few
/// outputs), which apply a deferred norm of the input as they copy it.
func conv2dAppliesNorm(cout: Int, kernel k: Int, stride s: Int, padding p: Int) -> Bool {
    s == 1 && k % 2 == 1 && p == k / 2 && cout <= 32 && vectorLevel > 0
}

/// General (groups = 1) convolution by im2col over bands of output rows and sgemm: the fallback
/// of `conv2d` for strides and kernels `ShiftedConvolution.swift` does not cover.
/// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil -> output [cout, ho, wo].
func conv2dIm2col(
    input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
    weight: UnsafePointer<Float>, cout: Int, kernel k: Int, stride s: Int, padding p: Int,
    bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>
) {
    let ho = convOutputSize(h, kernel: k, stride: s, padding: p)
    let wo = convOutputSize(w, kernel: k, stride: s, padding: p)
    let rowsK = cin * k * k
    // Bands of about 1M floats of im2col matrix (4 MB), at least one output row.
    let bandRows = max(1, min(ho, (1 << 22) / max(1, rowsK * wo)))
    let columns = BufferPool.shared.take(rowsK * bandRows * wo)
    defer { BufferPool.shared.give(columns, count: rowsK * bandRows * wo) }
    let outPlane = ho * wo
    if let bias {
        parallelFor(cout) { o in (output + o * outPlane).update(repeating: bias[o], count: outPlane) }
    }
    var oy0 = 0
    while oy0 < ho {
        let rows = min(bandRows, ho - oy0)
        let n = rows * wo
        // columns[(ci*k + ky)*k + kx][(oy - oy0)*wo + ox] = input[ci][oy*s + ky - p][ox*s + kx - p]
        parallelFor(cin) { ci in
            let src = input + ci * h * w
            for ky in 0..<k {
                for kx in 0..<k {
                    let dst = columns + ((ci * k + ky) * k + kx) * n
                    let (oxLo, oxHi) = validRange(outSize: wo, inSize: w, offset: kx - p, stride: s)
                    for r in 0..<rows {
                        let iy = (oy0 + r) * s + ky - p
                        let d = dst + r * wo
                        if iy < 0 || iy >= h || oxLo >= oxHi {
                            d.update(repeating: 0, count: wo)
                            continue
                        }
                        let row = src + iy * w + kx - p
                        if oxLo > 0 { d.update(repeating: 0, count: oxLo) }
                        if s == 1 {
                            (d + oxLo).update(from: row + oxLo, count: oxHi - oxLo)
                        } else {
                            for ox in oxLo..<oxHi { d[ox] = row[ox * s] }
                        }
                        if oxHi < wo { (d + oxHi).update(repeating: 0, count: wo - oxHi) }
                    }
                }
            }
        }
        parallelSgemm(m: cout, n: n, k: rowsK, a: weight, lda: rowsK, b: columns, ldb: n,
              c: output + oy0 * wo, ldc: outPlane, beta: bias == nil ? 0 : 1)
        oy0 += rows
    }
}

/// k x k (k odd), stride 1, padding k / 2 convolution with few output channels (the stacked
/// output heads: 3x3 in THA3, 7x7 in THA v1), computed directly by the C vector loops
/// (`th_conv_rows`) over bands of output rows: im2col + sgemm spends most of its time on the
/// im2col copy when cout is this small, and the shifted-tap sgemms on packing.
/// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil -> output [cout, h, w].
/// Needs `vectorLevel > 0`.
func convDirect(
    input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
    weight: UnsafePointer<Float>, cout: Int, kernel k: Int, bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, norm: ChannelScaleShift? = nil
) {
    let p = k / 2
    let rowStride = w + 2 * p + 16
    // Rows per band: about 256 Ki floats of padded input, and at least 2 bands per core.
    let byCache = max(1, (256 << 10) / max(1, cin * rowStride) - 2 * p)
    let bandRows = max(1, min(byCache, h / (2 * workerCount)))
    let bands = (h + bandRows - 1) / bandRows
    let chanStride = (bandRows + 2 * p) * rowStride
    let level = Int32(vectorLevel)
    parallelFor(bands) { b in
        let oy0 = b * bandRows
        let rows = min(bandRows, h - oy0)
        let padded = BufferPool.shared.take(cin * chanStride)
        defer { BufferPool.shared.give(padded, count: cin * chanStride) }
        for ci in 0..<cin {
            let src = input + ci * h * w
            let dst = padded + ci * chanStride
            for r in 0..<(rows + 2 * p) {
                let y = oy0 - p + r
                let row = dst + r * rowStride
                if y < 0 || y >= h {
                    row.update(repeating: 0, count: rowStride)
                } else {
                    row.update(repeating: 0, count: p)
                    copyRow(src + y * w, row + p, count: w,
                            norm: norm.map { RowNorm(scale: $0.scale[ci], shift: $0.shift[ci], activation: $0.activation) })
                    (row + w + p).update(repeating: 0, count: rowStride - w - p)
                }
            }
        }
        th_conv_rows(level, Int32(k), padded, cin, chanStride, rowStride, weight, bias, cout, rows, w,
                     output + oy0 * w, h * w)
    }
}

/// The output positions `lo..<hi` whose input position `o * stride + offset` lies in [0, inSize).
@inline(__always)
func validRange(outSize: Int, inSize: Int, offset: Int, stride: Int) -> (Int, Int) {
    // o*stride + offset >= 0  <=>  o >= ceil(-offset / stride)
    var lo = 0
    if offset < 0 { lo = (-offset + stride - 1) / stride }
    // o*stride + offset <= inSize - 1  <=>  o <= floor((inSize - 1 - offset) / stride)
    let last = inSize - 1 - offset
    let hi = last < 0 ? 0 : min(outSize, last / stride + 1)
    return (lo, max(lo, hi))
}

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
        let padded = BufferPool.shared.take(scratch)
        defer { BufferPool.shared.give(padded, count: scratch) }
        padded.update(repeating: 0, count: scratch)
        for ch in channels {
            depthwiseRows(g, input: input + ch * h * w, weight: weight + ch * k * k, rows: 0..<g.ho,
                          padded: padded, output: output + ch * g.ho * g.wo)
        }
    }
}

/// Separable convolution: depthwise k x k (stride s, padding p, no bias) then pointwise 1x1.
/// input [cin, h, w], depthwise [cin, 1, k, k], pointwise [cout, cin], bias [cout] or nil
/// -> output [cout, ho, wo].
func separableConv2d(
    input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
    depthwise: UnsafePointer<Float>, kernel k: Int, stride s: Int, padding p: Int,
    pointwise: PointwiseWeights, cout: Int, bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, statistics: UnsafeMutablePointer<Double>? = nil
) {
    separableConv2d(sources: [ChannelSource(data: input, channels: cin, upsampled: false)], height: h, width: w,
                    depthwise: depthwise, kernel: k, stride: s, padding: p, pointwise: pointwise, cout: cout,
                    bias: bias, output: output, statistics: statistics)
}

/// A block of input channels of `separableConv2d`: `channels` planes at `data`, of the
/// convolution's input size h x w, or (`upsampled`) of h/2 x w/2 read as their nearest-neighbour
/// 2x upsampling. Several sources in a row are their channel concatenation. `norm`, when given,
/// is the sources' deferred instance norm (see `DeferredTensor`), applied as rows are read.
struct ChannelSource {
    let data: UnsafePointer<Float>
    let channels: Int
    let upsampled: Bool
    var norm: ChannelScaleShift? = nil
}

/// Separable convolution of the channel concatenation of `sources` (see `ChannelSource`):
/// depthwise k x k (stride s, padding p, no bias) then pointwise 1x1.
/// sources [cin = sum of channels, h, w], depthwise [cin, 1, k, k], pointwise [cout, cin],
/// bias [cout] or nil -> output [cout, ho, wo].
///
/// Works in bands of output rows: a band's depthwise result (cin x rows x wo, about 1 MB)
/// stays in a per-band scratch that is still in cache when one single-threaded sgemm turns it
/// into the band's rows of every output channel, whose per-channel mean and variance are then
/// taken while still in cache when `statistics` is given (2 x cout doubles: every mean, then
/// every biased variance, over the whole output plane, for `instanceNorm`; bands are merged
/// in order, so the figures do not depend on the threads). Neither the full depthwise result nor the
/// concatenated (or upsampled) input ever exists as a tensor: at 512x512 in the editor's last
/// block they would be 100 MB each. Bands are spread over the cores.
func separableConv2d(
    sources: [ChannelSource], height h: Int, width w: Int,
    depthwise: UnsafePointer<Float>, kernel k: Int, stride s: Int, padding p: Int, transposed: Bool = false,
    pointwise: PointwiseWeights, cout: Int, bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, statistics: UnsafeMutablePointer<Double>? = nil
) {
    precondition(sources.allSatisfy { !$0.upsampled || (s == 1 && h % 2 == 0 && w % 2 == 0 && !transposed) },
                 "separableConv2d: upsampled sources need stride 1 and an even size")
    precondition(!transposed || (k == 4 && s == 2 && p == 1), "separableConv2d: transposed needs kernel 4, stride 2, padding 1")
    let cin = sources.reduce(0) { $0 + $1.channels }
    precondition(pointwise.rows == cout && pointwise.columns == cin,
                 "separableConv2d: pointwise weights \(pointwise.rows)x\(pointwise.columns) for \(cin)->\(cout)")
    // The packed product when the weights were packed for it and it is still switched on; sgemm
    // on the row-major weights otherwise (unpacked here when a benchmark switched it off).
    let packedProduct = pointwise.tileRows > 0 && vectorLevel >= 2 && separableDirectGemm && cin >= directGemmMinimumInputs
    let rowMajor = packedProduct || pointwise.tileRows == 0 ? pointwise.storage : pointwise.unpacked()
    // Channel ch's plane, whether it is upsampled and its deferred norm, for ch in 0..<cin.
    var planes: [(UnsafePointer<Float>, Bool, RowNorm?)] = []
    for src in sources {
        precondition(src.norm == nil || src.norm!.scale.count == src.channels)
        let size = src.upsampled ? (h / 2) * (w / 2) : h * w
        for c in 0..<src.channels {
            planes.append((src.data + c * size, src.upsampled,
                           src.norm.map { RowNorm(scale: $0.scale[c], shift: $0.shift[c], activation: $0.activation) }))
        }
    }
    let g = DepthwiseGeometry(height: h, width: w, kernel: k, stride: s, padding: p)
    let tg = TransposedGeometry(height: h, width: w)
    let (ho, wo) = transposed ? (2 * h, 2 * w) : (g.ho, g.wo)
    // Rows per band: about `separableBandFloats` (1 MB) of depthwise result, and at least 2 bands
    // per core (measured, poses alternating in one process: 1 MB 2.4-3.5% less CPU than 2 MB and
    // 0.5 MB; 2 MB had been 3-10% better than 512 KB on the editor's 512x512 layers).
    let byCache = max(1, separableBandFloats / max(1, cin * wo))
    let byCores = max(1, ho / (separableBandsPerCore * workerCount))
    var bandRows = min(byCache, byCores)
    // Whole 32-column tiles of the product where that keeps the band: 24 wide, 6 rows (144
    // columns, the last tile half empty) become 4 rows (96).
    let tileRows = 32 / gcd(wo, 32)
    if bandRows >= tileRows { bandRows -= bandRows % tileRows }
    let bands = (ho + bandRows - 1) / bandRows
    let scratch = transposed ? tg.scratchCount(rows: bandRows) : g.scratchCount(rows: bandRows)
    // Floats between the band's depthwise rows of two channels: a multiple of 16 that is not a
    // multiple of 256, so the k rows one product reads do not all fall in the same cache sets.
    let ldm = ((bandRows * wo + 15) & ~15) | 16
    // Per band and output channel: mean and biased variance of the band's rows.
    var bandStatistics = [Double](repeating: 0, count: statistics == nil ? 0 : 2 * bands * cout)
    bandStatistics.withUnsafeMutableBufferPointer { bandStatistics in
    planes.withUnsafeBufferPointer { planes in
        parallelFor(bands) { b in
            let oy0 = b * bandRows
            let rows = min(bandRows, ho - oy0)
            let n = rows * wo
            let mid = BufferPool.shared.take(cin * ldm)
            let padded = BufferPool.shared.take(scratch)
            defer {
                BufferPool.shared.give(padded, count: scratch)
                BufferPool.shared.give(mid, count: cin * ldm)
            }
            padded.update(repeating: 0, count: scratch)
            var ch = 0
            for src in sources where transposed {
                for _ in 0..<src.channels {
                    transposedDepthwiseRows(tg, input: planes[ch].0, norm: planes[ch].2, weight: depthwise + ch * 16,
                                            rows: oy0..<(oy0 + rows), padded: padded, output: mid + ch * ldm)
                    ch += 1
                }
            }
            for src in sources where !transposed {
                // A full-size source: all its channels in one C call (AVX-512).
                let code = src.norm?.activation.scaleShiftCode ?? (act: 0, slope: 0)
                if !src.upsampled && (src.norm == nil || code.act >= 0),
                   th_depthwise_band(Int32(vectorLevel), src.data, h * w, src.channels, h, w, k, s, p, depthwise + ch * k * k,
                                     src.norm?.scale, src.norm?.shift, code.act, code.slope, oy0, rows, padded,
                                     g.rowStride, mid + ch * ldm, ldm) != 0 {
                    ch += src.channels
                    continue
                }
                for _ in 0..<src.channels {
                    depthwiseRows(g, input: planes[ch].0, upsampled: planes[ch].1, norm: planes[ch].2,
                                  weight: depthwise + ch * k * k, rows: oy0..<(oy0 + rows), padded: padded,
                                  output: mid + ch * ldm)
                    ch += 1
                }
            }
            let c = output + oy0 * wo
            if packedProduct {
                let done = th_gemm_packed(Int32(vectorLevel), pointwise.storage.data, Int32(pointwise.tileRows), cout, cin,
                                          mid, ldm, n, bias, c, ho * wo)
                precondition(done != 0, "separableConv2d: th_gemm_packed declined")
            } else {
                if let bias {
                    for o in 0..<cout { (c + o * ho * wo).update(repeating: bias[o], count: n) }
                }
                sgemm(m: cout, n: n, k: cin, a: rowMajor.data, lda: cin, b: mid, ldb: ldm, c: c, ldc: ho * wo,
                      beta: bias == nil ? 0 : 1)
            }
            if statistics != nil, let stats = bandStatistics.baseAddress {
                for o in 0..<cout {
                    let (mean, variance) = meanAndVariance(c + o * ho * wo, count: n)
                    stats[2 * (b * cout + o)] = mean
                    stats[2 * (b * cout + o) + 1] = variance
                }
            }
        }
    }
    }
    if let statistics {
        for o in 0..<cout {
            var total: (n: Double, mean: Double, variance: Double) = (0, 0, 0)
            for b in 0..<bands {
                let rows = min(bandRows, ho - b * bandRows)
                total = mergeStatistics(total, (Double(rows * wo), bandStatistics[2 * (b * cout + o)],
                                                bandStatistics[2 * (b * cout + o) + 1]))
            }
            statistics[o] = total.mean
            statistics[cout + o] = total.variance
        }
    }
}

/// Greatest common divisor of two positive integers.
func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

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

/// The level the C inner loops (CKernels) run at: 2 AVX-512, 1 AVX2 + FMA, 0 neither (the
/// Swift SIMD loops run); `Configuration.maxVectorLevel` caps it, tests set it to check each path.
nonisolated(unsafe) var vectorLevel: Int = VectorLevel.detected.rawValue

/// One channel's deferred instance norm: y = activation(x * scale + shift).
struct RowNorm {
    let scale: Float
    let shift: Float
    let activation: Activation
}

/// dst[0..<count] = src[0..<count], with `norm` applied when given.
@inline(__always)
func copyRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, norm: RowNorm?) {
    if let norm {
        scaleShift(src, dst, count: count, scale: norm.scale, shift: norm.shift, activation: norm.activation)
    } else {
        dst.update(from: src, count: count)
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
    if upsampled && k == 3 && p == 1 && vectorLevel >= 2 {
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
        if th_depthwise_up2_rows(Int32(vectorLevel), padded, rowStride, lr0, wk, rows.lowerBound, rows.count, lw, dst) != 0 {
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
        if vectorLevel > 0 {
            th_depthwise_rows(Int32(vectorLevel), padded, rowStride, s, wk, tapOffset.baseAddress!, taps, rows.count, wo, dst)
        } else {
            depthwiseRowsPortable(padded: padded, rowStride: rowStride, stride: s, weight: wk, tapOffset: tapOffset.baseAddress!,
                                  taps: taps, rows: rows.count, wo: wo, output: dst)
        }
    }
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
        let padded = BufferPool.shared.take(scratch)
        defer { BufferPool.shared.give(padded, count: scratch) }
        for ch in channels {
            transposedDepthwiseRows(g, input: input + ch * h * w, norm: nil, weight: weight + ch * 16, rows: 0..<(2 * h),
                                    padded: padded, output: output + ch * 4 * h * w)
        }
    }
}

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

/// Floats of depthwise result per band of `separableConv2d` (the benchmarks vary it).
nonisolated(unsafe) var separableBandFloats = 256 << 10

/// Bands of `separableConv2d` per core at least (the benchmarks vary it).
nonisolated(unsafe) var separableBandsPerCore = 2

/// Whether `separableConv2d` may use `th_gemm_packed` (AVX-512) instead of OpenBLAS for its
/// pointwise products, and from how many input channels (`PointwiseWeights` packs the weights
/// for it when they load; benchmarks and tests switch it).
/// Measured on the 2-core AMD EPYC of Benchmarks/RESULTS.md with its unpacked predecessor
/// (`th_gemm_bias`; the packed product is 2% faster again a pose): per layer (best of 12 interleaved
/// runs) 5-12% faster from 64 input channels up (512->512 @32: 3.03 -> 2.67 ms), slower below
/// (16->32 @512: 5.2 -> 6.0 ms); whole poses alternating in one process (`--ab`): 3.4% less
/// time than OpenBLAS everywhere, from 32 inputs 0.9-1.3% less CPU than from 64 (after the
/// 48-column tiles for short sums).
nonisolated(unsafe) var separableDirectGemm = true
nonisolated(unsafe) var directGemmMinimumInputs = 32
