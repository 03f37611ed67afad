import Foundation
import CKernels
import TestSupport
import XCTest
@testable import TalkingHead

// Depthwise and separable convolutions (banded, fused, upsampled, transposed, deferred norms)
// against their naive twins; `testEveryVectorPath` runs them at every vector level.
extension KernelsVsNaiveTests {
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
}
