import Foundation

/// A frame rate that an animated PNG stores exactly: APNG gives each frame a delay of
/// `delay_num / delay_den` seconds, both 16-bit, so a rate is written exactly when it is a
/// fraction `frames / seconds` with both terms in 1...65535 (30, 29.97 = 2997/100,
/// 30000/1001, 0.5 = 1/2; from 1/65535 up to 65535 frames per second).
public struct FrameRate: Sendable, Equatable, CustomStringConvertible {
    /// Frames per `seconds`.
    public let frames: UInt16
    /// Seconds per `frames` frames.
    public let seconds: UInt16

    /// Frames per second.
    public var value: Double { Double(frames) / Double(seconds) }

    /// The rate `frames / seconds`, reduced.
    /// - Throws: `TalkingHeadError.invalidInput` when a term is 0 or above 65535.
    public init(frames: Int, seconds: Int) throws {
        guard (1...65535).contains(frames), (1...65535).contains(seconds) else {
            throw TalkingHeadError.invalidInput(source: "frame rate", field: nil,
                reason: "\(frames)/\(seconds): both terms must be in 1...65535 (\(Self.rangeText))")
        }
        var (a, b) = (frames, seconds)
        while b != 0 { (a, b) = (b, a % b) }
        self.frames = UInt16(frames / a)
        self.seconds = UInt16(seconds / a)
    }

    /// The exact fraction equal to `fps` (as a Double) with the smallest denominator.
    /// - Throws: `TalkingHeadError.invalidInput` when `fps` is not finite, not positive, outside
    ///   1/65535...65535, or not such a fraction (e.g. 1/3 as a decimal: give 1/3).
    public init(_ fps: Double) throws {
        func refuse(_ why: String) -> TalkingHeadError {
            .invalidInput(source: "frame rate", field: nil, reason: "\(fps): \(why)")
        }
        guard fps.isFinite, fps > 0 else { throw refuse("must be a positive number; \(Self.rangeText)") }
        guard fps >= 1.0 / 65535, fps <= 65535 else { throw refuse(Self.rangeText) }
        for q in 1...65535 {
            let p = (fps * Double(q)).rounded()
            if p > 65535 { break }
            if p >= 1, p / Double(q) == fps {
                try self.init(frames: Int(p), seconds: q)
                return
            }
        }
        throw refuse("an animated PNG stores the frame delay as a fraction of two numbers up to 65535, "
                     + "and this rate is not one; give it as a fraction such as 30000/1001")
    }

    /// A rate written as a decimal (`25`, `29.97`) or a fraction (`30000/1001`).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let f = Int(parts[0].trimmingCharacters(in: .whitespaces)),
                  let s = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw TalkingHeadError.invalidInput(source: "frame rate", field: nil,
                    reason: "\"\(text.prefix(80))\" is not a fraction of two whole numbers")
            }
            try self.init(frames: f, seconds: s)
        } else {
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw TalkingHeadError.invalidInput(source: "frame rate", field: nil,
                    reason: "\"\(text.prefix(80))\" is not a number or a fraction such as 30000/1001")
            }
            try self.init(v)
        }
    }

    /// The accepted range, for messages.
    public static let rangeText = "must be in 1/65535...65535 frames per second"

    public var description: String {
        seconds == 1 ? "\(frames)" : "\(frames)/\(seconds)"
    }
}
