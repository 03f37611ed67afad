import Foundation
import XCTest
@testable import TalkingHead

/// SHA-256 on the FIPS 180-4 vectors, and `verifyWeights` on a tiny folder written here.
final class WeightsVerificationTests: XCTestCase {
    func testSHA256StandardVectors() {
        XCTAssertEqual(sha256Hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(sha256Hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(sha256Hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(sha256Hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Lengths around the 55/56/64-byte padding boundaries; digests from Python's hashlib.
        let expected: [Int: String] = [
            55: "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
            56: "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
            63: "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
            64: "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
            65: "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781",
            119: "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6",
            120: "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c",
        ]
        for (n, digest) in expected {
            XCTAssertEqual(sha256Hex(Data((0..<n).map { UInt8($0 & 255) })), digest, "\(n) bytes")
        }
    }

    func testVerifyFindsMissingChangedAndMiscountedFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("samples"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let net = dir.appendingPathComponent("net.safetensors")
        try writeSafeTensors([("a", [2, 3], [1, 2, 3, 4, 5, 6]), ("b", [4], [0, 0, 0, 1])], to: net)
        let png = dir.appendingPathComponent("samples/x.png")
        try Data("not really a png".utf8).write(to: png)
        func manifest(tensors: Int, floats: Int, netSHA: String? = nil) throws {
            let netDigest = try netSHA ?? sha256Hex(Data(contentsOf: net))
            let pngDigest = try sha256Hex(Data(contentsOf: png))
            let m: [String: Any] = [
                "format_version": 1,
                "files": ["net.safetensors": ["sha256": netDigest,
                                              "tensors": tensors, "floats": floats]],
                "samples": ["samples/x.png": pngDigest],
                "sample_docs": [String: Any](),
            ]
            try JSONSerialization.data(withJSONObject: m).write(to: dir.appendingPathComponent("manifest.json"))
        }
        try manifest(tensors: 2, floats: 10)
        var report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertTrue(report.ok, "\(report.entries)")
        XCTAssertEqual(report.entries.map(\.detail), ["ok (2 tensors, 10 floats)", "ok"])

        try manifest(tensors: 3, floats: 10)
        report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.entries[0].detail, "2 tensors, the manifest says 3")

        try manifest(tensors: 2, floats: 10, netSHA: String(repeating: "0", count: 64))
        report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertTrue(report.entries[0].detail.hasPrefix("SHA-256 is "), report.entries[0].detail)

        try manifest(tensors: 2, floats: 10)
        try FileManager.default.removeItem(at: png)
        report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertEqual(report.entries.map(\.ok), [true, false])
        XCTAssertEqual(report.entries[1].path, png.path)
        XCTAssertEqual(report.entries[1].detail, "missing")

        try Data("{".utf8).write(to: dir.appendingPathComponent("manifest.json"))
        XCTAssertThrowsError(try TalkingHead.verifyWeights(directory: dir)) {
            XCTAssertTrue("\($0)".contains("manifest.json"), "\($0)")
        }
    }
}
