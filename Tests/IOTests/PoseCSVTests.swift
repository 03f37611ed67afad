import Foundation
import XCTest
@testable import TalkingHead

/// Pose CSV rules: every error names the file, line and column and quotes the text.
final class PoseCSVTests: XCTestCase {
    func parse(_ text: String, clamp: Bool = false) throws -> PoseSequence {
        try PoseSequence(csv: text, path: "poses.csv", clamp: clamp)
    }

    func assertError(_ text: String, line: Int, column: Int?, contains needle: String,
                     file: StaticString = #filePath, lineNumber: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: lineNumber) { error in
            guard case let TalkingHeadError.invalidPoseFile(path, l, c, reason) = error else {
                return XCTFail("unexpected error \(error)", file: file, line: lineNumber)
            }
            XCTAssertEqual(path, "poses.csv", file: file, line: lineNumber)
            XCTAssertEqual(l, line, "line", file: file, line: lineNumber)
            XCTAssertEqual(c, column, "column", file: file, line: lineNumber)
            XCTAssertTrue(reason.contains(needle), "'\(reason)' lacks '\(needle)'", file: file, line: lineNumber)
            XCTAssertTrue("\(error)".hasPrefix("poses.csv:\(line)"), "\(error)", file: file, line: lineNumber)
        }
    }

    func testSubsetAnyOrderMissingIsZeroFrameColumnIgnored() throws {
        let s = try parse("frame,mouth_aaa,head_x\n0,1,-0.5\n1, 0.25 ,0.5\r\n\n")
        XCTAssertEqual(s.poses.count, 2)
        XCTAssertEqual(s.parameters, [.mouthAaa, .headX])
        XCTAssertEqual(s.poses[0][.mouthAaa], 1)
        XCTAssertEqual(s.poses[0][.headX], -0.5)
        XCTAssertEqual(s.poses[1][.mouthAaa], 0.25)
        XCTAssertEqual(s.poses[1][.breathing], 0)
        XCTAssertEqual(try parse("time,breathing\n0.04,1\n").poses[0][.breathing], 1)
    }

    func testUnknownName() {
        assertError("head_x,mouth_aaaa\n0,0\n", line: 1, column: 2, contains: "\"mouth_aaaa\"")
    }

    func testRepeatedName() {
        assertError("head_x,head_x\n0,0\n", line: 1, column: 2, contains: "repeats")
    }

    func testNotANumber() {
        assertError("head_x,mouth_aaa\n0,0\n0.1,abc\n", line: 3, column: 2, contains: "\"abc\" is not a number")
        assertError("head_x\n\n", line: 1, column: nil, contains: "no rows")
        assertError("head_x\n  \n1e\n", line: 3, column: 1, contains: "\"1e\"")
    }

    func testNaNAndInfinity() {
        assertError("head_x\nnan\n", line: 2, column: 1, contains: "not a finite number")
        assertError("head_x\n-inf\n", line: 2, column: 1, contains: "not a finite number")
    }

    func testOutOfRangeSaysTheRangeAndClampClamps() throws {
        assertError("head_x,breathing\n0,1.5\n", line: 2, column: 2, contains: "0.0...1.0")
        assertError("head_x\n-1.01\n", line: 2, column: 1, contains: "-1.0...1.0")
        let s = try parse("head_x,breathing\n-3,1.5\n", clamp: true)
        XCTAssertEqual(s.poses[0][.headX], -1)
        XCTAssertEqual(s.poses[0][.breathing], 1)
    }

    func testCellCounts() {
        assertError("head_x,head_y\n0,0,0\n", line: 2, column: nil, contains: "3 cells but the header has 2")
        assertError("head_x,head_y\n0\n", line: 2, column: nil, contains: "1 cells but the header has 2")
    }

    func testEmptyFileAndHeaderOnly() {
        assertError("", line: 1, column: nil, contains: "empty file")
        assertError("\n\n", line: 1, column: nil, contains: "empty file")
        assertError("head_x,head_y\n", line: 1, column: nil, contains: "no rows")
    }

    func testFileErrorsNameThePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.csv")
        XCTAssertThrowsError(try PoseSequence(contentsOf: missing)) {
            XCTAssertEqual($0 as? TalkingHeadError, .fileNotFound(path: missing.path))
        }
        let bad = dir.appendingPathComponent("bad.csv")
        try "head_x\n2\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PoseSequence(contentsOf: bad)) {
            XCTAssertTrue("\($0)".hasPrefix(bad.path + ":2:1:"), "\($0)")
        }
    }

    func testSampleAnimationsParse() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/poses")
        let files = try FileManager.default.contentsOfDirectory(at: examples, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "csv" }
        XCTAssertGreaterThanOrEqual(files.count, 4)
        for f in files { XCTAssertGreaterThan(try PoseSequence(contentsOf: f).poses.count, 10, f.lastPathComponent) }
    }
}

final class PoseParameterTests: XCTestCase {
    func testUpstreamOrderNamesAndRanges() {
        let all = PoseParameter.allCases
        XCTAssertEqual(all.count, 45)
        XCTAssertEqual(all.first, .eyebrowTroubledLeft)
        XCTAssertEqual(PoseParameter.mouthAaa.index, 26)
        XCTAssertEqual(PoseParameter.irisRotationX.index, 37)
        XCTAssertEqual(PoseParameter.headX.index, 39)
        XCTAssertEqual(PoseParameter.breathing.index, 44)
        XCTAssertEqual(PoseParameter.headX.rawValue, "head_x")
        XCTAssertEqual(PoseParameter.eyeWinkLeft.rawValue, "eye_wink_left")
        XCTAssertEqual(PoseParameter.neckZ.range, -1...1)
        XCTAssertEqual(PoseParameter.breathing.range, 0...1)
        XCTAssertEqual(PoseParameter.eyeWinkLeft.range, 0...1)
    }

    func testNamedInitAndSubscript() throws {
        var p = try PoseParameters(["head_x": 0.4, "eye_wink_left": 1])
        XCTAssertEqual(p[.headX], 0.4)
        XCTAssertEqual(p.values[PoseParameter.eyeWinkLeft.index], 1)
        p[.breathing] = 0.5
        XCTAssertEqual(Array(p.rotation), [0.4, 0, 0, 0, 0, 0.5])
        XCTAssertEqual(p.eyebrow.count, 12)
        XCTAssertEqual(p.face.count, 27)
        XCTAssertThrowsError(try PoseParameters(["head_xx": 1])) {
            XCTAssertEqual($0 as? TalkingHeadError, .unknownParameter(name: "head_xx"))
        }
    }
}
