import Foundation

/// ARKit blendshapes and a head rotation -> the 45 pose parameters, computing what upstream
/// THA3's `ifacialmocap_poser_converter_25.py` computes (its specification), per call and
/// without state: upstream's only state is the breathing phase of its settings panel.
///
/// ```swift
/// let converter = try FaceCaptureConverter()
/// var face = FaceCaptureFrame([.jawOpen: 0.3, .eyeBlinkLeft: 1], headDegrees: [0, 5, 0])
/// let pose = converter.convert(face)
/// ```
public struct FaceCaptureConverter: Sendable {
    public let options: FaceCaptureOptions

    /// - Throws: `TalkingHeadError.invalidInput` for options `validate()` refuses.
    public init(options: FaceCaptureOptions = .init()) throws {
        try options.validate()
        self.options = options
    }

    /// The pose for one captured face. Weights are used as given (senders' 0...1); upstream's
    /// clamps keep every output within its range. With `time` (seconds) and a
    /// `breathingRate` above 0, `breathing` follows upstream's cosine cycle; otherwise it is 0.
    public func convert(_ face: FaceCaptureFrame, time: TimeInterval? = nil) -> PoseParameters {
        let o = options
        func v(_ s: ARKitBlendshape) -> Double { Double(face.weights[s.index]) }
        func clamp01(_ x: Double) -> Double { max(0, min(1, x)) }
        var pose = PoseParameters()
        func set(_ p: PoseParameter, _ x: Double) { pose[p] = Float(x) }

        let smile = (v(.mouthSmileLeft) + v(.mouthSmileRight)) / 2 + v(.mouthShrugUpper)
        let degree: Double
        if smile < o.lowerSmileThreshold { degree = 0 }
        else if smile > o.upperSmileThreshold { degree = 1 }
        else { degree = (smile - o.lowerSmileThreshold) / (o.upperSmileThreshold - o.lowerSmileThreshold) }

        // Eyebrows: up from inner + outer, down into the chosen mode unless smiling, happy when smiling.
        set(.eyebrowRaisedLeft, clamp01(v(.browInnerUp) + v(.browOuterUpLeft)))
        set(.eyebrowRaisedRight, clamp01(v(.browInnerUp) + v(.browOuterUpRight)))
        let downLeft = (1 - degree) * clamp01(v(.browDownLeft) / o.browDownMax)
        let downRight = (1 - degree) * clamp01(v(.browDownRight) / o.browDownMax)
        let downPair = o.eyebrowDownMode.parameters
        set(downPair.0, downLeft)
        set(downPair.1, downRight)
        set(.eyebrowHappyLeft, clamp01(smile) * degree)
        set(.eyebrowHappyRight, clamp01(smile) * degree)

        // Eyes: wide, blink as a wink (or relaxed) unless smiling, then a happy wink; cheek squint.
        set(.eyeSurprisedLeft, clamp01(v(.eyeWideLeft) / o.eyeWideMax))
        set(.eyeSurprisedRight, clamp01(v(.eyeWideRight) / o.eyeWideMax))
        let blinkLeft = clamp01(v(.eyeBlinkLeft) / o.eyeBlinkMax)
        let blinkRight = clamp01(v(.eyeBlinkRight) / o.eyeBlinkMax)
        let winkPair: (PoseParameter, PoseParameter) = o.winkMode == .normal
            ? (.eyeWinkLeft, .eyeWinkRight) : (.eyeRelaxedLeft, .eyeRelaxedRight)
        set(winkPair.0, (1 - degree) * blinkLeft)
        set(winkPair.1, (1 - degree) * blinkRight)
        set(.eyeHappyWinkLeft, degree * blinkLeft)
        set(.eyeHappyWinkRight, degree * blinkRight)
        let squintSpan = o.cheekSquintMax - o.cheekSquintMin
        set(.eyeRaisedLowerEyelidLeft, clamp01((v(.cheekSquintLeft) - o.cheekSquintMin) / squintSpan))
        set(.eyeRaisedLowerEyelidRight, clamp01((v(.cheekSquintRight) - o.cheekSquintMin) / squintSpan))

        // Irises: from the look blendshapes (the eye angles are not used, as upstream).
        let irisY = (v(.eyeLookInLeft) - v(.eyeLookOutLeft) - v(.eyeLookInRight) + v(.eyeLookOutRight))
            / 2 * o.eyeRotationFactor
        let irisX = (v(.eyeLookUpLeft) + v(.eyeLookUpRight) - v(.eyeLookDownLeft) - v(.eyeLookDownRight))
            / 2 * o.eyeRotationFactor
        set(.irisRotationY, max(-1, min(1, irisY)))
        set(.irisRotationX, max(-1, min(1, irisX)))
        set(.irisSmallLeft, o.irisSmallLeft)
        set(.irisSmallRight, o.irisSmallRight)

        // Head: pitch negated, yaw negated and shared with the body, roll shared with the body.
        let h = SIMD3<Double>(face.headDegrees)
        let x = max(-o.headPitchRange, min(o.headPitchRange, -h.x)) / o.headPitchRange
        let y = max(-o.headYawRange, min(o.headYawRange, -h.y)) / o.headYawRange
        let z = max(-o.headRollRange, min(o.headRollRange, h.z)) / o.headRollRange
        set(.headX, x)
        set(.headY, y)
        set(.bodyY, y)
        set(.neckZ, z)
        set(.bodyZ, z)

        // Mouth: open from the jaw; closed mouths frown, open ones are fitted to the vowels.
        let open = clamp01((v(.jawOpen) - o.jawOpenMin) / (o.jawOpenMax - o.jawOpenMin))
        set(.mouthAaa, open)
        set(.mouthRaisedCornerLeft, clamp01(smile))
        set(.mouthRaisedCornerRight, clamp01(smile))
        if !(open > 0) {
            let frown = clamp01((v(.mouthFrownLeft) + v(.mouthFrownRight)) / o.mouthFrownMax)
            set(.mouthLoweredCornerLeft, frown)
            set(.mouthLoweredCornerRight, frown)
        } else {
            let funnel = v(.mouthFunnel)
            let w = VowelFit.solve(point: vowelPoint(face))
            set(.mouthAaa, w[0])
            set(.mouthIii, w[1])
            let alpha = clamp01((funnel - o.mouthFunnelMin) / (o.mouthFunnelMax - o.mouthFunnelMin))
            let uo = clamp01(w[2] + w[3])
            set(.mouthUuu, uo * (1 - alpha))
            set(.mouthOoo, uo * alpha)
        }

        if let time, o.breathingRate > 0 {
            let period = 60 / o.breathingRate
            let phase = time.truncatingRemainder(dividingBy: period) / period
            let frac = phase < 0 ? phase + 1 : phase
            set(.breathing, (1 - cos(2 * Double.pi * frac)) / 2)
        }
        return pose
    }

    /// The mouth point upstream fits to the vowels: (open, lower lip down, funnel, pucker).
    func vowelPoint(_ face: FaceCaptureFrame) -> [Double] {
        let o = options
        func v(_ s: ARKitBlendshape) -> Double { Double(face.weights[s.index]) }
        let open = max(0, min(1, (v(.jawOpen) - o.jawOpenMin) / (o.jawOpenMax - o.jawOpenMin)))
        return [open, max(0, min(1, v(.mouthLowerDownLeft) + v(.mouthLowerDownRight))), v(.mouthFunnel), v(.mouthPucker)]
    }
}
