import CKernels
import Foundation

// Separable convolutions (depthwise then pointwise 1x1), banded and fused: the whole layer
// kind that is most of a THA3 pose.

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

/// Greatest common divisor of two positive integers.
func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

extension KernelContext {
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
        // The packed product when the weights were packed for it at this level and it is still
        // switched on; sgemm on the row-major weights otherwise (unpacked here when a benchmark or
        // test switched it off or changed the level after loading).
        let packedProduct = pointwise.tileRows > 0 && pointwise.tileRows == Int(th_gemm_tile_rows(cLevel, cin))
            && tuning.packedProduct && cin >= tuning.packedProductMinimumInputs
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
        // Rows per band: about `tuning.separableBandFloats` (1 MB) of depthwise result, and at least
        // `tuning.separableBandsPerCore` bands per core (figures: Benchmarks/RESULTS.md).
        let byCache = max(1, tuning.separableBandFloats / max(1, cin * wo))
        let byCores = max(1, ho / (tuning.separableBandsPerCore * workerCount))
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
                let mid = pool.take(cin * ldm)
                let padded = pool.take(scratch)
                defer {
                    pool.give(padded, count: scratch)
                    pool.give(mid, count: cin * ldm)
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
                    // A full-size source: all its channels in one C call (AVX2, AVX-512).
                    let code = src.norm?.activation.scaleShiftCode ?? (act: 0, slope: 0)
                    if !src.upsampled && (src.norm == nil || code.act >= 0),
                       th_depthwise_band(cLevel, src.data, h * w, src.channels, h, w, k, s, p, depthwise + ch * k * k,
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
                    let done = th_gemm_packed(cLevel, pointwise.storage.data, Int32(pointwise.tileRows), cout, cin,
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
}
