import Foundation
import CKernels
import TestSupport
import XCTest
@testable import TalkingHead

// Instance norm, activations, resampling, grid sampling, compositing against their naive twins.
extension KernelsVsNaiveTests {
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
