import Foundation

/// Named target poses, one per emotion (the 28 labels of the GoEmotions classifiers that chat
/// front ends such as SillyTavern emit, plus any a user adds).
///
/// The JSON format is an object of emotion name -> object of parameter name -> value:
/// `{"joy": {"eye_happy_wink_left": 1, ...}, ...}`. Parameter names are the 45 of
/// `PoseParameter`; SillyTavern's spelling with an `_index` suffix (`eye_wink_left_index`) is
/// accepted too. Parameters left out are 0.
public struct EmotionPresets: Sendable, Equatable {
    private var poses: [String: PoseParameters]

    /// The presets shipped with the package (designed by rendering each one and looking at it).
    public static let builtIn: EmotionPresets = {
        do {
            return try EmotionPresets(parsing: Data(builtInEmotionsJSON.utf8), source: "built-in emotions")
        } catch {
            fatalError("built-in emotions: \(error)")
        }
    }()

    /// The 28 emotion labels, sorted.
    public static let labels: [String] = [
        "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
        "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
        "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "neutral",
        "optimism", "pride", "realization", "relief", "remorse", "sadness", "surprise",
    ]

    /// Presets from a user's JSON file. Emotions the file names replace the built-in ones (a
    /// name of its own adds one); the others stay built-in, so `{}` is `builtIn`.
    /// - Throws: `TalkingHeadError.invalidInput` naming the emotion and key of an unknown
    ///   parameter, a value that is not a finite number or lies outside the parameter's range.
    public init(json: Data, source: String) throws {
        let file = try EmotionPresets(parsing: json, source: source)
        self = Self.builtIn
        for (name, pose) in file.poses { poses[name] = pose }
    }

    /// Presets from explicit poses.
    public init(_ poses: [String: PoseParameters]) {
        self.poses = poses
    }

    private init(parsing json: Data, source: String) throws {
        let dict = try JSONValue.parse(json, source: source)
            .object(source: source, expected: "a JSON object of emotion name -> pose")
        poses = [:]
        for (name, value) in dict {
            guard !name.isEmpty else {
                throw TalkingHeadError.invalidInput(source: source, field: "\"\"", reason: "an emotion needs a name")
            }
            guard case .object(let named) = value else {
                throw TalkingHeadError.invalidInput(source: source, field: name, reason: "expected an object of parameter name -> value, got \(value.kind)")
            }
            var pose = PoseParameters()
            for (key, raw) in named {
                let field = "\(name).\(key)"
                guard let parameter = Self.parameter(named: key) else {
                    throw TalkingHeadError.invalidInput(source: source, field: field, reason: "unknown pose parameter (run `talking-head params` for the 45 names)")
                }
                let v = try raw.number(source: source, field: field)
                guard parameter.range.contains(Float(v)) else {
                    throw TalkingHeadError.invalidInput(source: source, field: field, reason: "\(v) is outside \(parameter.range.lowerBound)...\(parameter.range.upperBound)")
                }
                pose[parameter] = Float(v)
            }
            poses[name] = pose
        }
    }

    /// A parameter by its name, with or without SillyTavern's `_index` suffix.
    static func parameter(named key: String) -> PoseParameter? {
        if let p = PoseParameter(rawValue: key) { return p }
        if key.hasSuffix("_index") { return PoseParameter(rawValue: String(key.dropLast(6))) }
        return nil
    }

    /// The emotion names, sorted.
    public var names: [String] { poses.keys.sorted() }

    public subscript(name: String) -> PoseParameters? { poses[name] }

    /// The presets in the input format, every emotion with all 45 names (sorted emotions,
    /// parameters in upstream order, pretty-printed).
    public func jsonData() throws -> Data {
        var text = "{\n"
        for (i, name) in names.enumerated() {
            let pose = poses[name]!
            let body = PoseParameter.allCases.map { p in "    \"\(p.rawValue)\": \(Self.format(pose[p]))" }
            text += "  \(Self.quoted(name)): {\n" + body.joined(separator: ",\n") + "\n  }"
            text += i + 1 < poses.count ? ",\n" : "\n"
        }
        text += "}\n"
        return Data(text.utf8)
    }

    /// The shortest text that reads back as the same Float ("0", "0.5", "-0.25").
    static func format(_ v: Float) -> String {
        var s = v == 0 ? "0" : "\(v)"
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    static func quoted(_ s: String) -> String {
        let data = try! JSONEncoder().encode(s)
        return String(decoding: data, as: UTF8.self)
    }
}
