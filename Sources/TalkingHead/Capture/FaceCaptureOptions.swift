import Foundation

/// Settings of `FaceCaptureConverter`; the defaults are those of upstream's converter 25
/// (`IFacialMocapPoseConverter25Args`). Codable: a missing key keeps its default.
public struct FaceCaptureOptions: Codable, Sendable, Equatable {
    /// Which eyebrow pair `browDown` drives.
    public enum EyebrowDownMode: String, Codable, Sendable, CaseIterable {
        case troubled, angry, lowered, serious
    }
    /// Whether `eyeBlink` drives `eye_wink` (normal) or `eye_relaxed`.
    public enum WinkMode: String, Codable, Sendable, CaseIterable {
        case normal, relaxed
    }

    /// Smile degree is 0 below the lower threshold, 1 above the upper, linear between.
    public var lowerSmileThreshold: Double = 0.4
    public var upperSmileThreshold: Double = 0.6
    public var eyebrowDownMode: EyebrowDownMode = .angry
    public var winkMode: WinkMode = .normal
    /// `eyeWide` that gives `eye_surprised` 1.
    public var eyeWideMax: Double = 0.5
    /// `eyeBlink` that gives a closed eye.
    public var eyeBlinkMax: Double = 0.8
    /// `browDown` that gives the full eyebrow-down morph.
    public var browDownMax: Double = 0.4
    /// `cheekSquint` range mapped to `eye_raised_lower_eyelid` 0...1.
    public var cheekSquintMin: Double = 0.1
    public var cheekSquintMax: Double = 0.7
    /// Gain from the look blendshapes to the iris rotation.
    public var eyeRotationFactor: Double = 1 / 0.75
    /// `jawOpen` range mapped to the mouth opening 0...1.
    public var jawOpenMin: Double = 0.1
    public var jawOpenMax: Double = 0.4
    /// Sum of the two `mouthFrown` that gives the full lowered corners (mouth closed only).
    public var mouthFrownMax: Double = 0.6
    /// `mouthFunnel` range that blends the fitted round vowel from `uuu` to `ooo`.
    public var mouthFunnelMin: Double = 0.25
    public var mouthFunnelMax: Double = 0.5
    /// Constant `iris_small_left` / `iris_small_right` (upstream's iris-size sliders).
    public var irisSmallLeft: Double = 0
    public var irisSmallRight: Double = 0
    /// Head angle in degrees that gives `head_x` ±1 (pitch), `head_y`/`body_y` ±1 (yaw),
    /// `neck_z`/`body_z` ±1 (roll).
    public var headPitchRange: Double = 15
    public var headYawRange: Double = 10
    public var headRollRange: Double = 15
    /// Breaths per minute written to `breathing` when `convert` is given a time; 0 (the
    /// default, as upstream without its settings panel) leaves `breathing` 0 for the animator.
    public var breathingRate: Double = 0

