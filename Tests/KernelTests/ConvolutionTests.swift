import Foundation
import CKernels
import TestSupport
import XCTest
@testable import TalkingHead

// Full convolutions (general, direct heads, transposed) against their naive twins.
extension KernelsVsNaiveTests {
    func testConv2dGeneralAndPointwise() {
        for (cin, cout, h, w, k, s, p, bias) in [
            (5, 7, 13, 11, 3, 1, 1, true), (3, 4, 17, 15, 7, 1, 3, false), (4, 6, 12, 10, 4, 2, 1, false),
            (4, 6, 13, 11, 4, 2, 1, true), (9, 6, 5, 3, 1, 1, 0, true), (1, 2, 1, 1, 3, 1, 1, true),
            (40, 3, 200, 200, 3, 1, 1, true),  // several im2col bands (direct 3x3: several row bands)
            (32, 10, 37, 70, 3, 1, 1, true), (7, 17, 9, 33, 3, 1, 1, false),  // direct 3x3: groups of 10 / 6 (AVX-512), 6 (AVX2), x tails
            (9, 4, 20, 19, 3, 1, 1, true), (5, 2, 11, 40, 3, 1, 1, false),  // direct 3x3: a group of 4, of 2
            (6, 12, 15, 40, 3, 1, 1, true), (5, 8, 9, 20, 3, 1, 1, false),  // direct 3x3: a group of 12, of 8 (AVX-512), 6, 4 (AVX2)
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
}
