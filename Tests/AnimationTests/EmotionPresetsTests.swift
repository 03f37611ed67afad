import Foundation
import XCTest
@testable import TalkingHead

final class EmotionPresetsTests: XCTestCase {
    func testBuiltInHasTheTwentyEightLabels() {
        XCTAssertEqual(EmotionPresets.labels.count, 28)
        XCTAssertEqual(EmotionPresets.labels, EmotionPresets.labels.sorted())
        XCTAssertEqual(EmotionPresets.builtIn.names, EmotionPresets.labels)
        XCTAssertEqual(EmotionPresets.builtIn["neutral"], PoseParameters())
        for name in EmotionPresets.labels where name != "neutral" {
            XCTAssertNotEqual(EmotionPresets.builtIn[name], PoseParameters(), "\(name) is the neutral pose")
        }
    }
}

extension EmotionPresetsTests {
    private func parse(_ text: String) throws -> EmotionPresets {
        try EmotionPresets(json: Data(text.utf8), source: "emotions.json")
    }

    private func assertInvalid(_ text: String, field: String?, _ reasonPart: String, line: UInt = #line) {
        assertInvalidInput(parse, text, source: "emotions.json", field: field, reasonPart, line: line)
    }

    func testEmptyFileIsTheBuiltInPresets() throws {
        XCTAssertEqual(try parse("{}"), EmotionPresets.builtIn)
    }

    func testUserFileReplacesNamedEmotionsAndAddsNewOnes() throws {
        let presets = try parse(#"{"joy": {"mouth_ooo": 0.5}, "smug": {"mouth_smirk": 1, "head_y": -0.25}}"#)
        var joy = PoseParameters()
        joy[.mouthOoo] = 0.5
        XCTAssertEqual(presets["joy"], joy)
        XCTAssertEqual(presets["smug"]?[.mouthSmirk], 1)
        XCTAssertEqual(presets["smug"]?[.headY], -0.25)
        XCTAssertEqual(presets["anger"], EmotionPresets.builtIn["anger"])
        XCTAssertEqual(presets.names.count, 29)
    }

    func testSillyTavernIndexKeysAreAccepted() throws {
        // SillyTavern writes `_index` on every name but mouth_delta and mouth_smirk.
        let presets = try parse(#"{"joy": {"eye_wink_left_index": 1, "head_x_index": -0.263, "mouth_delta": 0.5, "mouth_smirk": 0.25}}"#)
        XCTAssertEqual(presets["joy"]?[.eyeWinkLeft], 1)
        XCTAssertEqual(presets["joy"]?[.headX], -0.263)
        XCTAssertEqual(presets["joy"]?[.mouthDelta], 0.5)
        XCTAssertEqual(presets["joy"]?[.mouthSmirk], 0.25)
    }

    func testSillyTavernFactoryQuirks() throws {
        // SillyTavern-Extras' _defaults.json (at 5b35e91) has mouth corners outside 0...1, and
        // older versions of it a sideless `eye_unimpressed`: refused by default, clamped on request.
        let text = #"{"joy": {"mouth_raised_corner_left_index": 1.2, "mouth_lowered_corner_right_index": -0.232, "eye_unimpressed": 0.5}, "zero": {}}"#
        assertInvalid(text, field: "joy.mouth_lowered_corner_right_index", "outside the range 0.0...1.0")
        let presets = try EmotionPresets(json: Data(text.utf8), source: "_emotions.json", clampOutOfRange: true)
        XCTAssertEqual(presets["joy"]?[.mouthRaisedCornerLeft], 1)
        XCTAssertEqual(presets["joy"]?[.mouthLoweredCornerRight], 0)
        XCTAssertEqual(presets["joy"]?[.eyeUnimpressedLeft], 0.5)
        XCTAssertEqual(presets["joy"]?[.eyeUnimpressedRight], 0.5)
        XCTAssertEqual(presets["zero"], PoseParameters())
        // Clamping does not let other faults through.
        XCTAssertThrowsError(try EmotionPresets(json: Data(#"{"joy": {"mouth_aaa": "1"}}"#.utf8), source: "x", clampOutOfRange: true))
        XCTAssertThrowsError(try EmotionPresets(json: Data(#"{"joy": {"mouth_wide": 1}}"#.utf8), source: "x", clampOutOfRange: true))
    }

    func testBadFilesNameTheEmotionAndKey() {
        assertInvalid(#"{"joy": {"eye_wonk_left": 1}}"#, field: "joy.eye_wonk_left", "unknown pose parameter")
        assertInvalid(#"{"joy": {"head_x": 1.5}}"#, field: "joy.head_x", "outside the range -1.0...1.0")
        assertInvalid(#"{"joy": {"mouth_aaa": -0.1}}"#, field: "joy.mouth_aaa", "outside the range 0.0...1.0")
        assertInvalid(#"{"joy": {"mouth_aaa": 1e300}}"#, field: "joy.mouth_aaa", "not a finite number")
        assertInvalid(#"{"joy": {"mouth_aaa": "1"}}"#, field: "joy.mouth_aaa", "expected a number")
        assertInvalid(#"{"joy": {"mouth_aaa": true}}"#, field: "joy.mouth_aaa", "expected a number")
        assertInvalid(#"{"joy": {"mouth_aaa": null}}"#, field: "joy.mouth_aaa", "expected a number")
        assertInvalid(#"{"joy": [1, 2]}"#, field: "joy", "expected an object")
        assertInvalid(#"[1]"#, field: nil, "expected a JSON object")
        assertInvalid(#"{"joy": {"mouth_aaa": 1}"#, field: nil, "not valid JSON")
    }

    func testJSONDataRoundTripsWithAllFortyFiveNames() throws {
        let data = try EmotionPresets.builtIn.jsonData()
        XCTAssertEqual(try parse(String(decoding: data, as: UTF8.self)), EmotionPresets.builtIn)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: [String: Double]]
        XCTAssertEqual(object.count, 28)
        for (name, pose) in object {
            XCTAssertEqual(Set(pose.keys), Set(PoseParameter.allCases.map(\.rawValue)), name)
        }
        // Values that are not short decimals survive too.
        let odd = EmotionPresets(["x": try PoseParameters(["head_x": 0.123456789, "mouth_aaa": 1e-7])])
        XCTAssertEqual(try EmotionPresets(json: odd.jsonData(), source: "x")["x"], odd["x"])
    }
}
