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
        // The editor under test, and the four other networks the manifest must list too.
        let net = dir.appendingPathComponent("editor.safetensors")
        try writeSafeTensors([("a", [2, 3], [1, 2, 3, 4, 5, 6]), ("b", [4], [0, 0, 0, 1])], to: net)
        var others: [String: Any] = [:]
        for name in Poser.File.allCases.map(\.rawValue) where name != net.lastPathComponent {
            let url = dir.appendingPathComponent(name)
            try writeSafeTensors([("c", [1], [1])], to: url)
            others[name] = try sha256Hex(Data(contentsOf: url))
        }
        let png = dir.appendingPathComponent("samples/x.png")
        try Data("not really a png".utf8).write(to: png)
        func manifest(tensors: Int, floats: Int, netSHA: String? = nil) throws {
            let netDigest = try netSHA ?? sha256Hex(Data(contentsOf: net))
            let pngDigest = try sha256Hex(Data(contentsOf: png))
            var files = others
            files[net.lastPathComponent] = ["sha256": netDigest, "tensors": tensors, "floats": floats]
            let m: [String: Any] = [
                "format_version": 1,
                "model": "tha3",
                "files": files,
                "samples": ["samples/x.png": pngDigest],
                "sample_docs": [String: Any](),
            ]
            try JSONSerialization.data(withJSONObject: m).write(to: dir.appendingPathComponent("manifest.json"))
        }
        func entry(_ url: URL, _ report: WeightsVerification) -> WeightsVerification.Entry? {
            report.entries.first { $0.path == url.path }
        }
        try manifest(tensors: 2, floats: 10)
        var report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertTrue(report.ok, "\(report.entries)")
        XCTAssertEqual(report.entries.count, 6)
        XCTAssertEqual(entry(net, report)?.detail, "ok (2 tensors, 10 floats)")
        XCTAssertEqual(entry(png, report)?.detail, "ok")

        try manifest(tensors: 3, floats: 10)
        report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertFalse(report.ok)
        XCTAssertEqual(entry(net, report)?.detail, "2 tensors, the manifest says 3")

        try manifest(tensors: 2, floats: 10, netSHA: String(repeating: "0", count: 64))
        report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertTrue(entry(net, report)?.detail.hasPrefix("SHA-256 is ") == true, "\(report.entries)")

        try manifest(tensors: 2, floats: 10)
        try FileManager.default.removeItem(at: png)
        report = try TalkingHead.verifyWeights(directory: dir)
        XCTAssertEqual(report.entries.filter { !$0.ok }.map(\.path), [png.path])
        XCTAssertEqual(entry(png, report)?.detail, "missing")

        try Data("{".utf8).write(to: dir.appendingPathComponent("manifest.json"))
        XCTAssertThrowsError(try TalkingHead.verifyWeights(directory: dir)) {
            XCTAssertTrue("\($0)".contains("manifest.json"), "\($0)")
        }
    }
}
