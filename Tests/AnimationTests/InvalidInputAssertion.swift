import XCTest
@testable import TalkingHead

/// Asserts that `parse(text)` throws `invalidInput` from `source` naming `field`, its reason
/// containing `reasonPart` (the settings and emotion-preset files share this contract).
func assertInvalidInput<T>(_ parse: (String) throws -> T, _ text: String, source: String, field: String?,
                           _ reasonPart: String, line: UInt) {
    XCTAssertThrowsError(try parse(text), line: line) { error in
        guard case TalkingHeadError.invalidInput(let s, let f, let reason) = error else {
            return XCTFail("unexpected error \(error)", line: line)
        }
        XCTAssertEqual(s, source, line: line)
        XCTAssertEqual(f, field, line: line)
        XCTAssertTrue(reason.contains(reasonPart), "reason '\(reason)' lacks '\(reasonPart)'", line: line)
    }
}
