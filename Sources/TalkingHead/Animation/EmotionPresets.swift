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
            return try EmotionPresets(parsing: Data(builtInEmotionsJSON.utf8), source: "built-in emotions", clamp: false)
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
    /// - Parameter clampOutOfRange: clamp values outside a parameter's range instead of
    ///   refusing them (SillyTavern-Extras' own `_defaults.json` has mouth corners at -0.232
    ///   and 1.2, so files made from it need this on its compatible endpoint).
    /// - Throws: `TalkingHeadError.invalidInput` naming the emotion and key of an unknown
    ///   parameter, a value that is not a finite number or (unless clamped) lies outside the
    ///   parameter's range.
    public init(json: Data, source: String, clampOutOfRange: Bool = false) throws {
        let file = try EmotionPresets(parsing: json, source: source, clamp: clampOutOfRange)
        self = Self.builtIn
        for (name, pose) in file.poses { poses[name] = pose }
    }

    /// Presets from explicit poses.
    public init(_ poses: [String: PoseParameters]) {
        self.poses = poses
    }

    private init(parsing json: Data, source: String, clamp: Bool) throws {
        let dict = try JSONValue.parse(json, source: source)
            .object(source: source, expected: "a JSON object of emotion name -> pose")
        poses = [:]
        // In sorted order, so that a file with several faults always reports the same one.
        for name in dict.keys.sorted() {
            let value = dict[name]!
            guard !name.isEmpty else {
                throw TalkingHeadError.invalidInput(source: source, field: "\"\"", reason: "an emotion needs a name")
            }
            guard case .object(let named) = value else {
                throw TalkingHeadError.invalidInput(source: source, field: name, reason: "expected an object of parameter name -> value, got \(value.kind)")
            }
            var pose = PoseParameters()
            for key in named.keys.sorted() {
                let raw = named[key]!
                let field = "\(name).\(key)"
                guard let parameters = Self.parameters(named: key) else {
                    throw TalkingHeadError.invalidInput(source: source, field: field, reason: "unknown pose parameter (run `talking-head params` for the 45 names)")
                }
                let v = try raw.number(source: source, field: field)
                for parameter in parameters {
                    switch parameter.checkedValue(Float(v), clamp: clamp) {
                    case .success(let value): pose[parameter] = value
                    case .failure(let error): throw TalkingHeadError.invalidInput(source: source, field: field, reason: error.description)
                    }
                }
            }
            poses[name] = pose
        }
    }

    /// The parameters a key sets: one by its name, with or without SillyTavern's `_index`
    /// suffix; `eye_unimpressed` (without a side, as older SillyTavern-Extras files spell it)
    /// sets both eyes.
    static func parameters(named key: String) -> [PoseParameter]? {
        let name = key.hasSuffix("_index") && PoseParameter(rawValue: key) == nil ? String(key.dropLast(6)) : key
        if let p = PoseParameter(rawValue: name) { return [p] }
        if name == "eye_unimpressed" { return [.eyeUnimpressedLeft, .eyeUnimpressedRight] }
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
