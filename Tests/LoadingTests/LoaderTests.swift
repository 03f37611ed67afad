import Foundation
import XCTest
@testable import TalkingHead
import TestSupport

/// The safetensors reader and WeightStore on tiny files written here, malformed ones included.
final class LoaderTests: TemporaryDirectoryTestCase {
    /// A file with a hand-written header and `dataBytes` bytes of data.
    func file(_ name: String, header: String, dataBytes: Int = 0, lengthField: UInt64? = nil) throws -> URL {
        var h = Data(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = Data()
        var n = (lengthField ?? UInt64(h.count)).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(h)
        out.append(Data(count: dataBytes))
        let url = dir.appendingPathComponent(name)
        try out.write(to: url)
        return url
    }

    func assertInvalid(_ url: URL, key: String? = nil, contains needle: String, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url), line: line) { error in
            guard case let TalkingHeadError.invalidWeights(path, k, reason) = error else {
                return XCTFail("unexpected \(error)", line: line)
            }
            XCTAssertEqual(path, url.path, line: line)
            XCTAssertEqual(k, key, line: line)
            XCTAssertTrue(reason.contains(needle), "'\(reason)' lacks '\(needle)'", line: line)
            XCTAssertTrue("\(error)".contains(url.path), line: line)
        }
    }

    func testRoundTripAndStrictStore() throws {
        let url = dir.appendingPathComponent("w.safetensors")
        try writeSafeTensors([("a.weight", [2, 3], (0..<6).map(Float.init)), ("b", [4], [1, 2, 3, 4]), ("extra", [1], [9])],
                             metadata: ["format": "talking-head-weights", "format_version": "1"], to: url)
        let f = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(f.entries["a.weight"]?.shape, [2, 3])
        XCTAssertEqual(try f.tensor("a.weight").array, [0, 1, 2, 3, 4, 5])
        let store = try WeightStore(contentsOf: url)
        XCTAssertEqual(try store.take("b", shape: [4]).array, [1, 2, 3, 4])
        XCTAssertThrowsError(try store.take("missing", shape: [1])) {
            XCTAssertEqual($0 as? TalkingHeadError, .missingTensor(path: url.path, key: "missing"))
        }
        XCTAssertThrowsError(try store.take("a.weight", shape: [3, 2])) {
            XCTAssertEqual($0 as? TalkingHeadError, .shapeMismatch(path: url.path, key: "a.weight", expected: [3, 2], found: [2, 3]))
            XCTAssertTrue("\($0)".contains("[2, 3]") && "\($0)".contains("[3, 2]"))
        }
        _ = try store.take("a.weight", shape: [2, 3])
        XCTAssertThrowsError(try store.finish()) {
            XCTAssertEqual($0 as? TalkingHeadError, .unexpectedTensor(path: url.path, key: "extra"))
        }
    }

    func testFutureFormatVersionRefused() throws {
        let url = dir.appendingPathComponent("v2.safetensors")
        try writeSafeTensors([("a", [1], [1])], metadata: ["format": "talking-head-weights", "format_version": "2"], to: url)
        XCTAssertThrowsError(try WeightStore(contentsOf: url)) { XCTAssertTrue("\($0)".contains("format version 2")) }
    }

    func testMissingFile() {
        let url = dir.appendingPathComponent("none.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) {
            XCTAssertEqual($0 as? TalkingHeadError, .fileNotFound(path: url.path))
        }
    }

    func testMalformedFiles() throws {
        let short = dir.appendingPathComponent("short")
        try Data([1, 2, 3]).write(to: short)
        assertInvalid(short, contains: "too short")
        assertInvalid(try file("long", header: "{}", lengthField: 1000), contains: "header claims 1000 bytes")
        assertInvalid(try file("absurd", header: "{}", lengthField: 1 << 62), contains: "header claims")
        assertInvalid(try file("notjson", header: "{not json"), contains: "not a JSON object")
        assertInvalid(try file("array", header: "[1, 2]"), contains: "not a JSON object")
        assertInvalid(try file("f16", header: #"{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, dataBytes: 2),
                      key: "a", contains: "F16")
        assertInvalid(try file("neg", header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataBytes: 4),
                      key: "a", contains: "non-negative")
        assertInvalid(try file("bool", header: #"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, dataBytes: 4),
                      key: "a", contains: "non-negative integers")
        assertInvalid(try file("count", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 8),
                      key: "a", contains: "needs 8 bytes")
        assertInvalid(try file("beyond", header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8),
                      key: "a", contains: "outside")
        assertInvalid(try file("overlap", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                               dataBytes: 12), key: "b", contains: "overlaps tensor 'a'")
        assertInvalid(try file("huge", header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, dataBytes: 4),
                      key: "a", contains: "larger than the file")
    }

    func testNetworkRefusesAnotherNetworksFile() throws {
        // A file holding only some of the editor's tensors: the error names the first missing key.
        let url = dir.appendingPathComponent("editor.safetensors")
        try writeSafeTensors([("body.downsample_blocks.0.0.weight", [16, 1, 3, 3], [Float](repeating: 0, count: 144))], to: url)
        XCTAssertThrowsError(try Editor(WeightStore(contentsOf: url))) {
            XCTAssertEqual($0 as? TalkingHeadError, .missingTensor(path: url.path, key: "body.downsample_blocks.0.1.weight"))
        }
    }
}
