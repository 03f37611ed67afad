/// VRCFaceTracking's Unified Expressions (UE) shape names as face-capture input, mapped to ARKit by
/// VRCFT's documented ARKit compatibility table (docs: tutorial-avatars/compatibility/arkit.mdx):
/// EyeClosed -> eyeBlink, MouthClosed -> mouthClose, LipSuckUpper/Lower -> mouthRollUpper/Lower,
/// LipFunnel -> mouthFunnel, LipPucker -> mouthPucker, MouthRaiserUpper/Lower -> mouthShrugUpper/Lower,
/// the blended BrowDown (BrowLowerer + BrowPinch) -> browDown, the blended MouthSmile
/// (MouthCornerPull + MouthCornerSlant) -> mouthSmile, other shared shapes by the same name.
/// mouthLeft/Right (left out of the table) come from MouthUpper+MouthLower Left/Right as in
/// VRCFT's Live Link module; EyeOpenness gives eyeBlink = 1 - openness.
///
/// When several UE shapes feed one ARKit shape (a blended shape's parts, or upper and lower
/// lips), the ARKit weight is their mean. UE shapes without an ARKit equivalent (CheekSuck,
/// MouthTightener, the tongue directions, ...) are accepted and ignored; a name that is not UE
/// is refused.
public enum UnifiedExpressions {
    /// UE shape name -> the ARKit shapes it feeds.
    public static let arkitTargets: [String: [ARKitBlendshape]] = {
        var map: [String: [ARKitBlendshape]] = [:]
        func pair(_ ue: String, _ left: ARKitBlendshape, _ right: ARKitBlendshape) {
            map[ue + "Left"] = [left]
            map[ue + "Right"] = [right]
        }
        for look in ["In", "Out", "Up", "Down"] {
            pair("EyeLook" + look, ARKitBlendshape(rawValue: "eyeLook\(look)Left")!, ARKitBlendshape(rawValue: "eyeLook\(look)Right")!)
        }
        pair("EyeClosed", .eyeBlinkLeft, .eyeBlinkRight)
        pair("EyeSquint", .eyeSquintLeft, .eyeSquintRight)
        pair("EyeWide", .eyeWideLeft, .eyeWideRight)
        pair("BrowDown", .browDownLeft, .browDownRight)
        pair("BrowLowerer", .browDownLeft, .browDownRight)
        pair("BrowPinch", .browDownLeft, .browDownRight)
        pair("BrowInnerUp", .browInnerUp, .browInnerUp)
        map["BrowInnerUp"] = [.browInnerUp]
        pair("BrowOuterUp", .browOuterUpLeft, .browOuterUpRight)
        pair("NoseSneer", .noseSneerLeft, .noseSneerRight)
        pair("CheekSquint", .cheekSquintLeft, .cheekSquintRight)
        pair("CheekPuff", .cheekPuff, .cheekPuff)
        map["CheekPuff"] = [.cheekPuff]
        for jaw in ["Open", "Left", "Right", "Forward"] { map["Jaw" + jaw] = [ARKitBlendshape(rawValue: "jaw" + jaw)!] }
        map["MouthClosed"] = [.mouthClose]
        map["LipSuckUpper"] = [.mouthRollUpper]
        map["LipSuckLower"] = [.mouthRollLower]
        pair("LipSuckUpper", .mouthRollUpper, .mouthRollUpper)
        pair("LipSuckLower", .mouthRollLower, .mouthRollLower)
        for part in ["", "Upper", "Lower"] {
            map["LipFunnel" + part] = [.mouthFunnel]
            map["LipPucker" + part] = [.mouthPucker]
        }
        for part in ["Upper", "Lower"] {
            pair("LipFunnel" + part, .mouthFunnel, .mouthFunnel)
            pair("LipPucker" + part, .mouthPucker, .mouthPucker)
        }
        pair("MouthUpperUp", .mouthUpperUpLeft, .mouthUpperUpRight)
        pair("MouthLowerDown", .mouthLowerDownLeft, .mouthLowerDownRight)
        map["MouthLowerDown"] = [.mouthLowerDownLeft, .mouthLowerDownRight]
        pair("MouthSmile", .mouthSmileLeft, .mouthSmileRight)
        pair("MouthCornerPull", .mouthSmileLeft, .mouthSmileRight)
        pair("MouthCornerSlant", .mouthSmileLeft, .mouthSmileRight)
        pair("MouthFrown", .mouthFrownLeft, .mouthFrownRight)
        pair("MouthStretch", .mouthStretchLeft, .mouthStretchRight)
        pair("MouthDimple", .mouthDimpleLeft, .mouthDimpleRight)
        pair("MouthPress", .mouthPressLeft, .mouthPressRight)
        map["MouthPress"] = [.mouthPressLeft, .mouthPressRight]
        map["MouthRaiserUpper"] = [.mouthShrugUpper]
        map["MouthRaiserLower"] = [.mouthShrugLower]
        for side in ["Left", "Right"] {
            let target = ARKitBlendshape(rawValue: "mouth" + side)!
            map["Mouth" + side] = [target]
            map["MouthUpper" + side] = [target]
            map["MouthLower" + side] = [target]
        }
        map["TongueOut"] = [.tongueOut]
        return map
    }()

