import Foundation

/// Why a value was refused for a pose parameter; `description` is the reason a message quotes.
public struct ParameterValueError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

extension PoseParameter {
    /// The one check of a value for this parameter, wherever it comes from (a CSV cell, `--set`,
    /// a request): a finite number within `range`, or clamped into it when `clamp` is set.
    /// `text` is what the user wrote, quoted in the reason (cut to 80 characters).
    public func checkedValue(_ value: Float, text: String? = nil, clamp: Bool = false) -> Result<Float, ParameterValueError> {
        let shown = Self.quoted(text ?? "\(value)")
        guard value.isFinite else {
            return .failure(ParameterValueError(description: "\(shown) is not a finite number (\(rawValue))"))
        }
        if range.contains(value) { return .success(value) }
        guard clamp else {
            return .failure(ParameterValueError(
                description: "\(shown) is outside the range \(range.lowerBound)...\(range.upperBound) of \(rawValue)"))
        }
        return .success(min(max(value, range.lowerBound), range.upperBound))
    }

    /// `text` parsed as a number and checked by `checkedValue(_:text:clamp:)`.
    public func checkedValue(parsing text: String, clamp: Bool = false) -> Result<Float, ParameterValueError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.contains("\0"), let value = Float(trimmed) else {
            return .failure(ParameterValueError(description: "\(Self.quoted(trimmed)) is not a number (\(rawValue))"))
        }
        return checkedValue(value, text: trimmed, clamp: clamp)
    }

    /// `text` in quotes, cut to 80 characters so a message stays readable whatever the input.
    static func quoted(_ text: String) -> String {
        text.count <= 80 ? "\"\(text)\"" : "\"\(text.prefix(77))...\""
    }
}

extension PoseParameters {
    /// A `NAME=VALUE` setting (as `--set` takes it) applied to these parameters, with the one
    /// range check. Throws `TalkingHeadError.invalidInput` naming the setting.
    public mutating func apply(setting: String, clamp: Bool = false) throws {
        let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw TalkingHeadError.invalidInput(source: "setting \(PoseParameter.quoted(setting))", field: nil, reason: "expected NAME=VALUE")
        }
        let name = parts[0].trimmingCharacters(in: .whitespaces)
        guard let p = PoseParameter(rawValue: name) else { throw TalkingHeadError.unknownParameter(name: name) }
        switch p.checkedValue(parsing: parts[1], clamp: clamp) {
        case .success(let v): self[p] = v
        case .failure(let e):
            throw TalkingHeadError.invalidInput(source: "setting \(PoseParameter.quoted(setting))", field: name, reason: e.description)
        }
    }
}
