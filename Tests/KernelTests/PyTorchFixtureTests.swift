import Foundation
import XCTest
@testable import TalkingHead

/// Every kernel against PyTorch on the committed fixtures of make_kernel_fixtures.py.
/// An op this test does not know fails, so new fixture cases cannot go untested.
final class PyTorchFixtureTests: XCTestCase {
    let context = KernelContext.standard
    struct Case: Decodable {
        var name: String
        var op: String
        var params: [String: Param]
        var inputs: [String: String]
        var output: String
    }

    enum Param: Decodable {
        case number(Double), bool(Bool), list([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else { self = .list(try c.decode([Int].self)) }
        }
        var int: Int { if case .number(let d) = self { return Int(d) }; return 0 }
        var double: Double { if case .number(let d) = self { return d }; return 0 }
        var bool: Bool { if case .bool(let b) = self { return b }; return false }
        var list: [Int] { if case .list(let l) = self { return l }; return [] }
    }

    struct Manifest: Decodable { var cases: [Case] }

    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testKernelsMatchPyTorch() throws {
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Self.dir.appendingPathComponent("kernels.json")))
        let file = try SafeTensorsFile(contentsOf: Self.dir.appendingPathComponent("kernels.safetensors"))
        XCTAssertGreaterThanOrEqual(manifest.cases.count, 20)
        for c in manifest.cases {
            func shape(_ role: String) -> [Int] { file.entries[c.inputs[role]!]!.shape }
            func input(_ role: String) throws -> Tensor { try file.tensor(c.inputs[role]!) }
            let x = try input("input")
            let s = shape("input")
            let expected = try file.tensor(c.output)
            let outShape = file.entries[c.output]!.shape
            let out = Tensor(channels: 1, height: 1, width: outShape.reduce(1, *))
            var weights: [Tensor] = []  // kept alive across the kernel calls
            switch c.op {
            case "conv2d":
                let w = try input("weight"); weights.append(w)
                let bias = c.inputs["bias"] != nil ? try input("bias") : nil
                if let bias { weights.append(bias) }
                let (stride, padding, groups) = (c.params["stride"]!.int, c.params["padding"]!.int, c.params["groups"]!.int)
                let ws = shape("weight")
                if groups == 1 {
                    context.conv2d(input: x.data, cin: s[0], height: s[1], width: s[2], weight: w.data, cout: ws[0], kernel: ws[2],
                           stride: stride, padding: padding, bias: bias?.data, output: out.data)
                } else if groups == s[0] && ws[0] == s[0] && bias == nil {
                    context.depthwiseConv2d(input: x.data, channels: s[0], height: s[1], width: s[2], weight: w.data, kernel: ws[2],
                                    stride: stride, padding: padding, output: out.data)
                } else {
                    XCTFail("\(c.name): groups \(groups) is neither 1 nor depthwise"); continue
                }
            case "conv_transpose2d":
                let w = try input("weight"); weights.append(w)
                let ws = shape("weight")
                let (stride, padding, groups) = (c.params["stride"]!.int, c.params["padding"]!.int, c.params["groups"]!.int)
                if groups == 1 {
                    context.convTranspose2d(input: x.data, cin: s[0], height: s[1], width: s[2], weight: w.data, cout: ws[1],
                                    kernel: ws[2], stride: stride, padding: padding, output: out.data)
                } else if groups == s[0] {
                    context.depthwiseConvTranspose2d(input: x.data, channels: s[0], height: s[1], width: s[2], weight: w.data,
                                             kernel: ws[2], stride: stride, padding: padding, output: out.data)
                } else {
                    XCTFail("\(c.name): groups \(groups) unsupported"); continue
                }
            case "instance_norm":
                let g = try input("weight"), b = try input("bias")
                weights += [g, b]
                out.data.update(from: x.data, count: x.count)
                context.instanceNorm(out.data, channels: s[0], plane: s[1] * s[2], gamma: g.data, beta: b.data,
                             eps: Float(c.params["eps"]!.double))
            case "relu", "leaky_relu", "sigmoid", "tanh":
                let act: Activation = c.op == "relu" ? .relu : c.op == "sigmoid" ? .sigmoid : c.op == "tanh" ? .tanh
                    : .leakyReLU(Float(c.params["negative_slope"]!.double))
                out.data.update(from: x.data, count: x.count)
                context.activate(out.data, count: x.count, act)
            case "upsample_nearest":
                context.upsampleNearest2x(input: x.data, channels: s[0], height: s[1], width: s[2], output: out.data)
            case "interpolate_bilinear":
                let size = c.params["size"]!.list
                context.resizeBilinear(input: x.data, channels: s[0], height: s[1], width: s[2], output: out.data,
                               outHeight: size[0], outWidth: size[1])
            case "grid_change_apply":
                let g = try input("grid_change"); weights.append(g)
                context.applyGridChange(image: x.data, channels: s[0], height: s[1], width: s[2], gridChange: g.data,
                                alignCorners: c.params["align_corners"]!.bool, output: out.data)
            case "grid_sample":
                let grid = try input("grid")
                let gs = shape("grid")  // [ho, wo, 2]
                let n = gs[0] * gs[1]
                let gx = Tensor(channels: 1, height: 1, width: n), gy = Tensor(channels: 1, height: 1, width: n)
                for i in 0..<n { gx.data[i] = grid.data[2 * i]; gy.data[i] = grid.data[2 * i + 1] }
                weights += [grid, gx, gy]
                context.gridSampleBilinearBorder(input: x.data, channels: s[0], height: s[1], width: s[2], gridX: gx.data,
                                         gridY: gy.data, outHeight: gs[0], outWidth: gs[1],
                                         alignCorners: c.params["align_corners"]!.bool, output: out.data)
            default:
                XCTFail("\(c.name): op \(c.op) has no kernel in this test")
                continue
            }
            withExtendedLifetime(weights) {}
            var m: Float = 0
            for i in 0..<out.count { m = max(m, abs(out.data[i] - expected.data[i])) }
            print(String(format: "pytorch %-24@ %-22@ max |diff| %.2e", c.name as NSString, c.op as NSString, m))
            XCTAssertLessThanOrEqual(m, 1e-4, "\(c.name) (\(c.op)): max abs difference \(m)")
        }
    }
}
