import Foundation
import TestSupport
import XCTest
@testable import TalkingHead

/// Where the THA v1 fixtures are: Tests/Fixtures/tha1 (committed; see its README), or the folder
/// in TALKING_HEAD_V1_FIXTURES holding a fixture set of the same layout (another configuration).
enum V1Fixtures {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["TALKING_HEAD_V1_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repository.appendingPathComponent("Tests/Fixtures/tha1")
    }

    static let networks = ["face_morpher", "two_algo_face_rotator", "combiner"]

    static func weights(_ network: String) -> URL { directory.appendingPathComponent("\(network).small.safetensors") }

    static func outputs() throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: directory.appendingPathComponent("fixtures.small.safetensors"))
    }

    /// A folder holding the three fixture networks under the names `convert.py` writes.
    static func weightsFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("v1-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for n in networks {
            try FileManager.default.copyItem(at: weights(n), to: dir.appendingPathComponent("\(n).safetensors"))
        }
        return dir
    }
}

/// The fixture tensor `key` as [c, h, w]: [c, h, w] as stored, [h, w, 2] (upstream grids)
/// transposed to planar [2, h, w], [n] as 1 x 1 x n, [k, n] as 1 x k x n.
func v1Fixture(_ file: SafeTensorsFile, _ key: String) throws -> Tensor {
    guard let entry = file.entries[key] else {
        XCTFail("\(file.path): no tensor \(key)")
        throw TalkingHeadError.missingTensor(path: file.path, key: key)
    }
    let flat = try file.tensor(key)
    let s = entry.shape
    return withExtendedLifetime(flat) {
        let src = flat.data
        switch s.count {
        case 3 where s[2] == 2 && s[0] != 2:
            let (h, w) = (s[0], s[1])
            let t = Tensor(channels: 2, height: h, width: w)
            for i in 0..<(h * w) {
                t.data[i] = src[2 * i]
                t.data[h * w + i] = src[2 * i + 1]
            }
            return t
        case 3:
            return Tensor(channels: s[0], height: s[1], width: s[2], values: Array(UnsafeBufferPointer(start: src, count: s.reduce(1, *))))
        case 2:
            return Tensor(channels: 1, height: s[0], width: s[1], values: Array(UnsafeBufferPointer(start: src, count: s[0] * s[1])))
        default:
            return Tensor(channels: 1, height: 1, width: s.reduce(1, *), values: Array(UnsafeBufferPointer(start: src, count: s.reduce(1, *))))
        }
    }
}

/// Max absolute difference of two tensors of the same shape (NaN anywhere counts as infinite).
func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Double {
    XCTAssertEqual([a.channels, a.height, a.width], [b.channels, b.height, b.width])
    var m = 0.0
    for (x, y) in zip(a.array, b.array) {
        let d = abs(Double(x) - Double(y))
        if d.isNaN { return .infinity }
        m = max(m, d)
    }
    return m
}

/// Random weights for a THA v1 state dict given key -> shape: convolutions uniform with variance
/// about 1/fan-in, instance-norm scales around 1 and biases around 0, the grid change scaled by
/// 0.05 (realistic warps, as the fixtures). Written as `<network>.safetensors` in `dir`.
func writeRandomV1Network(_ network: String, shapes: [String: [Int]], seed: UInt64, imageSize: Int? = nil, to dir: URL) throws {
    var rng = SplitMix(seed: seed)
    var tensors: [(key: String, shape: [Int], values: [Float])] = []
    for key in shapes.keys.sorted() {
        let shape = shapes[key]!
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        if shape.count == 4 {
            // Conv [cout, cin, k, k] or transposed [cin, cout, k, k]: fan-in about cin*k*k (or cout*k*k/4).
            let fan = Float(shape[1] * shape[2] * shape[3])
            var scale = (3 / fan).squareRoot()
            if key.contains("grid_change") { scale *= 0.05 }
            for i in 0..<n { values[i] = rng.symmetric() * scale }
        } else if key.hasSuffix(".weight") {
            for i in 0..<n { values[i] = 1 + 0.2 * rng.symmetric() }
        } else {
            for i in 0..<n { values[i] = 0.1 * rng.symmetric() }
        }
        tensors.append((key, shape, values))
    }
    var metadata = ["format": "talking-head-weights", "format_version": "1", "model": "tha1"]
    if let imageSize { metadata["image_size"] = String(imageSize) }
    try writeSafeTensors(tensors, metadata: metadata, to: dir.appendingPathComponent("\(network).safetensors"))
}

/// An RGBA test character: an opaque disc of smooth colours on a transparent background.
func v1TestImage(size: Int) throws -> RGBAImage {
    var px = [UInt8](repeating: 0, count: size * size * 4)
    let r = Double(size) * 0.4
    for y in 0..<size {
        for x in 0..<size {
            let dx = Double(x) - Double(size) / 2, dy = Double(y) - Double(size) / 2
            let i = 4 * (y * size + x)
            guard dx * dx + dy * dy < r * r else { continue }
            px[i] = UInt8(x * 255 / max(1, size - 1))
            px[i + 1] = UInt8(y * 255 / max(1, size - 1))
            px[i + 2] = UInt8((x + y) * 127 / max(1, size - 1))
            px[i + 3] = 255
        }
    }
    return try RGBAImage(width: size, height: size, pixels: px)
}
