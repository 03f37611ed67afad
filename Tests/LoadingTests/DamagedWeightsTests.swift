import Foundation
import XCTest
@testable import TalkingHead
import TestSupport

/// Damaged weights: non-finite values, entries that are not files, manifests that leave
/// networks out.
final class DamagedWeightsTests: TemporaryDirectoryTestCase {
    func testNonFiniteValuesAreRefusedNamingTheTensor() throws {
        let url = dir.appendingPathComponent("w.safetensors")
        var values = [Float](repeating: 0.5, count: 3000)
        for bad in [Float.nan, .infinity, -.infinity] {
            values[2047] = bad
            try writeSafeTensors([("ok", [2], [1, 2]), ("layer.weight", [3000], values)], to: url)
            let file = try SafeTensorsFile(contentsOf: url)
            XCTAssertNoThrow(try file.tensor("ok"))
            XCTAssertThrowsError(try file.tensor("layer.weight")) { error in
                guard case let TalkingHeadError.invalidWeights(path, key, reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, url.path)
                XCTAssertEqual(key, "layer.weight")
                XCTAssertTrue(reason.contains("element 2047 of 3000"), reason)
            }
        }
        values[2047] = .greatestFiniteMagnitude
        values[0] = -.leastNonzeroMagnitude
        try writeSafeTensors([("layer.weight", [3000], values)], to: url)
        XCTAssertNoThrow(try SafeTensorsFile(contentsOf: url).tensor("layer.weight"))
        XCTAssertNil([Float](repeating: 1, count: 5000).withUnsafeBufferPointer { firstNonFinite($0.baseAddress!, count: 5000) })
    }

    func testAnEntryThatIsADirectorySaysSo() throws {
        let entry = dir.appendingPathComponent("editor.safetensors")
        try FileManager.default.createDirectory(at: entry, withIntermediateDirectories: false)
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: entry)) { error in
            XCTAssertEqual(error as? TalkingHeadError, .io(path: entry.path, reason: "is a directory, not a regular file"))
        }
    }

    /// Five tiny files under the THA3 names, and a manifest listing `listed` of them.
    func writeNetworks(listing listed: [String], model: String? = "tha3") throws -> WeightsVerification {
        var files: [String: Any] = [:]
        for name in Poser.File.allCases.map(\.rawValue) {
            let url = dir.appendingPathComponent(name)
            try writeSafeTensors([("a", [1], [1])], to: url)
            if listed.contains(name) { files[name] = ["sha256": try sha256Hex(Data(contentsOf: url)), "tensors": 1, "floats": 1] }
        }
        var m: [String: Any] = ["files": files, "samples": [String: Any](), "sample_docs": [String: Any]()]
        if let model { m["model"] = model }
        try JSONSerialization.data(withJSONObject: m).write(to: dir.appendingPathComponent("manifest.json"))
        return try TalkingHead.verifyWeights(directory: dir)
    }

    func testVerifyNeedsEveryNetworkInTheManifest() throws {
        let all = Poser.File.allCases.map(\.rawValue)
        XCTAssertTrue(try writeNetworks(listing: all).ok)
        XCTAssertTrue(try writeNetworks(listing: all, model: nil).ok, "model told by the file names")
        let empty = try writeNetworks(listing: [])
        XCTAssertFalse(empty.ok)
        XCTAssertEqual(empty.entries.filter { !$0.ok }.count, 5)
        XCTAssertTrue(empty.entries.allSatisfy { $0.detail == "needed by the model but not in the manifest" })
        let dropped = try writeNetworks(listing: all.filter { $0 != "editor.safetensors" })
        XCTAssertEqual(dropped.entries.filter { !$0.ok }.map(\.path), [dir.appendingPathComponent("editor.safetensors").path])
        let unknown = try writeNetworks(listing: all, model: "tha9")
        XCTAssertFalse(unknown.ok)
    }
}
