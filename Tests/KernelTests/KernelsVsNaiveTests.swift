import Foundation
import CKernels
import TestSupport
import XCTest
@testable import TalkingHead

/// Every kernel against its naive twin (Naive.swift) on seeded random unit-scale inputs, odd
/// sizes and borders. Tolerance 1e-4 absolute; each case prints its max difference.
final class KernelsVsNaiveTests: XCTestCase {
    var rng = SplitMix(seed: 42)
    /// The kernels' level and knobs; `testEveryVectorPath` lowers the level.
    var context = KernelContext.standard

    func random(_ n: Int, scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(rng.uniform() * 2 - 1) * Float(scale) } }

    /// Tensors made for a test stay alive until the test ends: kernels take raw pointers, and a
    /// temporary `tensor(...).data` would otherwise hand its buffer back to the pool too early.
    var alive: [Tensor] = []

    func tensor(_ c: Int, _ h: Int, _ w: Int, _ v: [Float]) -> Tensor {
        let t = Tensor(channels: c, height: h, width: w, values: v)
        alive.append(t)
        return t
    }

    override func tearDown() { alive = [] }

    /// Pointwise weights [rows, pw.count / rows] of a separable convolution, in the layout the
    /// current vector level's product reads (packed for th_gemm_packed on AVX-512).
    func pointwise(_ pw: [Float], rows: Int) -> PointwiseWeights {
        PointwiseWeights(tensor(1, 1, pw.count, pw), rows: rows, columns: pw.count / rows, context: context)
    }

    func planes(_ t: Tensor) -> Planes { Planes(c: t.channels, h: t.height, w: t.width, v: t.array.map(Double.init)) }

    func check(_ got: Tensor, _ want: Planes, _ label: String, tolerance: Double = 1e-4) {
        XCTAssertEqual([got.channels, got.height, got.width], [want.c, want.h, want.w], label)
        var m = 0.0
        for (a, b) in zip(got.array, want.v) { m = max(m, abs(Double(a) - b)) }
        print(String(format: "%-48@ max |diff| %.2e", label as NSString, m))
        XCTAssertLessThanOrEqual(m, tolerance, label)
    }

    /// The largest difference between `statistics` (every channel's mean, then every biased
    /// variance, as `separableConv2d` gathers them) and those of `out` computed in double:
    /// absolute for the means, relative for the variances.
    func statisticsDifference(_ out: Tensor, _ statistics: [Double]) -> Double {
        let (cout, plane) = (out.channels, out.plane)
        var diff = 0.0
        for o in 0..<cout {
            let v = out.array[(o * plane)..<((o + 1) * plane)].map(Double.init)
            let mean = v.reduce(0, +) / Double(plane)
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(plane)
            diff = max(diff, abs(statistics[o] - mean), abs(statistics[cout + o] - variance) / max(variance, 1e-30))
        }
        return diff
    }

    func testConv2dGeneralAndPointwise() {
        for (cin, cout, h, w, k, s, p, bias) in [
            (5, 7, 13, 11, 3, 1, 1, true), (3, 4, 17, 15, 7, 1, 3, false), (4, 6, 12, 10, 4, 2, 1, false),
            (4, 6, 13, 11, 4, 2, 1, true), (9, 6, 5, 3, 1, 1, 0, true), (1, 2, 1, 1, 3, 1, 1, true),
            (40, 3, 200, 200, 3, 1, 1, true),  // several im2col bands (direct 3x3: several row bands)
            (32, 10, 37, 70, 3, 1, 1, true), (7, 17, 9, 33, 3, 1, 1, false),  // direct 3x3: groups of 10 / 6 (AVX-512), 8 (AVX2), x tails
            (9, 4, 20, 19, 3, 1, 1, true), (5, 2, 11, 40, 3, 1, 1, false),  // direct 3x3: a group of 4 (AVX-512)
            (6, 12, 15, 40, 3, 1, 1, true), (5, 8, 9, 20, 3, 1, 1, false),  // direct 3x3: a group of 12, of 8 (AVX-512)
            // shifted taps (planes of 8192 or more outputs): many row bands, one band (split inside), 5x5 p1 (p < k/2), 4x4 s2 odd sizes, 6x6 s2 p2
            (17, 40, 150, 61, 7, 1, 3, true), (33, 35, 90, 91, 3, 1, 1, false), (16, 5, 99, 88, 5, 1, 1, true), (18, 33, 1, 9000, 3, 1, 1, true),
            (5, 36, 271, 67, 4, 2, 1, true), (4, 4, 210, 209, 6, 2, 2, false),
            // im2col fallback: stride 2 odd kernel, few input channels; direct 7x7 (few outputs)
            (2, 3, 9, 7, 3, 2, 1, true), (6, 40, 30, 21, 7, 1, 3, true), (20, 12, 40, 37, 7, 1, 3, true),
        ] {
            let x = random(cin * h * w), wt = random(cout * cin * k * k), b = random(cout)
            let out = Tensor(channels: cout, height: (h + 2 * p - k) / s + 1, width: (w + 2 * p - k) / s + 1)
            context.conv2d(input: tensor(cin, h, w, x).data, cin: cin, height: h, width: w, weight: tensor(1, 1, wt.count, wt).data,
                   cout: cout, kernel: k, stride: s, padding: p, bias: bias ? tensor(1, 1, cout, b).data : nil, output: out.data)
            let want = Naive.conv2d(Planes(c: cin, h: h, w: w, v: x.map(Double.init)), weight: wt.map(Double.init), cout: cout,
                                    k: k, stride: s, padding: p, groups: 1, bias: bias ? b.map(Double.init) : nil)
            check(out, want, "conv2d \(cin)->\(cout) \(k)x\(k) s\(s) \(h)x\(w)", tolerance: cin * k * k > 200 ? 5e-4 : 1e-4)
        }
    }

    /// Depthwise and separable kernels on every inner loop this CPU can run: the portable Swift
    /// loops, and the C AVX2 and AVX-512 loops where available. Fails when a level it asked for
    /// is not the one the kernels ran at, or when it ran no level at all.
    func testEveryVectorPath() {
        defer { context.level = .detected }
        var ran: [VectorLevel] = []
        for level in VectorLevel.allCases where level <= .detected {
            context.level = level
            XCTAssertEqual(context.level, level, "the context did not take vector level \(level)")
            testDepthwise()
            testSeparableConvolution()
            testSeparableConvolutionOfUpsampledConcat()
            testSeparableConvolutionWithDeferredNorm()
            testSeparableTransposedConvolution()
            testHeadConvolutionWithDeferredNorm()
            testConv2dGeneralAndPointwise()
            testInstanceNormAndActivations()
            ran.append(context.level)
        }
        XCTAssertEqual(ran, VectorLevel.allCases.filter { $0 <= .detected }, "vector levels run")
        XCTAssertEqual(ran.first, .portable, "the portable Swift loops did not run")
    }

    /// Every C kernel declines the same way below its lowest level (returns 0, touches nothing:
    /// the pointers here are null), and no kernel runs above the CPU's level.
    func testKernelsDeclineTheSameWay() {
        var portable = context
        portable.level = .portable
        for kernel in CKernel.allCases {
            XCTAssertFalse(portable.runs(kernel), "\(kernel) runs at the portable level")
            XCTAssertEqual(th_kernel_runs(kernel.code, 99), th_kernel_runs(kernel.code, Int32(VectorLevel.detected.rawValue)),
                           "\(kernel) above the CPU's level")
        }
        XCTAssertEqual(th_depthwise_rows(0, nil, 1, 1, nil, nil, 1, 1, 1, nil), 0)
        XCTAssertEqual(th_depthwise_band(0, nil, 1, 1, 1, 1, 3, 1, 1, nil, nil, nil, 0, 0, 0, 1, nil, 1, nil, 1), 0)
        XCTAssertEqual(th_depthwise_up2_rows(0, nil, 1, 0, nil, 0, 1, 1, nil), 0)
        XCTAssertEqual(th_conv_group(0, 4), 0)
        XCTAssertEqual(th_conv_rows(0, 3, nil, 1, 1, 1, nil, 8, nil, 4, 1, 1, nil, 1), 0)
        XCTAssertEqual(th_scale_shift(0, nil, 1, nil, 1, 1, 1, 1, 0, 0, 0, nil), 0)
        var m = 0.0, v = 0.0
        XCTAssertEqual(th_moments(0, nil, 1, &m, &v), 0)
        XCTAssertEqual(th_activate(0, 0, nil, 1), 0)
        XCTAssertEqual(th_gemm_packed(0, nil, 8, 1, 1, nil, 1, 1, nil, nil, 1), 0)
    }

    /// A pending norm is applied once, by the first consumer that materialises it: an alias
    /// then sees it applied (not pending), and materialising again changes nothing.
    func testDeferredNormIsAppliedOnceForEveryAlias() {
        let (c, h, w) = (3, 5, 7)
        let x = random(c * h * w)
        let scale = random(c), shift = random(c)
        let norm = ChannelScaleShift(scale: scale, shift: shift, activation: .leakyReLU(0.2))
        let pending = DeferredTensor(raw: tensor(c, h, w, x), norm: norm, context: context)
        let alias = pending
        let once = pending.materialized().array
        XCTAssertNil(alias.norm, "an alias still sees the norm as pending")
        XCTAssertEqual(alias.materialized().array, once, "materialised twice")
        let want = (0..<x.count).map { i -> Float in
            let v = x[i] * scale[i / (h * w)] + shift[i / (h * w)]
            return v > 0 ? v : v * 0.2
        }
        XCTAssertLessThanOrEqual(zip(once, want).map { abs($0 - $1) }.max()!, 1e-6, "norm applied")
        // With a residual: the sum once, then an ordinary tensor.
        let residual = tensor(c, h, w, random(c * h * w))
        let summed = DeferredTensor(raw: tensor(c, h, w, x), norm: norm, context: context)
        let sum = summed.materialized(adding: residual, context: context).array
        XCTAssertNil(summed.norm)
        XCTAssertLessThanOrEqual(zip(sum, zip(want, residual.array).map { $1 + $0 }).map { abs($0 - $1) }.max()!, 1e-6,
                                 "norm applied with the residual")
    }

    func testDepthwise() {
        let path = "vector level \(context.level)"
        for (c, h, w, k, s, p) in [(3, 13, 11, 3, 1, 1), (7, 1, 1, 3, 1, 1), (5, 12, 10, 4, 2, 1), (5, 13, 11, 4, 2, 1),
                                   (17, 9, 40, 7, 1, 3), (2, 3, 5, 4, 2, 1), (3, 35, 37, 3, 1, 1), (4, 34, 70, 4, 2, 1),
                                   // 3x3 stride 1 four rows at a time: 64-wide blocks, a row and columns left over
                                   (3, 13, 130, 3, 1, 1), (2, 8, 64, 3, 1, 1)] {
            let x = random(c * h * w), wt = random(c * k * k)
            let out = Tensor(channels: c, height: (h + 2 * p - k) / s + 1, width: (w + 2 * p - k) / s + 1)
            context.depthwiseConv2d(input: tensor(c, h, w, x).data, channels: c, height: h, width: w, weight: tensor(1, 1, wt.count, wt).data,
                            kernel: k, stride: s, padding: p, output: out.data)
            let want = Naive.conv2d(Planes(c: c, h: h, w: w, v: x.map(Double.init)), weight: wt.map(Double.init), cout: c,
                                    k: k, stride: s, padding: p, groups: c, bias: nil)
            check(out, want, "depthwise \(c)ch \(k)x\(k) s\(s) \(h)x\(w) \(path)")
        }
    }

    /// The fused, banded separable convolution against naive depthwise then naive 1x1: sizes
    /// that give one band, many bands with a short last band, stride 2, 7x7, and bias or not.
    func testSeparableConvolution() {
        for (cin, cout, h, w, k, s, p, bias) in [
            (3, 5, 13, 11, 3, 1, 1, true), (6, 4, 12, 10, 4, 2, 1, false), (5, 3, 17, 9, 7, 1, 3, true),
            (200, 7, 37, 1000, 3, 1, 1, false),  // 1-row bands (200 x 1000 floats per row)
            (24, 9, 67, 45, 4, 2, 1, true), (2, 2, 1, 1, 3, 1, 1, true),
            (64, 33, 20, 45, 4, 2, 1, true), (70, 9, 9, 31, 3, 1, 1, false),  // direct gemm (AVX-512, 32 inputs and up)
            (5, 6, 30, 100, 4, 2, 1, true), (4, 5, 21, 77, 6, 2, 2, false),  // stride-2 row splits: 32-wide blocks + tails, even padding
            (40, 6, 23, 150, 3, 1, 1, true),  // 3x3 four rows at a time, in bands
        ] {
            let x = random(cin * h * w), dw = random(cin * k * k), pw = random(cout * cin), b = random(cout)
            let (ho, wo) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
            let out = Tensor(channels: cout, height: ho, width: wo)
            var statistics = [Double](repeating: .nan, count: 2 * cout)
            context.separableConv2d(input: tensor(cin, h, w, x).data, cin: cin, height: h, width: w,
                            depthwise: tensor(1, 1, dw.count, dw).data, kernel: k, stride: s, padding: p,
                            pointwise: pointwise(pw, rows: cout), cout: cout,
                            bias: bias ? tensor(1, 1, cout, b).data : nil, output: out.data, statistics: &statistics)
            let mid = Naive.conv2d(Planes(c: cin, h: h, w: w, v: x.map(Double.init)), weight: dw.map(Double.init), cout: cin,
                                   k: k, stride: s, padding: p, groups: cin, bias: nil)
            let want = Naive.conv2d(mid, weight: pw.map(Double.init), cout: cout, k: 1, stride: 1, padding: 0, groups: 1,
                                    bias: bias ? b.map(Double.init) : nil)
            check(out, want, "separable \(cin)->\(cout) \(k)x\(k) s\(s) \(h)x\(w)", tolerance: cin > 50 ? 5e-4 : 1e-4)
            // The statistics gathered band by band for the instance norm: each channel's mean and
            // biased variance over the whole output plane, of the values written.
            let statDiff = statisticsDifference(out, statistics)
            print(String(format: "%-48@ max stat diff %.2e", "  its statistics" as NSString, statDiff))
            XCTAssertLessThanOrEqual(statDiff, 1e-6, "separable \(cin)->\(cout) statistics")
        }
    }

    /// The separable convolution of cat([nearest2x(low), full]) read in place, against the
    /// naive convolutions of the built concatenation.
    func testSeparableConvolutionOfUpsampledConcat() {
        // The last case has bands of 15 rows (odd first rows) and 79 inputs (direct gemm).
        for (c1, c2, cout, h, w, bias) in [(3, 2, 4, 6, 8, true), (5, 7, 3, 34, 66, false), (1, 1, 1, 2, 2, true),
                                           (70, 9, 6, 60, 100, true)] {
            let low = random(c1 * (h / 2) * (w / 2)), full = random(c2 * h * w)
            let dw = random((c1 + c2) * 9), pw = random(cout * (c1 + c2)), b = random(cout)
            let out = Tensor(channels: cout, height: h, width: w)
            context.separableConv2d(sources: [ChannelSource(data: tensor(c1, h / 2, w / 2, low).data, channels: c1, upsampled: true),
                                      ChannelSource(data: tensor(c2, h, w, full).data, channels: c2, upsampled: false)],
                            height: h, width: w, depthwise: tensor(1, 1, dw.count, dw).data, kernel: 3, stride: 1, padding: 1,
                            pointwise: pointwise(pw, rows: cout), cout: cout,
                            bias: bias ? tensor(1, 1, cout, b).data : nil, output: out.data)
            let up = Naive.nearest2x(Planes(c: c1, h: h / 2, w: w / 2, v: low.map(Double.init)))
            let cat = Planes(c: c1 + c2, h: h, w: w, v: up.v + full.map(Double.init))
            let mid = Naive.conv2d(cat, weight: dw.map(Double.init), cout: c1 + c2, k: 3, stride: 1, padding: 1,
                                   groups: c1 + c2, bias: nil)
            let want = Naive.conv2d(mid, weight: pw.map(Double.init), cout: cout, k: 1, stride: 1, padding: 0, groups: 1,
                                    bias: bias ? b.map(Double.init) : nil)
            check(out, want, "separable of cat(up2x(\(c1)), \(c2)) -> \(cout) \(h)x\(w) vector level \(context.level)",
                  tolerance: c1 + c2 > 50 ? 5e-4 : 1e-4)
        }
    }

    /// A deferred instance norm (`ChannelSource.norm`) applied while the rows are read gives the
    /// same bits as normalising the input first (`scaleShift` in place, what `instanceNorm`
    /// does) and convolving that: stride 1 (3x3, 7x7, planes narrower and wider than 64), stride
    /// 2, an upsampled source with a full one, and every activation the norms use.
    func testSeparableConvolutionWithDeferredNorm() {
        for (c1, c2, cout, h, w, k, s, p) in [(5, 0, 4, 13, 11, 3, 1, 1), (70, 0, 9, 9, 31, 3, 1, 1), (6, 0, 5, 17, 70, 7, 1, 3),
                                              (7, 0, 3, 12, 10, 4, 2, 1), (64, 0, 8, 20, 45, 4, 2, 1),
                                              (3, 4, 5, 6, 8, 3, 1, 1), (70, 9, 6, 34, 66, 3, 1, 1)] {
            let upsampled = c2 > 0
            let (lh, lw) = upsampled ? (h / 2, w / 2) : (h, w)
            let cin = c1 + c2
            for activation in [Activation.relu, .leakyReLU(0.1), .identity] {
                let low = random(c1 * lh * lw, scale: 3), full = random(c2 * h * w, scale: 3)
                let dw = random(cin * k * k), pw = random(cout * cin)
                let scale = random(cin).map { $0 * 2 }, shift = random(cin)
                func norm(_ range: Range<Int>) -> ChannelScaleShift {
                    ChannelScaleShift(scale: Array(scale[range]), shift: Array(shift[range]), activation: activation)
                }
                func run(deferred: Bool) -> [Float] {
                    let lowT = tensor(c1, lh, lw, low), fullT = tensor(max(c2, 1), h, w, c2 > 0 ? full : [Float](repeating: 0, count: h * w))
                    if !deferred {
                        for c in 0..<c1 {
                            context.scaleShift(lowT.data + c * lh * lw, lowT.data + c * lh * lw, count: lh * lw, scale: scale[c],
                                       shift: shift[c], activation: activation)
                        }
                        for c in 0..<c2 {
                            context.scaleShift(fullT.data + c * h * w, fullT.data + c * h * w, count: h * w, scale: scale[c1 + c],
                                       shift: shift[c1 + c], activation: activation)
                        }
                    }
                    var sources = [ChannelSource(data: lowT.data, channels: c1, upsampled: upsampled,
                                                 norm: deferred ? norm(0..<c1) : nil)]
                    if c2 > 0 {
                        sources.append(ChannelSource(data: fullT.data, channels: c2, upsampled: false,
                                                     norm: deferred ? norm(c1..<cin) : nil))
                    }
                    let out = Tensor(channels: cout, height: (h + 2 * p - k) / s + 1, width: (w + 2 * p - k) / s + 1)
                    alive.append(out)
                    context.separableConv2d(sources: sources, height: h, width: w, depthwise: tensor(1, 1, dw.count, dw).data, kernel: k,
                                    stride: s, padding: p, pointwise: pointwise(pw, rows: cout), cout: cout, bias: nil,
                                    output: out.data)
                    return out.array
                }
                let (eager, deferred) = (run(deferred: false), run(deferred: true))
                let differing = zip(eager, deferred).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                print("separable \(c1)\(upsampled ? " up2x + \(c2)" : "")->\(cout) \(k)x\(k) s\(s) \(h)x\(w) deferred \(activation) "
                      + "vector level \(context.level): \(differing) of \(eager.count) values differ from norm-first")
                XCTAssertEqual(differing, 0, "deferred norm, \(c1)+\(c2)->\(cout) k\(k) s\(s) \(activation)")
            }
        }
    }

    /// The direct 3x3 loops of the output heads with a deferred norm on their input give the same
    /// bits as normalising first (where `conv2dAppliesNorm`; elsewhere conv2d refuses a norm).
    func testHeadConvolutionWithDeferredNorm() {
        guard context.conv2dAppliesNorm(cout: 10, kernel: 3, stride: 1, padding: 1) else { return }
        for (cin, cout, h, w) in [(32, 10, 37, 70), (7, 4, 9, 20)] {
            let x = random(cin * h * w, scale: 3), wt = random(cout * cin * 9), b = random(cout)
            let scale = random(cin), shift = random(cin)
            let norm = ChannelScaleShift(scale: scale, shift: shift, activation: .leakyReLU(0.1))
            let normed = tensor(cin, h, w, x)
            for c in 0..<cin {
                context.scaleShift(normed.data + c * h * w, normed.data + c * h * w, count: h * w, scale: scale[c], shift: shift[c],
                           activation: norm.activation)
            }
            let (eager, deferred) = (Tensor(channels: cout, height: h, width: w), Tensor(channels: cout, height: h, width: w))
            alive += [eager, deferred]
            let (wT, bT) = (tensor(1, 1, wt.count, wt), tensor(1, 1, cout, b))
            context.conv2d(input: normed.data, cin: cin, height: h, width: w, weight: wT.data, cout: cout, kernel: 3, stride: 1,
                   padding: 1, bias: bT.data, output: eager.data)
            context.conv2d(input: tensor(cin, h, w, x).data, cin: cin, height: h, width: w, weight: wT.data, cout: cout, kernel: 3,
                   stride: 1, padding: 1, bias: bT.data, output: deferred.data, norm: norm)
            let differing = zip(eager.array, deferred.array).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            print("head conv \(cin)->\(cout) \(h)x\(w) deferred norm vector level \(context.level): \(differing) values differ")
            XCTAssertEqual(differing, 0, "head conv \(cin)->\(cout): deferred norm differs from norm-first")
        }
    }

    /// The fused, banded transposed separable convolution (depthwise 4x4 s2 p1 transposed, then
    /// 1x1) against the naive ones: one band, many bands starting on odd rows, widths with and
    /// without 8-wide tails, 64 inputs and up (direct gemm); its statistics; and a deferred norm
    /// on its input giving the same bits as normalising first.
    func testSeparableTransposedConvolution() {
        for (cin, cout, h, w, bias) in [(3, 4, 5, 7, true), (1, 1, 1, 1, false), (70, 9, 12, 40, true), (130, 5, 27, 33, false)] {
            let x = random(cin * h * w), dw = random(cin * 16), pw = random(cout * cin), b = random(cout)
            let scale = random(cin), shift = random(cin)
            func run(_ input: [Float], norm: ChannelScaleShift?, statistics: UnsafeMutablePointer<Double>?) -> Tensor {
                let out = Tensor(channels: cout, height: 2 * h, width: 2 * w)
                alive.append(out)
                context.separableConv2d(sources: [ChannelSource(data: tensor(cin, h, w, input).data, channels: cin, upsampled: false, norm: norm)],
                                height: h, width: w, depthwise: tensor(1, 1, dw.count, dw).data, kernel: 4, stride: 2, padding: 1,
                                transposed: true, pointwise: pointwise(pw, rows: cout), cout: cout,
                                bias: bias ? tensor(1, 1, cout, b).data : nil, output: out.data, statistics: statistics)
                return out
            }
            var statistics = [Double](repeating: .nan, count: 2 * cout)
            let out = run(x, norm: nil, statistics: &statistics)
            let mid = Naive.convTranspose2d(Planes(c: cin, h: h, w: w, v: x.map(Double.init)), weight: dw.map(Double.init),
                                            cout: cin, k: 4, stride: 2, padding: 1, groups: cin)
            let want = Naive.conv2d(mid, weight: pw.map(Double.init), cout: cout, k: 1, stride: 1, padding: 0, groups: 1,
                                    bias: bias ? b.map(Double.init) : nil)
            check(out, want, "separable transposed \(cin)->\(cout) \(h)x\(w) vector level \(context.level)",
                  tolerance: cin > 50 ? 5e-4 : 1e-4)
            XCTAssertLessThanOrEqual(statisticsDifference(out, statistics), 1e-6, "separable transposed \(cin)->\(cout) statistics")
            let normed = (0..<(cin * h * w)).map { i -> Float in
                var v: Float = 0
                withUnsafePointer(to: x[i]) { src in withUnsafeMutablePointer(to: &v) { dst in
                    context.scaleShift(src, dst, count: 1, scale: scale[i / (h * w)], shift: shift[i / (h * w)], activation: .leakyReLU(0.2))
                } }
                return v
            }
            let eager = run(normed, norm: nil, statistics: nil).array
            let deferred = run(x, norm: ChannelScaleShift(scale: scale, shift: shift, activation: .leakyReLU(0.2)), statistics: nil).array
            let differing = zip(eager, deferred).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            XCTAssertEqual(differing, 0, "separable transposed \(cin)->\(cout): deferred norm differs from norm-first")
        }
    }

    /// The packed AVX-512 product of the separable convolutions (`th_gemm_packed`, A packed by
    /// `th_pack_rows`) against a naive loop: 8-row tiles (k < 256) and 6-row tiles, the last
    /// tile partial (m not a multiple of either), the last columns in every narrower tile (16,
    /// 32, 48 wide) and masked (n not a multiple of 16), leading dimensions wider than the
    /// matrices, bias or not. Skipped where the CPU has
    /// no AVX-512 (the function then declines and callers use sgemm).
    func testPackedGemm() throws {
        try XCTSkipUnless(th_vector_level() >= 2, "no AVX-512 on this CPU: th_gemm_packed declines, sgemm runs instead")
        for (m, n, k, bias) in [(1, 1, 1, true), (8, 32, 16, false), (9, 33, 7, true), (32, 1000, 96, true),
                                (13, 17, 300, false), (64, 48, 5, true), (7, 15, 1, false), (20, 65, 260, true),
                                (6, 64, 256, false), (512, 70, 256, true), (13, 96, 300, true), (12, 100, 256, false),
                                (16, 64, 100, true)] {
            let (lda, ldb, ldc) = (k + 3, n + 5, n + 11)
            let a = random(m * lda), b = random(k * ldb), bv = random(m)
            let mr = th_gemm_tile_rows(k)
            XCTAssertEqual(mr, k >= 256 ? 6 : 8)
            var packed = [Float](repeating: .nan, count: m * k)
            th_pack_rows(a, lda, m, k, mr, &packed)
            XCTAssertFalse(packed.contains { $0.isNaN }, "packing \(m)x\(k) left values unwritten")
            var c = [Float](repeating: .nan, count: m * ldc)
            let done = c.withUnsafeMutableBufferPointer { cp in
                th_gemm_packed(2, packed, mr, m, k, b, ldb, n, bias ? bv : nil, cp.baseAddress, ldc)
            }
            XCTAssertEqual(done, 1)
            var maxDiff = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var want = bias ? Double(bv[i]) : 0
                    for kk in 0..<k { want += Double(a[i * lda + kk]) * Double(b[kk * ldb + j]) }
                    maxDiff = max(maxDiff, abs(Double(c[i * ldc + j]) - want))
                }
                // Columns past n are not written.
                XCTAssertTrue(c[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy { $0.isNaN }, "gemm \(m)x\(n)x\(k) wrote past n")
            }
            print(String(format: "%-48@ max |diff| %.2e", "packed gemm \(m)x\(n)x\(k) bias \(bias)" as NSString, maxDiff))
            XCTAssertLessThanOrEqual(maxDiff, k > 50 ? 5e-4 : 1e-4)
        }
        XCTAssertEqual(th_gemm_packed(1, nil, 8, 1, 1, nil, 1, 1, nil, nil, 1), 0, "AVX2 level declines")
    }

    /// Pointwise weights packed for the product give back the same matrix row-major (the sgemm
    /// fallback when a benchmark switches the packed product off after loading).
    func testPointwiseWeightsUnpack() throws {
        try XCTSkipUnless(context.runs(.gemmPacked), "no AVX-512 on this CPU: weights stay row-major")
        for (rows, columns) in [(13, 300), (64, 96), (512, 539), (9, 32)] {
            let values = random(rows * columns)
            let weights = pointwise(values, rows: rows)
            XCTAssertEqual(weights.tileRows, Int(th_gemm_tile_rows(columns)))
            XCTAssertNotEqual(weights.storage.array, values, "\(rows)x\(columns) not packed")
            XCTAssertEqual(weights.unpacked().array, values, "\(rows)x\(columns) packed and unpacked")
        }
        XCTAssertEqual(pointwise(random(3 * 31), rows: 3).tileRows, 0, "fewer than 32 inputs stay row-major for sgemm")
    }

    func testTransposedConvolutions() {
        for (c, h, w) in [(3, 7, 5), (1, 1, 1), (4, 12, 19)] {
            let x = random(c * h * w), wt = random(c * 16)
            let out = Tensor(channels: c, height: 2 * h, width: 2 * w)
            context.depthwiseConvTranspose2d(input: tensor(c, h, w, x).data, channels: c, height: h, width: w,
                                     weight: tensor(1, 1, wt.count, wt).data, kernel: 4, stride: 2, padding: 1, output: out.data)
            check(out, Naive.convTranspose2d(Planes(c: c, h: h, w: w, v: x.map(Double.init)), weight: wt.map(Double.init),
                                             cout: c, k: 4, stride: 2, padding: 1, groups: c), "transposed depthwise \(c)ch \(h)x\(w)")
        }
        // Full transposed 4x4 s2 p1 (shifted taps per output phase: one band, many bands), and
        // 3x3 s2 p1 through the col2im fallback.
        for (cin, cout, h, w, k) in [(3, 5, 6, 7, 4), (9, 34, 70, 45, 4), (1, 1, 1, 1, 4), (3, 5, 6, 7, 3)] {
            let x = random(cin * h * w), wt = random(cin * cout * k * k)
            let (ho, wo) = ((h - 1) * 2 - 2 + k, (w - 1) * 2 - 2 + k)
            let out = Tensor(channels: cout, height: ho, width: wo)
            context.convTranspose2d(input: tensor(cin, h, w, x).data, cin: cin, height: h, width: w, weight: tensor(1, 1, wt.count, wt).data,
                            cout: cout, kernel: k, stride: 2, padding: 1, output: out.data)
            check(out, Naive.convTranspose2d(Planes(c: cin, h: h, w: w, v: x.map(Double.init)), weight: wt.map(Double.init),
                                             cout: cout, k: k, stride: 2, padding: 1, groups: 1), "transposed full \(cin)->\(cout) \(k)x\(k) \(h)x\(w)")
        }
    }

    func testInstanceNormAndActivations() {
        for (c, h, w, offset) in [(3, 13, 11, 0.0), (2, 1, 7, 0.0), (4, 33, 35, 1000.0), (2, 47, 49, 0.5)] {
            let x = random(c * h * w).map { $0 + Float(offset) }, g = random(c), b = random(c)
            for act in [Activation.identity, .relu, .leakyReLU(0.1)] {
                let t = tensor(c, h, w, x)
                context.instanceNorm(t.data, channels: c, plane: h * w, gamma: tensor(1, 1, c, g).data, beta: tensor(1, 1, c, b).data,
                             activation: act)
                var want = Naive.instanceNorm(Planes(c: c, h: h, w: w, v: x.map(Double.init)), gamma: g.map(Double.init), beta: b.map(Double.init))
                want.v = want.v.map { act == .relu ? max($0, 0) : (act == .leakyReLU(0.1) && $0 < 0 ? 0.1 * $0 : $0) }
                check(t, want, "instance norm \(c)x\(h)x\(w) offset \(offset) \(act) vector level \(context.level)",
                      tolerance: offset > 0 ? 5e-4 : 1e-4)
            }
        }
        testActivations()
    }

    /// sigmoid and tanh (vectorised exp at vector levels 1 and 2, libm at 0) against double
    /// precision: 1001 values (vector tails included), saturation, zeros and tiny values.
    func testActivations() {
        let x = random(1001, scale: 12) + [0, -0.0, 1e-8, -1e-8, 30, -30, 100, -100, 1e30, -1e30, 87.5, -87.5, 89, -89]
        for (act, f) in [(Activation.sigmoid, { (v: Double) in 1 / (1 + exp(-v)) }), (.tanh, { (v: Double) in Foundation.tanh(v) })] {
            let t = tensor(1, 1, x.count, x)
            context.activate(t.data, count: x.count, act)
            check(t, Planes(c: 1, h: 1, w: x.count, v: x.map { f(Double($0)) }), "activation \(act) vector level \(context.level)",
                  tolerance: 1e-6)
        }
    }

    func testResampling() {
        for (c, h, w, ho, wo) in [(2, 16, 12, 8, 6), (3, 7, 5, 14, 10), (1, 13, 11, 8, 17), (2, 1, 1, 3, 2)] {
            let x = random(c * h * w)
            let out = Tensor(channels: c, height: ho, width: wo)
            context.resizeBilinear(input: tensor(c, h, w, x).data, channels: c, height: h, width: w, output: out.data, outHeight: ho, outWidth: wo)
            check(out, Naive.bilinear(Planes(c: c, h: h, w: w, v: x.map(Double.init)), ho: ho, wo: wo), "bilinear \(h)x\(w)->\(ho)x\(wo)")
        }
        let x = random(3 * 5 * 7)
        let up = Tensor(channels: 3, height: 10, width: 14)
        context.upsampleNearest2x(input: tensor(3, 5, 7, x).data, channels: 3, height: 5, width: 7, output: up.data)
        check(up, Naive.nearest2x(Planes(c: 3, h: 5, w: 7, v: x.map(Double.init))), "nearest 2x")
    }

    func testGridChangeApplyAndGridSample() {
        for (c, h, w, align) in [(4, 13, 11, false), (2, 9, 16, true), (3, 1, 5, false)] {
            let x = random(c * h * w), change = random(2 * h * w, scale: 0.6)
            let out = Tensor(channels: c, height: h, width: w)
            context.applyGridChange(image: tensor(c, h, w, x).data, channels: c, height: h, width: w,
                            gridChange: tensor(2, h, w, change).data, alignCorners: align, output: out.data)
            var gx = [Double](), gy = [Double]()
            for y in 0..<h { for xx in 0..<w {
                gx.append(Naive.identity(xx, w, alignCorners: align) + Double(change[y * w + xx]))
                gy.append(Naive.identity(y, h, alignCorners: align) + Double(change[h * w + y * w + xx]))
            } }
            check(out, Naive.gridSample(Planes(c: c, h: h, w: w, v: x.map(Double.init)), gx: gx, gy: gy, ho: h, wo: w,
                                        alignCorners: align), "grid change apply \(c)x\(h)x\(w) align \(align)")
        }
        // Identity grid change reproduces the image.
        let x = random(2 * 6 * 5)
        let out = Tensor(channels: 2, height: 6, width: 5)
        context.applyGridChange(image: tensor(2, 6, 5, x).data, channels: 2, height: 6, width: 5,
                        gridChange: tensor(2, 6, 5, [Float](repeating: 0, count: 60)).data, alignCorners: false, output: out.data)
        check(out, Planes(c: 2, h: 6, w: 5, v: x.map(Double.init)), "identity warp", tolerance: 1e-6)
    }

    func testCompositingAndTensorOps() {
        let plane = 12
        let a = random(plane).map { ($0 + 1) / 2 }, top = random(4 * plane), bottom = random(4 * plane)
        let out = Tensor(channels: 4, height: 3, width: 4)
        context.applyRGBChange(alpha: tensor(1, 3, 4, a).data, colorChange: tensor(4, 3, 4, top).data, image: tensor(4, 3, 4, bottom).data,
                       plane: plane, output: out.data)
        var want = [Double]()
        for c in 0..<4 { for i in 0..<plane {
            want.append(c == 3 ? Double(bottom[3 * plane + i]) : Double(top[c * plane + i]) * Double(a[i]) + Double(bottom[c * plane + i]) * (1 - Double(a[i])))
        } }
        check(out, Planes(c: 4, h: 3, w: 4, v: want), "apply_rgb_change", tolerance: 1e-6)

        let t = tensor(2, 4, 5, (0..<40).map(Float.init))
        let crop = t.crop(top: 1, left: 2, height: 2, width: 3)
        XCTAssertEqual(crop.array, [7, 8, 9, 12, 13, 14, 27, 28, 29, 32, 33, 34])
        let canvas = Tensor(channels: 2, height: 4, width: 5)
        canvas.paste(crop, top: 1, left: 2)
        XCTAssertEqual(canvas.crop(top: 1, left: 2, height: 2, width: 3).array, crop.array)
        XCTAssertEqual(canvas.array.filter { $0 != 0 }.count, 12)
        let cat = Tensor.concat([t, crop.crop(top: 0, left: 0, height: 2, width: 3)].map { $0.height == 4 ? $0 : $0 }.prefix(1) + [t])
        XCTAssertEqual(cat.channels, 4)
        XCTAssertEqual(Array(cat.array[40..<80]), t.array)
        XCTAssertEqual(context.broadcast([1.5, -2] as [Float], height: 2, width: 2).array, [1.5, 1.5, 1.5, 1.5, -2, -2, -2, -2])
    }
}
