import XCTest
@testable import TalkingHead
import TestSupport

/// VRCFT Unified Expressions names -> ARKit, by VRCFT's documented compatibility table.
final class UnifiedExpressionsTests: XCTestCase {
    func testDocumentedMappings() throws {
        let face = try UnifiedExpressions.face(from: [
            "JawOpen": 0.4, "MouthClosed": 0.2, "EyeClosedLeft": 1, "EyeWideRight": 0.3,
            "LipFunnelUpperLeft": 0.2, "LipFunnelUpperRight": 0.4, "LipFunnelLowerLeft": 0.6, "LipFunnelLowerRight": 0.8,
            "LipPucker": 0.5, "LipSuckUpper": 0.7, "MouthRaiserUpper": 0.1, "MouthRaiserLower": 0.15,
            "MouthCornerPullLeft": 0.6, "MouthCornerSlantLeft": 0.2, "BrowLowererRight": 0.4, "BrowPinchRight": 0.2,
            "BrowInnerUpLeft": 0.3, "BrowInnerUpRight": 0.5, "MouthUpperLeft": 0.2, "MouthLowerLeft": 0.4,
            "CheekSuckLeft": 1, "TongueTwistLeft": 1, "MouthTightenerRight": 1,
        ], source: "ue")
        XCTAssertEqual(face[.jawOpen], 0.4)
        XCTAssertEqual(face[.mouthClose], 0.2)
        XCTAssertEqual(face[.eyeBlinkLeft], 1)
        XCTAssertEqual(face[.eyeWideRight], 0.3)
        XCTAssertEqual(face[.mouthFunnel], 0.5, accuracy: 1e-6)
        XCTAssertEqual(face[.mouthPucker], 0.5)
        XCTAssertEqual(face[.mouthRollUpper], 0.7)
        XCTAssertEqual(face[.mouthShrugUpper], 0.1)
        XCTAssertEqual(face[.mouthShrugLower], 0.15)
        XCTAssertEqual(face[.mouthSmileLeft], 0.4, accuracy: 1e-6)
        XCTAssertEqual(face[.browDownRight], 0.3, accuracy: 1e-6)
        XCTAssertEqual(face[.browInnerUp], 0.4, accuracy: 1e-6)
        XCTAssertEqual(face[.mouthLeft], 0.3, accuracy: 1e-6)
        // Unmapped shapes touch nothing.
        XCTAssertEqual(face.weights.filter { $0 != 0 }.count, 13)
    }

    func testOpennessAndRefusals() throws {
        XCTAssertEqual(try UnifiedExpressions.face(from: ["EyeOpennessLeft": 0.25], source: "ue")[.eyeBlinkLeft], 0.75)
        for (name, value) in [("JawOpen", Float.nan), ("JawOpen", 1.5), ("JawOpen", -0.1), ("Smile", 0.5), ("jawOpen", 0.5)] {
            XCTAssertThrowsError(try UnifiedExpressions.face(from: [name: value], source: "ue")) { error in
                guard case TalkingHeadError.invalidInput("ue", name, _) = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testExportNamesRoundTrip() throws {
        var face = FaceCaptureFrame()
        for s in ARKitBlendshape.allCases { face[s] = Float(s.index) / 100 }
        let ue = UnifiedExpressions.weights(for: face)
        XCTAssertEqual(ue.count, 52)
        XCTAssertEqual(ue["EyeClosedLeft"], face[.eyeBlinkLeft])
        XCTAssertEqual(ue["LipFunnel"], face[.mouthFunnel])
        XCTAssertEqual(try UnifiedExpressions.face(from: ue, source: "ue"), face)
    }
}

/// The converter run backwards (emotion presets as ARKit / UE weights).
final class InverseTests: XCTestCase {
    func testConverterOutputsComeBack() throws {
        var rng = SplitMix(seed: 11)
        let c = try FaceCaptureConverter()
        let vowels: Set<PoseParameter> = [.mouthAaa, .mouthIii, .mouthUuu, .mouthOoo]
        var maxVowel: Float = 0
        for _ in 0..<500 {
            var face = FaceCaptureFrame()
            for s in ARKitBlendshape.allCases { face[s] = Float.random(in: 0...1, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.3) }
            face.headDegrees = SIMD3((0..<3).map { _ in Float.random(in: -20...20, using: &rng) })
            let pose = c.convert(face)
            let back = c.convert(c.face(approximating: pose))
            for p in PoseParameter.allCases {
                if vowels.contains(p) { maxVowel = max(maxVowel, abs(back[p] - pose[p])); continue }
                XCTAssertEqual(back[p], pose[p], accuracy: 1e-4, "\(p.rawValue)")
            }
            XCTAssertEqual(back[.mouthAaa] + back[.mouthIii] + back[.mouthUuu] + back[.mouthOoo] > 0,
                           pose[.mouthAaa] + pose[.mouthIii] + pose[.mouthUuu] + pose[.mouthOoo] > 0, "open or closed")
        }
        print("capture inverse: vowels back within \(maxVowel)")
    }

    func testEmotionPresetsAsUnifiedExpressions() throws {
        let c = try FaceCaptureConverter()
        for name in EmotionPresets.builtIn.names {
            let ue = UnifiedExpressions.weights(for: EmotionPresets.builtIn[name]!, converter: c)
            XCTAssertEqual(ue.count, 52, name)
            XCTAssertTrue(ue.values.allSatisfy { $0.isFinite && (0...1).contains($0) }, name)
            // Read back as UE input, the same ARKit face.
            XCTAssertEqual(try UnifiedExpressions.face(from: ue, source: name), c.face(approximating: EmotionPresets.builtIn[name]!).withoutHead)
        }
        var wink = PoseParameters()
        wink[.eyeWinkLeft] = 1
        XCTAssertEqual(UnifiedExpressions.weights(for: wink, converter: c)["EyeClosedLeft"], 0.8)
    }
}

private extension FaceCaptureFrame {
    var withoutHead: FaceCaptureFrame { var f = self; f.headDegrees = .zero; return f }
}