    public init() {}

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case lowerSmileThreshold, upperSmileThreshold, eyebrowDownMode, winkMode, eyeWideMax
        case eyeBlinkMax, browDownMax, cheekSquintMin, cheekSquintMax, eyeRotationFactor
        case jawOpenMin, jawOpenMax, mouthFrownMax, mouthFunnelMin, mouthFunnelMax
        case irisSmallLeft, irisSmallRight, headPitchRange, headYawRange, headRollRange, breathingRate
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func d(_ key: CodingKeys, _ value: inout Double) throws {
            if let v = try c.decodeIfPresent(Double.self, forKey: key) { value = v }
        }
        try d(.lowerSmileThreshold, &lowerSmileThreshold)
        try d(.upperSmileThreshold, &upperSmileThreshold)
        if let v = try c.decodeIfPresent(EyebrowDownMode.self, forKey: .eyebrowDownMode) { eyebrowDownMode = v }
        if let v = try c.decodeIfPresent(WinkMode.self, forKey: .winkMode) { winkMode = v }
        try d(.eyeWideMax, &eyeWideMax)
        try d(.eyeBlinkMax, &eyeBlinkMax)
        try d(.browDownMax, &browDownMax)
        try d(.cheekSquintMin, &cheekSquintMin)
        try d(.cheekSquintMax, &cheekSquintMax)
        try d(.eyeRotationFactor, &eyeRotationFactor)
        try d(.jawOpenMin, &jawOpenMin)
        try d(.jawOpenMax, &jawOpenMax)
        try d(.mouthFrownMax, &mouthFrownMax)
        try d(.mouthFunnelMin, &mouthFunnelMin)
        try d(.mouthFunnelMax, &mouthFunnelMax)
        try d(.irisSmallLeft, &irisSmallLeft)
        try d(.irisSmallRight, &irisSmallRight)
        try d(.headPitchRange, &headPitchRange)
        try d(.headYawRange, &headYawRange)
        try d(.headRollRange, &headRollRange)
        try d(.breathingRate, &breathingRate)
    }

    /// Reads options from JSON (`{}` = defaults); unknown keys, wrong types and values that
    /// `validate()` refuses throw `TalkingHeadError.invalidInput` naming the key.
    public init(json: Data, source: String) throws {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: json) } catch {
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "not JSON (\(error.localizedDescription))")
        }
        guard let dict = object as? [String: Any] else {
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "expected a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = dict.keys.sorted().first(where: { !known.contains($0) }) {
            throw TalkingHeadError.invalidInput(source: source, field: unknown, reason: "unknown key (known: \(known.sorted().joined(separator: ", ")))")
        }
        do { self = try JSONDecoder().decode(FaceCaptureOptions.self, from: json) } catch DecodingError.typeMismatch(_, let context),
            DecodingError.dataCorrupted(let context), DecodingError.valueNotFound(_, let context) {
            throw TalkingHeadError.invalidInput(source: source, field: context.codingPath.last?.stringValue,
                                                reason: context.debugDescription)
        } catch {
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "\(error)")
        }
        try validate(source: source)
    }

    /// Refuses ranges the converter would divide by zero or invert with.
    public func validate(source: String = "face capture options") throws {
        func bad(_ field: String, _ reason: String) -> TalkingHeadError {
            .invalidInput(source: source, field: field, reason: reason)
        }
        let all: [(String, Double)] = [
            ("lowerSmileThreshold", lowerSmileThreshold), ("upperSmileThreshold", upperSmileThreshold),
            ("eyeWideMax", eyeWideMax), ("eyeBlinkMax", eyeBlinkMax), ("browDownMax", browDownMax),
            ("cheekSquintMin", cheekSquintMin), ("cheekSquintMax", cheekSquintMax),
            ("eyeRotationFactor", eyeRotationFactor), ("jawOpenMin", jawOpenMin), ("jawOpenMax", jawOpenMax),
            ("mouthFrownMax", mouthFrownMax), ("mouthFunnelMin", mouthFunnelMin), ("mouthFunnelMax", mouthFunnelMax),
            ("irisSmallLeft", irisSmallLeft), ("irisSmallRight", irisSmallRight),
            ("headPitchRange", headPitchRange), ("headYawRange", headYawRange), ("headRollRange", headRollRange),
            ("breathingRate", breathingRate),
        ]
        for (name, value) in all where !value.isFinite { throw bad(name, "\(value) is not a finite number") }
        if upperSmileThreshold <= lowerSmileThreshold { throw bad("upperSmileThreshold", "must be above lowerSmileThreshold (\(lowerSmileThreshold))") }
        if cheekSquintMax <= cheekSquintMin { throw bad("cheekSquintMax", "must be above cheekSquintMin (\(cheekSquintMin))") }
        if jawOpenMax <= jawOpenMin { throw bad("jawOpenMax", "must be above jawOpenMin (\(jawOpenMin))") }
        if mouthFunnelMax <= mouthFunnelMin { throw bad("mouthFunnelMax", "must be above mouthFunnelMin (\(mouthFunnelMin))") }
        for (name, value) in [("eyeWideMax", eyeWideMax), ("eyeBlinkMax", eyeBlinkMax), ("browDownMax", browDownMax),
                              ("mouthFrownMax", mouthFrownMax), ("headPitchRange", headPitchRange),
                              ("headYawRange", headYawRange), ("headRollRange", headRollRange)] where value <= 0 {
            throw bad(name, "must be above 0, got \(value)")
        }
        for (name, value) in [("irisSmallLeft", irisSmallLeft), ("irisSmallRight", irisSmallRight)] where !(0...1).contains(value) {
            throw bad(name, "must be within 0...1, got \(value)")
        }
        if !(0...120).contains(breathingRate) { throw bad("breathingRate", "must be within 0...120 breaths per minute, got \(breathingRate)") }
    }
}

extension FaceCaptureOptions.EyebrowDownMode {
    /// The pose parameters (left, right) that eyebrows pulled down move in this mode.
    var parameters: (PoseParameter, PoseParameter) {
        switch self {
        case .troubled: return (.eyebrowTroubledLeft, .eyebrowTroubledRight)
        case .angry: return (.eyebrowAngryLeft, .eyebrowAngryRight)
        case .lowered: return (.eyebrowLoweredLeft, .eyebrowLoweredRight)
        case .serious: return (.eyebrowSeriousLeft, .eyebrowSeriousRight)
        }
    }
}
