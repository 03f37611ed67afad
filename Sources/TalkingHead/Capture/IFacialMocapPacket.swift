import Foundation

/// iFacialMocap's UDP datagram (THA3's `ifacialmocap_v2.py`, ifacialmocap.com/for-developer):
/// `|`-separated items, blendshapes as `name&value` (v2) or `name-value` (v1) with values
/// 0...100 (sent as percent), `_L`/`_R` for Left/Right; `=head#rx,ry,rz,px,py,pz` (degrees and
/// position) and `rightEye#x,y,z`, `leftEye#x,y,z` (degrees).
///
/// Taken whole or refused: an item that is malformed, cut short, names no ARKit blendshape
/// (besides the app's own `hapihapi` item, ignored),
/// or carries a non-finite or out-of-range number throws `TalkingHeadError.invalidInput`
/// (source "iFacialMocap packet", field the item) and nothing of the packet is used.
public enum IFacialMocapPacket {
    /// UDP port of the phone app and of the PC.
    public static let port: UInt16 = 49983
    /// Sent once to the phone's port to start the stream in the v2 format.
    public static let startString = "iFacialMocap_sahuasouryya9218sauhuiayeta91555dy3719|sendDataVersion=v2"
    static let source = "iFacialMocap packet"
    /// Items the app sends besides the 52 (`hapihapi-0` in real v1 packets): read, ignored.
    static let knownExtras: Set<String> = ["hapihapi"]

    /// Parses one datagram.
    public static func parse(_ bytes: [UInt8]) throws -> FaceCaptureFrame {
        guard bytes.count <= 65_536 else { throw fail(nil, "\(bytes.count) bytes is larger than a datagram") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail(nil, "not UTF-8 text") }
        return try parse(text)
    }

    /// Parses one datagram's text.
    public static func parse(_ text: String) throws -> FaceCaptureFrame {
        var face = FaceCaptureFrame()
        var items = 0
        for raw in text.split(separator: "|", omittingEmptySubsequences: true) {
            let item = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if item.isEmpty { continue }
            items += 1
            if item.hasPrefix("=head#") {
                let numbers = try numbers(in: item.dropFirst(6), count: 6, item: "=head")
                for (i, v) in numbers.prefix(3).enumerated() where abs(v) > 360 {
                    throw fail("=head", "angle \(i + 1) (\(v)) is outside ±360 degrees")
                }
                face.headDegrees = SIMD3(Float(numbers[0]), Float(numbers[1]), Float(numbers[2]))
            } else if item.hasPrefix("rightEye#") || item.hasPrefix("leftEye#") {
                let isRight = item.hasPrefix("rightEye#")
                let name = isRight ? "rightEye" : "leftEye"
                let numbers = try numbers(in: item.dropFirst(name.count + 1), count: 3, item: name)
                guard numbers.allSatisfy({ abs($0) <= 360 }) else { throw fail(name, "an angle is outside ±360 degrees") }
                let angles = SIMD3(Float(numbers[0]), Float(numbers[1]), Float(numbers[2]))
                if isRight { face.rightEyeDegrees = angles } else { face.leftEyeDegrees = angles }
            } else {
                // v2 `name&value`, else v1 `name-value` (values are never negative).
                let separator: Character = item.contains("&") ? "&" : "-"
                let parts = item.split(separator: separator, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw fail(String(item.prefix(40)), "expected name&value or name-value")
                }
                let name = String(parts[0])
                if Self.knownExtras.contains(name) {
                    guard number(parts[1]) != nil else { throw fail(name, "\"\(parts[1].prefix(20))\" is not a number") }
                    continue
                }
                guard let shape = ARKitBlendshape(name: name), shape.rawValue == canonical(name) else {
                    throw fail(name, "not an ARKit blendshape name")
                }
                guard let value = number(parts[1]) else { throw fail(name, "\"\(parts[1].prefix(20))\" is not a number") }
                guard (0...100).contains(value) else { throw fail(name, "\(value) is outside 0...100") }
                face[shape] = Float(value / 100)
            }
        }
        guard items > 0 else { throw fail(nil, "empty packet") }
        return face
    }

    /// `mouthSmile_L` -> `mouthSmileLeft` (iFacialMocap spells blendshapes in camelCase).
    static func canonical(_ name: String) -> String {
        if name.hasSuffix("_L") { return String(name.dropLast(2)) + "Left" }
        if name.hasSuffix("_R") { return String(name.dropLast(2)) + "Right" }
        return name
    }

    static func numbers(in text: Substring, count: Int, item: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == count else { throw fail(item, "expected \(count) numbers, got \(parts.count)") }
        return try parts.map {
            guard let v = number($0) else { throw fail(item, "\"\($0.prefix(20))\" is not a finite number") }
            return v
        }
    }

    /// A finite decimal (no `nan`, `inf`, hex or spaces inside).
    static func number<S: StringProtocol>(_ text: S) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.count <= 32,
              t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+" || $0 == "e" || $0 == "E") }),
              let v = Double(t), v.isFinite else { return nil }
        return v
    }

    static func fail(_ field: String?, _ reason: String) -> TalkingHeadError {
        .invalidInput(source: source, field: field, reason: reason)
    }
}
