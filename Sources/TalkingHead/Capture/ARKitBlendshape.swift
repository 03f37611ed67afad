/// The 52 ARKit face blendshapes (Apple's `ARFaceAnchor.BlendShapeLocation`), in the order of
/// upstream THA3's `ifacialmocap_constants.BLENDSHAPE_NAMES`; raw values are ARKit's camelCase names.
public enum ARKitBlendshape: String, CaseIterable, Sendable, Codable {
    case eyeLookInLeft, eyeLookOutLeft, eyeLookDownLeft, eyeLookUpLeft, eyeBlinkLeft, eyeSquintLeft, eyeWideLeft
    case eyeLookInRight, eyeLookOutRight, eyeLookDownRight, eyeLookUpRight, eyeBlinkRight, eyeSquintRight, eyeWideRight
    case browDownLeft, browOuterUpLeft, browDownRight, browOuterUpRight, browInnerUp
    case noseSneerLeft, noseSneerRight, cheekSquintLeft, cheekSquintRight, cheekPuff
    case mouthLeft, mouthDimpleLeft, mouthFrownLeft, mouthLowerDownLeft, mouthPressLeft
    case mouthSmileLeft, mouthStretchLeft, mouthUpperUpLeft
    case mouthRight, mouthDimpleRight, mouthFrownRight, mouthLowerDownRight, mouthPressRight
    case mouthSmileRight, mouthStretchRight, mouthUpperUpRight
    case mouthClose, mouthFunnel, mouthPucker, mouthRollLower, mouthRollUpper, mouthShrugLower, mouthShrugUpper
    case jawLeft, jawRight, jawForward, jawOpen, tongueOut

    /// Position in `allCases` (and in `FaceCaptureFrame.weights`).
    public var index: Int { Self.indices[self]! }
    private static let indices: [ARKitBlendshape: Int] =
        Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    /// The PascalCase spelling (Live Link Face CSV headers, VMC/VRM "perfect sync" clips).
    public var pascalCaseName: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }

    /// Looks a name up in camelCase, PascalCase, or with iFacialMocap's `_L`/`_R` suffixes.
    public init?(name: String) {
        var key = name
        if key.hasSuffix("_L") { key = String(key.dropLast(2)) + "Left" }
        else if key.hasSuffix("_R") { key = String(key.dropLast(2)) + "Right" }
        if let exact = ARKitBlendshape(rawValue: key) { self = exact; return }
        guard let first = key.first else { return nil }
        let camel = first.lowercased() + key.dropFirst()
        guard let found = ARKitBlendshape(rawValue: camel) else { return nil }
        self = found
    }
}

/// One captured face: the 52 ARKit weights (0...1) and the head rotation in degrees.
///
/// Head angles follow iFacialMocap's `=head#x,y,z`: x is pitch (positive looks down in
/// upstream's mapping, which negates it), y yaw, z roll. Eye angles are kept for senders that
/// give them; upstream's converter does not use them.
public struct FaceCaptureFrame: Sendable, Equatable {
    /// Weights by `ARKitBlendshape.index`, 52 values.
    public var weights: [Float]
    /// Head rotation (x, y, z) in degrees.
    public var headDegrees: SIMD3<Float>
    /// Eye rotations in degrees when the sender gives them.
    public var leftEyeDegrees: SIMD3<Float>?
    public var rightEyeDegrees: SIMD3<Float>?

    /// All weights 0, head straight.
    public init() {
        weights = [Float](repeating: 0, count: ARKitBlendshape.allCases.count)
        headDegrees = .zero
    }

    /// Named weights (missing ones 0) and a head rotation in degrees.
    public init(_ named: [ARKitBlendshape: Float], headDegrees: SIMD3<Float> = .zero) {
        self.init()
        for (shape, value) in named { weights[shape.index] = value }
        self.headDegrees = headDegrees
    }

    public subscript(shape: ARKitBlendshape) -> Float {
        get { weights[shape.index] }
        set { weights[shape.index] = newValue }
    }
}
