/// The 45 pose parameters of THA3, in upstream order (`tha3/poser/modes/pose_parameters.py`).
/// Raw values are the upstream names. Two-sided groups have `_left` and `_right` members.
public enum PoseParameter: String, CaseIterable, Sendable, Codable {
    case eyebrowTroubledLeft = "eyebrow_troubled_left"
    case eyebrowTroubledRight = "eyebrow_troubled_right"
    case eyebrowAngryLeft = "eyebrow_angry_left"
    case eyebrowAngryRight = "eyebrow_angry_right"
    case eyebrowLoweredLeft = "eyebrow_lowered_left"
    case eyebrowLoweredRight = "eyebrow_lowered_right"
    case eyebrowRaisedLeft = "eyebrow_raised_left"
    case eyebrowRaisedRight = "eyebrow_raised_right"
    case eyebrowHappyLeft = "eyebrow_happy_left"
    case eyebrowHappyRight = "eyebrow_happy_right"
    case eyebrowSeriousLeft = "eyebrow_serious_left"
    case eyebrowSeriousRight = "eyebrow_serious_right"
    case eyeWinkLeft = "eye_wink_left"
    case eyeWinkRight = "eye_wink_right"
    case eyeHappyWinkLeft = "eye_happy_wink_left"
    case eyeHappyWinkRight = "eye_happy_wink_right"
    case eyeSurprisedLeft = "eye_surprised_left"
    case eyeSurprisedRight = "eye_surprised_right"
    case eyeRelaxedLeft = "eye_relaxed_left"
    case eyeRelaxedRight = "eye_relaxed_right"
    case eyeUnimpressedLeft = "eye_unimpressed_left"
    case eyeUnimpressedRight = "eye_unimpressed_right"
    case eyeRaisedLowerEyelidLeft = "eye_raised_lower_eyelid_left"
    case eyeRaisedLowerEyelidRight = "eye_raised_lower_eyelid_right"
    case irisSmallLeft = "iris_small_left"
    case irisSmallRight = "iris_small_right"
    case mouthAaa = "mouth_aaa"
    case mouthIii = "mouth_iii"
    case mouthUuu = "mouth_uuu"
    case mouthEee = "mouth_eee"
    case mouthOoo = "mouth_ooo"
    case mouthDelta = "mouth_delta"
    case mouthLoweredCornerLeft = "mouth_lowered_corner_left"
    case mouthLoweredCornerRight = "mouth_lowered_corner_right"
    case mouthRaisedCornerLeft = "mouth_raised_corner_left"
    case mouthRaisedCornerRight = "mouth_raised_corner_right"
    case mouthSmirk = "mouth_smirk"
    case irisRotationX = "iris_rotation_x"
    case irisRotationY = "iris_rotation_y"
    case headX = "head_x"
    case headY = "head_y"
    case neckZ = "neck_z"
    case bodyY = "body_y"
    case bodyZ = "body_z"
    case breathing = "breathing"

    /// Upstream category of the parameter.
    public enum Group: String, CaseIterable, Sendable {
        case eyebrow, eye, irisMorph = "iris_morph", mouth, irisRotation = "iris_rotation"
        case faceRotation = "face_rotation", bodyRotation = "body_rotation", breathing
    }

    /// Position of the parameter in the 45-value pose vector.
    public var index: Int { Self.indices[self]! }

    private static let indices: [PoseParameter: Int] = {
        var result: [PoseParameter: Int] = [:]
        for (i, p) in allCases.enumerated() { result[p] = i }
        return result
    }()

    /// The valid range: [-1, 1] for rotations, [0, 1] for everything else.
    public var range: ClosedRange<Float> {
        switch self {
        case .irisRotationX, .irisRotationY, .headX, .headY, .neckZ, .bodyY, .bodyZ:
            return -1...1
        default:
            return 0...1
        }
    }

    /// The upstream category this parameter belongs to.
    public var group: Group {
        switch self {
        case .eyebrowTroubledLeft: return .eyebrow
        case .eyebrowTroubledRight: return .eyebrow
        case .eyebrowAngryLeft: return .eyebrow
        case .eyebrowAngryRight: return .eyebrow
        case .eyebrowLoweredLeft: return .eyebrow
        case .eyebrowLoweredRight: return .eyebrow
        case .eyebrowRaisedLeft: return .eyebrow
        case .eyebrowRaisedRight: return .eyebrow
        case .eyebrowHappyLeft: return .eyebrow
        case .eyebrowHappyRight: return .eyebrow
        case .eyebrowSeriousLeft: return .eyebrow
        case .eyebrowSeriousRight: return .eyebrow
        case .eyeWinkLeft: return .eye
        case .eyeWinkRight: return .eye
        case .eyeHappyWinkLeft: return .eye
        case .eyeHappyWinkRight: return .eye
        case .eyeSurprisedLeft: return .eye
        case .eyeSurprisedRight: return .eye
        case .eyeRelaxedLeft: return .eye
        case .eyeRelaxedRight: return .eye
        case .eyeUnimpressedLeft: return .eye
        case .eyeUnimpressedRight: return .eye
        case .eyeRaisedLowerEyelidLeft: return .eye
        case .eyeRaisedLowerEyelidRight: return .eye
        case .irisSmallLeft: return .irisMorph
        case .irisSmallRight: return .irisMorph
        case .mouthAaa: return .mouth
        case .mouthIii: return .mouth
        case .mouthUuu: return .mouth
        case .mouthEee: return .mouth
        case .mouthOoo: return .mouth
        case .mouthDelta: return .mouth
        case .mouthLoweredCornerLeft: return .mouth
        case .mouthLoweredCornerRight: return .mouth
        case .mouthRaisedCornerLeft: return .mouth
        case .mouthRaisedCornerRight: return .mouth
        case .mouthSmirk: return .mouth
        case .irisRotationX: return .irisRotation
        case .irisRotationY: return .irisRotation
        case .headX: return .faceRotation
        case .headY: return .faceRotation
        case .neckZ: return .faceRotation
        case .bodyY: return .bodyRotation
        case .bodyZ: return .bodyRotation
        case .breathing: return .breathing
        }
    }
}
