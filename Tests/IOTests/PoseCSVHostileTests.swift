import Foundation
import XCTest
@testable import TalkingHead

/// The CSV reader on hostile input: NUL bytes, very long lines, long cells.
final class PoseCSVHostileTests: XCTestCase {
    func error(_ bytes: [UInt8]) -> TalkingHeadError? {
        do {
            _ = try PoseSequence(bytes: bytes, path: "p.csv", clamp: false)
            return nil
        } catch { return error as? TalkingHeadError }
    }

    func testNULByteIsRefusedWithLineAndColumn() {
        let e = error(Array("head_x,mouth_aaa\n0,0\n0.1,0.1".utf8) + [0] + Array("junk\n".utf8))
        guard case let .invalidPoseFile(path, line, column, reason)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual([path, "\(line)", "\(column ?? -1)"], ["p.csv", "3", "2"])
        XCTAssertTrue(reason.contains("NUL"), reason)
        // In the header too.
        guard case let .invalidPoseFile(_, 1, 1, _)? = error(Array("head".utf8) + [0] + Array("_x\n0\n".utf8)) else {
            return XCTFail("NUL in the header")
        }
    }

    func testLongLinesGiveShortMessages() {
        let cell = [UInt8](repeating: UInt8(ascii: "7"), count: 10_000_000)
        let e1 = error(Array("head_x,mouth_aaa\n0.1,".utf8) + cell + [10])
        guard case let .invalidPoseFile(_, 2, 2, reason)? = e1 else { return XCTFail("\(String(describing: e1))") }
        XCTAssertLessThan(reason.utf8.count, 200, reason)
        XCTAssertTrue(reason.contains("10000000 bytes"), reason)
        let row = Array("head_x,mouth_aaa\n0.1,0.2".utf8) + Array(String(repeating: ",3", count: 5_000_000).utf8)
        let e2 = error(row)
        guard case let .invalidPoseFile(_, 2, nil, reason2)? = e2 else { return XCTFail("\(String(describing: e2))") }
        XCTAssertLessThan(reason2.utf8.count, 250, reason2)
        XCTAssertTrue(reason2.contains("5000002 cells"), reason2)
        let name = String(repeating: "x", count: 100_000)
        let e3 = error(Array("head_x,\(name)\n0,0\n".utf8))
        XCTAssertLessThan("\(e3!)".utf8.count, 300)
    }

    func testQuotesEscapeControlCharactersAndCutAt80() {
        XCTAssertEqual(PoseCSV.quote("a\u{1}b"), "\"a\\u{01}b\"")
        let long = PoseCSV.quote(String(repeating: "é", count: 100))
        XCTAssertTrue(long.hasPrefix("\"" + String(repeating: "é", count: 80) + "...\""), long)
        XCTAssertTrue(long.hasSuffix("(200 bytes)"), long)
    }
}
