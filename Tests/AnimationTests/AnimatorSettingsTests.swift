import Foundation
import XCTest
@testable import TalkingHead

final class AnimatorSettingsTests: XCTestCase {
    private func parse(_ text: String) throws -> AnimatorSettings {
        try AnimatorSettings(json: Data(text.utf8), source: "animator.json")
    }

    private func assertInvalid(_ text: String, field: String?, _ reasonPart: String, line: UInt = #line) {
        assertInvalidInput(parse, text, source: "animator.json", field: field, reasonPart, line: line)
    }

    func testEmptyObjectIsTheDefaults() throws {
        XCTAssertEqual(try parse("{}"), AnimatorSettings())
        XCTAssertEqual(AnimatorSettings().breathingPeriod, 4)
        XCTAssertEqual(AnimatorSettings().talkingRate, 12)
    }

    func testOwnKeysSetFieldsAndMissingOnesKeepDefaults() throws {
        let s = try parse(#"{"breathing_period": 6, "blink_interval_min": 1, "blink_interval_max": 3, "sway_amplitude": 0.1}"#)
        XCTAssertEqual(s.breathingPeriod, 6)
        XCTAssertEqual(s.blinkIntervalMin, 1)
        XCTAssertEqual(s.blinkIntervalMax, 3)
        XCTAssertEqual(s.swayAmplitude, 0.1)
        XCTAssertEqual(s.talkingRate, AnimatorSettings().talkingRate)
    }

    func testSillyTavernKeysMapOrAreIgnored() throws {
        // The defaults of SillyTavern-Extras' talkinghead/animator.json, in its own names.
        let s = try parse("""
            {"target_fps": 25, "crop_left": 0.0, "crop_right": 0.0, "crop_top": 0.0, "crop_bottom": 0.0,
             "pose_interpolator_step": 0.1, "blink_interval_min": 2.0, "blink_interval_max": 5.0,
             "blink_probability": 0.03, "blink_confusion_duration": 10.0, "talking_fps": 12,
             "talking_morph": "mouth_aaa_index", "sway_morphs": ["head_x_index", "head_y_index"],
             "sway_interval_min": 5.0, "sway_interval_max": 10.0, "sway_macro_strength": 0.6,
             "sway_micro_strength": 0.02, "breathing_cycle_duration": 4.0,
             "postprocessor_chain": [["bloom", {}]]}
            """)
        XCTAssertEqual(s.swayAmplitude, 0.6)
        XCTAssertEqual(s.swayJitter, 0.02)
        XCTAssertEqual(s.talkingRate, 12)
        XCTAssertEqual(s.breathingPeriod, 4)
        // 0.1 of the way per frame at 25 fps: half-way after ln 0.5 / ln 0.9 = 6.58 frames.
        XCTAssertEqual(s.easeHalfLife, 6.5788 / 25, accuracy: 1e-4)
        // Our own name wins over SillyTavern's.
        XCTAssertEqual(try parse(#"{"breathing_cycle_duration": 3, "breathing_period": 5}"#).breathingPeriod, 5)
    }

    func testBadValuesNameTheKey() {
        assertInvalid(#"{"blink_intervall_min": 1}"#, field: "blink_intervall_min", "unknown setting")
        assertInvalid(#"{"breathing_period": "4"}"#, field: "breathing_period", "expected a number")
        assertInvalid(#"{"breathing_period": true}"#, field: "breathing_period", "expected a number")
        assertInvalid(#"{"sway_amplitude": 2}"#, field: "sway_amplitude", "0.0...1.0")
        assertInvalid(#"{"talking_rate": 0}"#, field: "talking_rate", "1.0...60.0")
        assertInvalid(#"{"talking_fps": 100}"#, field: "talking_fps", "1.0...60.0")
        assertInvalid(#"{"pose_interpolator_step": 1}"#, field: "pose_interpolator_step", "below 1")
        assertInvalid(#"{"blink_interval_min": 6}"#, field: "blink_interval_min", "must not exceed blink_interval_max")
        assertInvalid(#"{"blink_duration": 1, "blink_interval_min": 0.8}"#, field: "blink_duration", "shorter than")
        assertInvalid(#"[]"#, field: nil, "expected a JSON object")
        assertInvalid(#"{"talking_rate": 12"#, field: nil, "not valid JSON")
    }

    func testCodableRoundTrip() throws {
        var s = AnimatorSettings()
        s.breathingPeriod = 5.5
        s.swayAmplitude = 0.25
        let data = try s.jsonData()
        XCTAssertEqual(try JSONDecoder().decode(AnimatorSettings.self, from: data), s)
        XCTAssertEqual(try AnimatorSettings(json: data, source: "x"), s)
        // Decoding validates as well.
        XCTAssertThrowsError(try JSONDecoder().decode(AnimatorSettings.self, from: Data(#"{"sway_amplitude": 3}"#.utf8)))
    }
}
