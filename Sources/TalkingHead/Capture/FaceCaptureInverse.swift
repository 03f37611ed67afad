/// The converter run backwards: an ARKit face whose conversion gives (about) a pose, so the
/// emotion presets can drive ARKit / Unified Expressions avatars with the same expressions.
///
/// For a pose the converter itself produced, converting the face back gives the same pose
/// outside the vowels (CaptureTests checks 1e-4); the vowels go through the fit again and come
/// back close, not equal. For other poses (hand-made presets) parameters the converter cannot
/// produce together are approximated: left/right corners averaged (the converter makes them
/// equal), eyebrow-down modes other than the options' one, `eye_unimpressed`, `mouth_eee`,
/// `mouth_delta` and `mouth_smirk` dropped.
extension FaceCaptureConverter {
    public func face(approximating pose: PoseParameters) -> FaceCaptureFrame {
        let o = options
        func p(_ x: PoseParameter) -> Double { Double(pose[x]) }
        func c01(_ x: Double) -> Double { max(0, min(1, x)) }
        var face = FaceCaptureFrame()
        func set(_ s: ARKitBlendshape, _ x: Double) { face[s] = Float(c01(x)) }

        // Smile: the raised corners are clamp01(smile); the degree follows from it.
        let smile = (p(.mouthRaisedCornerLeft) + p(.mouthRaisedCornerRight)) / 2
        set(.mouthSmileLeft, smile)
        set(.mouthSmileRight, smile)
        let degree: Double = smile < o.lowerSmileThreshold ? 0 : smile > o.upperSmileThreshold ? 1
            : (smile - o.lowerSmileThreshold) / (o.upperSmileThreshold - o.lowerSmileThreshold)

        // Eyebrows: raised = inner + outer; down (the options' mode) undone from the smile gate.
        let raisedL = p(.eyebrowRaisedLeft), raisedR = p(.eyebrowRaisedRight)
        let inner = min(raisedL, raisedR)
        set(.browInnerUp, inner)
        set(.browOuterUpLeft, raisedL - inner)
        set(.browOuterUpRight, raisedR - inner)
        let downPair = o.eyebrowDownMode.parameters
        if degree < 1 {
            set(.browDownLeft, p(downPair.0) / (1 - degree) * o.browDownMax)
            set(.browDownRight, p(downPair.1) / (1 - degree) * o.browDownMax)
        }

        // Eyes: the wink (or relaxed) and the happy wink share one blink.
        let wink: (PoseParameter, PoseParameter) = o.winkMode == .normal ? (.eyeWinkLeft, .eyeWinkRight) : (.eyeRelaxedLeft, .eyeRelaxedRight)
        set(.eyeBlinkLeft, c01(p(wink.0) + p(.eyeHappyWinkLeft)) * o.eyeBlinkMax)
        set(.eyeBlinkRight, c01(p(wink.1) + p(.eyeHappyWinkRight)) * o.eyeBlinkMax)
        set(.eyeWideLeft, p(.eyeSurprisedLeft) * o.eyeWideMax)
        set(.eyeWideRight, p(.eyeSurprisedRight) * o.eyeWideMax)
        let span = o.cheekSquintMax - o.cheekSquintMin
        if pose[.eyeRaisedLowerEyelidLeft] > 0 { set(.cheekSquintLeft, o.cheekSquintMin + p(.eyeRaisedLowerEyelidLeft) * span) }
        if pose[.eyeRaisedLowerEyelidRight] > 0 { set(.cheekSquintRight, o.cheekSquintMin + p(.eyeRaisedLowerEyelidRight) * span) }

        // Irises: split between the two eyes' look blendshapes.
        let y = p(.irisRotationY) / o.eyeRotationFactor, x = p(.irisRotationX) / o.eyeRotationFactor
        if y > 0 { set(.eyeLookInLeft, y); set(.eyeLookOutRight, y) } else { set(.eyeLookOutLeft, -y); set(.eyeLookInRight, -y) }
        if x > 0 { set(.eyeLookUpLeft, x); set(.eyeLookUpRight, x) } else { set(.eyeLookDownLeft, -x); set(.eyeLookDownRight, -x) }

        // Head (degrees): the converter's ranges backwards; the body follows the head.
        face.headDegrees = SIMD3(Float(-p(.headX) * o.headPitchRange), Float(-p(.headY) * o.headYawRange),
                                 Float(p(.neckZ) * o.headRollRange))

        // Mouth: the vowel weights as a point of the fit's space, then the jaw and lips.
        // Round vowels on uuu's prototype, the funnel placed so the fit's uuu/ooo split is the pose's.
        let round = p(.mouthUuu) + p(.mouthOoo)
        let w = [p(.mouthAaa), p(.mouthIii), round]
        var point = [0.0, 0.0, 0.0, 0.0]
        for i in 0..<3 { for j in 0..<4 { point[j] += w[i] * VowelFit.prototypes[i][j] } }
        let open = c01(point[0])
        if open > 0 {
            set(.jawOpen, o.jawOpenMin + open * (o.jawOpenMax - o.jawOpenMin))
            set(.mouthLowerDownLeft, point[1] / 2)
            set(.mouthLowerDownRight, point[1] / 2)
            if round > 0 {
                let alpha = p(.mouthOoo) / round
                set(.mouthFunnel, max(point[2], o.mouthFunnelMin + alpha * (o.mouthFunnelMax - o.mouthFunnelMin)))
            } else {
                set(.mouthFunnel, point[2])
            }
            set(.mouthPucker, point[3])
        } else {
            let frown = (p(.mouthLoweredCornerLeft) + p(.mouthLoweredCornerRight)) / 2 * o.mouthFrownMax / 2
            set(.mouthFrownLeft, frown)
            set(.mouthFrownRight, frown)
        }
        return face
    }
}

extension UnifiedExpressions {
    /// Unified Expressions weights for a pose (an emotion preset), through the converter's
    /// inverse: the same expression on a VRChat / V-Sekai avatar.
    public static func weights(for pose: PoseParameters, converter: FaceCaptureConverter) -> [String: Float] {
        weights(for: converter.face(approximating: pose))
    }
}
