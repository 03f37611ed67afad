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
            if level >= .avx2 {
                // Every C kernel has a loop at AVX2 and up: none of the above fell back to Swift.
                XCTAssertEqual(CKernel.allCases.filter { !context.runs($0) }, [], "kernels without a loop at \(level)")
            }
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
        XCTAssertEqual(th_gemm_tile_rows(0, 1), 0)
    }

    /// The AVX2 loops of the separable convolutions (band and upsampled depthwise, deferred-norm
    /// copies, the packed product) and of the heads sum in the same order as the AVX-512 ones:
    /// the same bits at both levels (only the moments, shifted by fewer values at AVX2, may
    /// differ). Needs a CPU with AVX-512; the AVX2 loops' own check is against the naive twins
    /// (`testEveryVectorPath`).
    func testAVX2GivesAVX512Bits() throws {
        try XCTSkipUnless(VectorLevel.detected == .avx512, "no AVX-512 on this CPU to compare with")
        defer { context.level = .detected }
        for (c1, c2, cout, h, w, k, s, p) in [(40, 0, 33, 23, 150, 3, 1, 1), (64, 0, 20, 20, 45, 4, 2, 1), (6, 0, 5, 17, 70, 7, 1, 3),
                                              (70, 9, 6, 34, 66, 3, 1, 1), (300, 0, 13, 9, 17, 3, 1, 1)] {
            let upsampled = c2 > 0
            let (lh, lw) = upsampled ? (h / 2, w / 2) : (h, w)
            let cin = c1 + c2
            let low = random(c1 * lh * lw, scale: 3), full = random(max(c2, 1) * h * w, scale: 3)
            let dw = random(cin * k * k), pw = random(cout * cin), bias = random(cout)
            let scale = random(cin), shift = random(cin)
            var outputs: [[Float]] = []
            for level in [VectorLevel.avx2, .avx512] {
                context.level = level
                var sources = [ChannelSource(data: tensor(c1, lh, lw, low).data, channels: c1, upsampled: upsampled,
                                             norm: ChannelScaleShift(scale: Array(scale[0..<c1]), shift: Array(shift[0..<c1]),
                                                                     activation: .leakyReLU(0.2)))]
                if upsampled { sources.append(ChannelSource(data: tensor(c2, h, w, full).data, channels: c2, upsampled: false)) }
                let out = Tensor(channels: cout, height: (h + 2 * p - k) / s + 1, width: (w + 2 * p - k) / s + 1)
                alive.append(out)
                context.separableConv2d(sources: sources, height: h, width: w, depthwise: tensor(1, 1, dw.count, dw).data,
                                        kernel: k, stride: s, padding: p, pointwise: pointwise(pw, rows: cout), cout: cout,
                                        bias: tensor(1, 1, cout, bias).data, output: out.data)
                outputs.append(out.array)
            }
            let differing = zip(outputs[0], outputs[1]).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            print("separable \(c1)\(upsampled ? " up2x + \(c2)" : "")->\(cout) \(k)x\(k) s\(s) \(h)x\(w): \(differing) values differ AVX2 vs AVX-512")
            XCTAssertEqual(differing, 0, "separable \(c1)+\(c2)->\(cout) k\(k) s\(s): AVX2 and AVX-512 bits")
        }
        // The direct head convolutions (groups of 6, 4, 2 at AVX2; 10, 12, 2 at AVX-512), x tails.
        for (cin, cout, h, w) in [(32, 10, 37, 70), (64, 2, 9, 40), (7, 12, 5, 33)] {
            let x = random(cin * h * w), wt = random(cout * cin * 9), b = random(cout)
            var outputs: [[Float]] = []
            for level in [VectorLevel.avx2, .avx512] {
                context.level = level
                let out = Tensor(channels: cout, height: h, width: w)
                alive.append(out)
                context.conv2d(input: tensor(cin, h, w, x).data, cin: cin, height: h, width: w, weight: tensor(1, 1, wt.count, wt).data,
                               cout: cout, kernel: 3, stride: 1, padding: 1, bias: tensor(1, 1, cout, b).data, output: out.data)
                outputs.append(out.array)
            }
            let differing = zip(outputs[0], outputs[1]).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            XCTAssertEqual(differing, 0, "head conv \(cin)->\(cout) \(h)x\(w): AVX2 and AVX-512 bits")
        }
    }
}
