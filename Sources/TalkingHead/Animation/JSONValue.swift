import Foundation

/// A parsed JSON value, so that settings and preset files can name the key and the kind of a
/// wrong value (JSONDecoder keeps booleans and numbers apart, JSONSerialization does not).
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Parses `data`, or throws `invalidInput` for malformed JSON.
    static func parse(_ data: Data, source: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let detail = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "not valid JSON" + (detail.map { " (\($0))" } ?? ""))
        } catch {
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "not valid JSON")
        }
    }

    /// The top-level object, or `invalidInput` saying what was expected.
    func object(source: String, expected: String) throws -> [String: JSONValue] {
        guard case .object(let dict) = self else {
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "expected \(expected), got \(kind)")
        }
        return dict
    }

    /// A finite number, or `invalidInput` naming `field`.
    func number(source: String, field: String) throws -> Double {
        guard case .number(let n) = self else {
            throw TalkingHeadError.invalidInput(source: source, field: field, reason: "expected a number, got \(kind)")
        }
        guard n.isFinite else {
            throw TalkingHeadError.invalidInput(source: source, field: field, reason: "must be finite")
        }
        return n
    }

    /// What kind of value this is, for messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let n): return "the number \(n)"
        case .string(let s): return "the string \"\(s.prefix(40))\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
