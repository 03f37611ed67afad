import Foundation
import XCTest
@testable import TalkingHead
import TestSupport

/// The exact vowel fit and the converter's options, without fixtures.
final class ConverterTests: XCTestCase {

    func testVowelFitBeatsEveryNearbyAndGridPoint() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<300 {
            let p = (0..<4).map { _ in Double.random(in: 0...1, using: &rng) }
            let w = VowelFit.solve(point: p)
            let best = VowelFit.objective(w, point: p)
            XCTAssertTrue(w.allSatisfy { (0...1).contains($0) }, "\(w) leaves the box")
            // Local: no feasible step of 1e-3 in any of 80 directions lowers the loss.
            for _ in 0..<80 {
                let q = w.map { max(0, min(1, $0 + Double.random(in: -1e-3...1e-3, using: &rng))) }
                XCTAssertGreaterThanOrEqual(VowelFit.objective(q, point: p), best - 1e-12, "point \(p)")
            }
            // Global: a 0.1 grid over the box never beats it.
            for code in 0..<14641 {
                var c = code
                let g = (0..<4).map { _ -> Double in defer { c /= 11 }; return Double(c % 11) / 10 }
                if VowelFit.objective(g, point: p) < best - 1e-12 { XCTFail("grid \(g) beats \(w) at \(p)"); return }
            }
        }
    }

    func testPrototypesAreFittedExactly() {
        for (i, row) in VowelFit.prototypes.enumerated() {
            let w = VowelFit.solve(point: row)
            XCTAssertEqual(w[i], 1, accuracy: 0.02, "prototype \(i): \(w)")
        }
        XCTAssertEqual(VowelFit.solve(point: [0, 0, 0, 0]), [0, 0, 0, 0])
    }

    func testOptionsJSON() throws {
        XCTAssertEqual(try FaceCaptureOptions(json: Data("{}".utf8), source: "o.json"), FaceCaptureOptions())
        let o = try FaceCaptureOptions(json: Data(#"{"eyebrowDownMode":"troubled","jawOpenMax":0.5}"#.utf8), source: "o.json")
        XCTAssertEqual(o.eyebrowDownMode, .troubled)
        XCTAssertEqual(o.jawOpenMax, 0.5)
        XCTAssertEqual(o.jawOpenMin, 0.1)
        let cases: [(String, String)] = [
            (#"{"jawOpenMin":0.5,"jawOpenMax":0.4}"#, "jawOpenMax"),
            (#"{"eyeBlinkMax":0}"#, "eyeBlinkMax"),
            (#"{"winkMode":"sleepy"}"#, "winkMode"),
            (#"{"jawOpenMax":"wide"}"#, "jawOpenMax"),
            (#"{"jawOpenMaximum":1}"#, "jawOpenMaximum"),
            (#"{"breathingRate":500}"#, "breathingRate"),
        ]
        for (json, field) in cases {
            XCTAssertThrowsError(try FaceCaptureOptions(json: Data(json.utf8), source: "o.json"), json) { error in
                guard case TalkingHeadError.invalidInput(let source, let f, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(source, "o.json")
                XCTAssertEqual(f, field, "\(json): \(error)")
            }
        }
        let encoded = try JSONEncoder().encode(o)
        XCTAssertEqual(try JSONDecoder().decode(FaceCaptureOptions.self, from: encoded), o)
    }

    func testBreathingFollowsTheRateOnlyWhenAsked() throws {
        var options = FaceCaptureOptions()
        XCTAssertEqual(try FaceCaptureConverter(options: options).convert(FaceCaptureFrame(), time: 1.5)[.breathing], 0)
        options.breathingRate = 20  // a 3 s period: full breath at 1.5 s
        let c = try FaceCaptureConverter(options: options)
        XCTAssertEqual(c.convert(FaceCaptureFrame(), time: 1.5)[.breathing], 1, accuracy: 1e-6)
        XCTAssertEqual(c.convert(FaceCaptureFrame(), time: 3)[.breathing], 0, accuracy: 1e-6)
        XCTAssertEqual(c.convert(FaceCaptureFrame())[.breathing], 0)
    }

    func testSmileRoutesBlinkToHappyWink() throws {
        let c = try FaceCaptureConverter()
        let plain = c.convert(FaceCaptureFrame([.eyeBlinkLeft: 0.8]))
        XCTAssertEqual(plain[.eyeWinkLeft], 1)
        XCTAssertEqual(plain[.eyeHappyWinkLeft], 0)
        let smiling = c.convert(FaceCaptureFrame([.eyeBlinkLeft: 0.8, .mouthSmileLeft: 0.7, .mouthSmileRight: 0.7]))
        XCTAssertEqual(smiling[.eyeWinkLeft], 0)
        XCTAssertEqual(smiling[.eyeHappyWinkLeft], 1)
        XCTAssertEqual(smiling[.mouthRaisedCornerLeft], 0.7, accuracy: 1e-6)
    }
}
