import Foundation
import TalkingHead

/// A JSON value that is a number, null, or something else (refused with the key's name).
enum LooseNumber: Decodable {
    case number(Double), null, other

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else { self = .other }
    }
}

/// Request bodies: decoding errors become `TalkingHeadError.invalidInput` naming the key.
enum RequestJSON {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw TalkingHeadError.invalidInput(source: source, field: key.stringValue, reason: "missing")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw TalkingHeadError.invalidInput(source: source, field: path(context), reason: "expected \(describe(expected))")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw TalkingHeadError.invalidInput(source: source, field: path(context), reason: "expected \(describe(expected)), got null")
        } catch let DecodingError.dataCorrupted(context) {
            let reason = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
            throw TalkingHeadError.invalidInput(source: source, field: path(context), reason: "malformed JSON: \(reason)")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String? {
        context.codingPath.isEmpty ? nil : context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type, is Float.Type: return "a number"
        default: return "a JSON object"
        }
    }

    /// A parameter by its upstream name, SillyTavern's `_index` suffix accepted.
    static func parameter(named key: String) -> PoseParameter? {
        if let p = PoseParameter(rawValue: key) { return p }
        if key.hasSuffix("_index") { return PoseParameter(rawValue: String(key.dropLast("_index".count))) }
        return nil
    }

    /// Pose values keyed by parameter name; `null` (when `allowNull`) gives nil (release).
    /// - Throws: `invalidInput` naming the key for an unknown name, a non-number, a non-finite
    ///   or out-of-range value.
    static func poseValues(_ object: [String: LooseNumber], source: String, allowNull: Bool) throws -> [(PoseParameter, Float?)] {
        var out: [(PoseParameter, Float?)] = []
        for key in object.keys.sorted() {
            guard let parameter = parameter(named: key) else {
                throw TalkingHeadError.invalidInput(source: source, field: key, reason: "not a pose parameter (GET /api/params lists the 45)")
            }
            switch object[key]! {
            case .null where allowNull:
                out.append((parameter, nil))
            case .number(let d):
                let v = Float(d)
                guard d.isFinite, v.isFinite else {
                    throw TalkingHeadError.invalidInput(source: source, field: key, reason: "not a finite number")
                }
                guard parameter.range.contains(v) else {
                    throw TalkingHeadError.invalidInput(source: source, field: key, reason: "\(d) is outside \(parameter.range.lowerBound)...\(parameter.range.upperBound)")
                }
                out.append((parameter, v))
            default:
                throw TalkingHeadError.invalidInput(source: source, field: key, reason: allowNull ? "expected a number, or null to release" : "expected a number")
            }
        }
        return out
    }
}