    /// UE names with no ARKit equivalent: accepted, ignored.
    public static let unmapped: Set<String> = {
        var names: Set<String> = ["EyeDilation", "EyeConstrict", "JawBackward", "JawClench", "JawMandibleRaise",
                                  "SoftPalateClose", "ThroatSwallow", "NeckFlex", "MouthTightener"]
        for tongue in ["Up", "Down", "Right", "Left", "Roll", "BendDown", "CurlUp", "Squish", "Flat", "TwistRight", "TwistLeft"] {
            names.insert("Tongue" + tongue)
        }
        for paired in ["NasalDilation", "NasalConstrict", "CheekSuck", "MouthUpperDeepen", "MouthTightener",
                       "LipSuckCorner", "EyeDilation", "EyeConstrict"] {
            names.insert(paired + "Left")
            names.insert(paired + "Right")
        }
        return names
    }()

    /// The ARKit face for named UE weights (0...1 each; missing shapes 0). `source` names the
    /// packet or file in errors.
    /// - Throws: `TalkingHeadError.invalidInput` naming the shape for an unknown name, a
    ///   non-finite value or one outside 0...1.
    public static func face(from weights: [String: Float], headDegrees: SIMD3<Float> = .zero,
                            source: String) throws -> FaceCaptureFrame {
        var sums = [Float](repeating: 0, count: ARKitBlendshape.allCases.count)
        var counts = [Int](repeating: 0, count: ARKitBlendshape.allCases.count)
        for name in weights.keys.sorted() {
            let value = weights[name]!
            guard value.isFinite, (0...1).contains(value) else {
                throw TalkingHeadError.invalidInput(source: source, field: name, reason: "\(value) is not within 0...1")
            }
            let (targets, weight): ([ARKitBlendshape], Float)
            if let t = arkitTargets[name] { (targets, weight) = (t, value) }
            else if name == "EyeOpennessLeft" || name == "EyeOpenLeft" { (targets, weight) = ([.eyeBlinkLeft], 1 - value) }
            else if name == "EyeOpennessRight" || name == "EyeOpenRight" { (targets, weight) = ([.eyeBlinkRight], 1 - value) }
            else if unmapped.contains(name) { continue }
            else {
                throw TalkingHeadError.invalidInput(source: source, field: name, reason: "not a Unified Expressions shape name")
            }
            for t in targets { sums[t.index] += weight; counts[t.index] += 1 }
        }
        var face = FaceCaptureFrame()
        for i in sums.indices where counts[i] > 0 { face.weights[i] = sums[i] / Float(counts[i]) }
        face.headDegrees = headDegrees
        return face
    }

    /// UE weights for an ARKit face (the inverse direction, for exporting to UE avatars): each
    /// ARKit shape to its documented UE name (blended shapes under their blended name).
    public static func weights(for face: FaceCaptureFrame) -> [String: Float] {
        var out: [String: Float] = [:]
        for shape in ARKitBlendshape.allCases {
            out[ueName(for: shape)] = face[shape]
        }
        return out
    }

    static func ueName(for shape: ARKitBlendshape) -> String {
        switch shape {
        case .eyeBlinkLeft: return "EyeClosedLeft"
        case .eyeBlinkRight: return "EyeClosedRight"
        case .mouthClose: return "MouthClosed"
        case .mouthRollUpper: return "LipSuckUpper"
        case .mouthRollLower: return "LipSuckLower"
        case .mouthFunnel: return "LipFunnel"
        case .mouthPucker: return "LipPucker"
        case .mouthShrugUpper: return "MouthRaiserUpper"
        case .mouthShrugLower: return "MouthRaiserLower"
        default: return shape.pascalCaseName
        }
    }
}
