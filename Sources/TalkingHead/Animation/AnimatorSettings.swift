import Foundation

/// How the `Animator` moves on its own: blinking, breathing, sway, the talking mouth and the
/// easing towards the target pose. Every field has a default; times are in seconds.
///
/// JSON keys are the snake_case names below (`blink_interval_min`, ...). SillyTavern-Extras'
/// `animator.json` keys are accepted too: `breathing_cycle_duration`, `talking_fps`,
/// `sway_macro_strength`, `sway_micro_strength` and `pose_interpolator_step` (a per-frame step
/// at 25 fps, converted to a half-life) map to ours; its keys that concern rendering or that have
/// no counterpart here (`target_fps`, `crop_*`, `postprocessor_chain`, `blink_probability`,
/// `blink_confusion_duration`, `talking_morph`, `sway_morphs`) are accepted and ignored.
public struct AnimatorSettings: Codable, Sendable, Equatable {
    /// Shortest and longest time from one blink to the next (drawn uniformly between them).
    public var blinkIntervalMin: Double = 2.0
    public var blinkIntervalMax: Double = 5.0
    /// Time from the eyes starting to close to their being open again; 0 disables blinking.
    public var blinkDuration: Double = 0.2
    /// One full breath in and out; 0 disables breathing.
    public var breathingPeriod: Double = 4.0
    /// Shortest and longest time between two new sway targets.
    public var swayIntervalMin: Double = 5.0
    public var swayIntervalMax: Double = 10.0
    /// How far (in parameter units, rotations span -1...1) a sway target may lie from the
    /// emotion's pose for head_x, head_y, neck_z, body_y, body_z; 0 disables sway.
    public var swayAmplitude: Float = 0.3
    /// A small extra wander re-drawn 4 times a second on the same five parameters.
    public var swayJitter: Float = 0.02
    /// Time the sway takes to cover half the way to a new sway target.
    public var swayHalfLife: Double = 0.8
    /// Mouth changes per second of the random talking mouth (open, closed, open, ...).
    public var talkingRate: Double = 12
    /// How wide the talking mouth opens at most (mouth_aaa).
    public var talkingOpenness: Float = 0.9
    /// Time the pose takes to cover half the way to a new target (emotion, sway); 0 snaps.
    public var easeHalfLife: Double = 0.25
    /// Half-life of the easing towards a captured face pose (short: capture is already smooth).
    public var captureHalfLife: Double = 0.05
    /// Seconds without a capture after which the animator takes over again.
    public var captureTimeout: Double = 1.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case blinkIntervalMin = "blink_interval_min"
        case blinkIntervalMax = "blink_interval_max"
        case blinkDuration = "blink_duration"
        case breathingPeriod = "breathing_period"
        case swayIntervalMin = "sway_interval_min"
        case swayIntervalMax = "sway_interval_max"
        case swayAmplitude = "sway_amplitude"
        case swayJitter = "sway_jitter"
        case swayHalfLife = "sway_half_life"
        case talkingRate = "talking_rate"
        case talkingOpenness = "talking_openness"
        case easeHalfLife = "ease_half_life"
        case captureHalfLife = "capture_half_life"
        case captureTimeout = "capture_timeout"
    }

    /// SillyTavern-Extras names that map onto one of ours.
    static let sillyTavernAliases: [String: CodingKeys] = [
        "breathing_cycle_duration": .breathingPeriod,
        "talking_fps": .talkingRate,
        "sway_macro_strength": .swayAmplitude,
        "sway_micro_strength": .swayJitter,
    ]
    /// SillyTavern-Extras names accepted and ignored (rendering matters, or nothing to map to).
    static let sillyTavernIgnored: Set<String> = [
        "target_fps", "crop_left", "crop_right", "crop_top", "crop_bottom", "postprocessor_chain",
        "blink_probability", "blink_confusion_duration", "talking_morph", "sway_morphs",
    ]

    /// Settings from a JSON object: missing keys keep their defaults, `{}` is the defaults.
    /// - Throws: `TalkingHeadError.invalidInput(source:field:reason:)` naming the key for an
    ///   unknown key, a value of the wrong type or out of range, or malformed JSON.
    public init(json: Data, source: String) throws {
        let dict = try JSONValue.parse(json, source: source).object(source: source, expected: "a JSON object of settings")
        self.init()
        // SillyTavern's names first, so that our own name wins when a file has both.
        let ordered = dict.keys.sorted().sorted { (CodingKeys(rawValue: $0) == nil ? 0 : 1) < (CodingKeys(rawValue: $1) == nil ? 0 : 1) }
        for key in ordered {
            let value = dict[key]!
            if Self.sillyTavernIgnored.contains(key) { continue }
            if key == "pose_interpolator_step" {
                let step = try value.number(source: source, field: key)
                guard step > 0, step < 1 else {
                    throw TalkingHeadError.invalidInput(source: source, field: key, reason: "must be above 0 and below 1 (got \(step))")
                }
                // SillyTavern moves `step` of the remaining way per frame at 25 fps.
                easeHalfLife = log(0.5) / log(1 - step) / 25
                continue
            }
            guard let codingKey = CodingKeys(rawValue: key) ?? Self.sillyTavernAliases[key] else {
                let known = CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
                throw TalkingHeadError.invalidInput(source: source, field: key, reason: "unknown setting (known: \(known))")
            }
            try set(codingKey, to: value.number(source: source, field: key), source: source, field: key)
        }
        try validate(source: source)
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        for key in CodingKeys.allCases {
            if let value = try container.decodeIfPresent(Double.self, forKey: key) {
                try set(key, to: value, source: "animator settings", field: key.rawValue)
            }
        }
        try validate(source: "animator settings")
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        for key in CodingKeys.allCases { try container.encode(get(key), forKey: key) }
    }

    /// The settings as a JSON object with every key (sorted, pretty-printed).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    // MARK: - Fields by key

    private func get(_ key: CodingKeys) -> Double {
        switch key {
        case .blinkIntervalMin: return blinkIntervalMin
        case .blinkIntervalMax: return blinkIntervalMax
        case .blinkDuration: return blinkDuration
        case .breathingPeriod: return breathingPeriod
        case .swayIntervalMin: return swayIntervalMin
        case .swayIntervalMax: return swayIntervalMax
        case .swayAmplitude: return Double(swayAmplitude)
        case .swayJitter: return Double(swayJitter)
        case .swayHalfLife: return swayHalfLife
        case .talkingRate: return talkingRate
        case .talkingOpenness: return Double(talkingOpenness)
        case .easeHalfLife: return easeHalfLife
        case .captureHalfLife: return captureHalfLife
        case .captureTimeout: return captureTimeout
        }
    }

    /// Valid range of each field.
    static func range(_ key: CodingKeys) -> ClosedRange<Double> {
        switch key {
        case .blinkIntervalMin, .blinkIntervalMax: return 0.5...600
        case .blinkDuration: return 0...2
        case .breathingPeriod: return 0...60
        case .swayIntervalMin, .swayIntervalMax: return 0.5...600
        case .swayAmplitude: return 0...1
        case .swayJitter: return 0...0.2
        case .swayHalfLife, .easeHalfLife, .captureHalfLife: return 0...10
        case .talkingRate: return 1...60
        case .talkingOpenness: return 0...1
        case .captureTimeout: return 0.05...60
        }
    }

    private mutating func set(_ key: CodingKeys, to value: Double, source: String, field: String) throws {
        let range = Self.range(key)
        guard value.isFinite, range.contains(value) else {
            throw TalkingHeadError.invalidInput(
                source: source, field: field,
                reason: "must be a number in \(range.lowerBound)...\(range.upperBound) (got \(value))")
        }
        switch key {
        case .blinkIntervalMin: blinkIntervalMin = value
        case .blinkIntervalMax: blinkIntervalMax = value
        case .blinkDuration: blinkDuration = value
        case .breathingPeriod: breathingPeriod = value
        case .swayIntervalMin: swayIntervalMin = value
        case .swayIntervalMax: swayIntervalMax = value
        case .swayAmplitude: swayAmplitude = Float(value)
        case .swayJitter: swayJitter = Float(value)
        case .swayHalfLife: swayHalfLife = value
        case .talkingRate: talkingRate = value
        case .talkingOpenness: talkingOpenness = Float(value)
        case .easeHalfLife: easeHalfLife = value
        case .captureHalfLife: captureHalfLife = value
        case .captureTimeout: captureTimeout = value
        }
    }

    /// Checks every field's range and that each minimum is at most its maximum.
    /// - Throws: `TalkingHeadError.invalidInput` naming the offending key.
    public func validate(source: String = "animator settings") throws {
        for key in CodingKeys.allCases {
            let value = get(key), range = Self.range(key)
            guard value.isFinite, range.contains(value) else {
                throw TalkingHeadError.invalidInput(
                    source: source, field: key.rawValue,
                    reason: "must be a number in \(range.lowerBound)...\(range.upperBound) (got \(value))")
            }
        }
        guard blinkIntervalMin <= blinkIntervalMax else {
            throw TalkingHeadError.invalidInput(source: source, field: CodingKeys.blinkIntervalMin.rawValue,
                                                reason: "must not exceed blink_interval_max (\(blinkIntervalMin) > \(blinkIntervalMax))")
        }
        guard swayIntervalMin <= swayIntervalMax else {
            throw TalkingHeadError.invalidInput(source: source, field: CodingKeys.swayIntervalMin.rawValue,
                                                reason: "must not exceed sway_interval_max (\(swayIntervalMin) > \(swayIntervalMax))")
        }
        guard blinkDuration < blinkIntervalMin else {
            throw TalkingHeadError.invalidInput(source: source, field: CodingKeys.blinkDuration.rawValue,
                                                reason: "must be shorter than blink_interval_min (\(blinkDuration) >= \(blinkIntervalMin))")
        }
    }
}
