import Foundation
import XCTest

// Helpers shared by the test targets (one copy instead of one per target).

/// Deterministic generator for test inputs (SplitMix64).
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Uniform in [-1, 1), as Float.
    public mutating func symmetric() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}

/// A PNG chunk: length, type, data, CRC-32 (for hand-made and re-wrapped PNG streams).
public func pngChunk(_ type: String, _ data: Data) -> Data {
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    let body = Data(type.utf8) + data
    var crc: UInt32 = 0xFFFF_FFFF
    for b in body {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    return Data(be32(UInt32(data.count))) + body + Data(be32(crc ^ 0xFFFF_FFFF))
}

/// The PNG signature.
public let pngSignature = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])

/// A test case with a fresh temporary folder `dir` per test, removed afterwards.
open class TemporaryDirectoryTestCase: XCTestCase {
    public var dir: URL!

    open override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    open override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
}

/// The largest absolute difference between two equally long arrays (infinity when a NaN differs).
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "arrays of \(a.count) and \(b.count) values")
    var m: Float = 0
    for (x, y) in zip(a, b) {
        let d = abs(x - y)
        if d.isNaN { return .infinity }
        m = max(m, d)
    }
    return m
}
