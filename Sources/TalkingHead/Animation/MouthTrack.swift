import Foundation

/// One frame of mouth: the five vowel shapes of THA3 (each 0...1) and, where lip sync sets
/// them, the raised corners. All zero is a closed mouth.
public struct MouthShape: Sendable, Equatable, Codable {
    public var aaa: Float
    public var iii: Float
    public var uuu: Float
    public var eee: Float
    public var ooo: Float
    /// Raised mouth corners (both sides), 0...1; most lip sync leaves it 0.
    public var raisedCorners: Float

    public init(aaa: Float = 0, iii: Float = 0, uuu: Float = 0, eee: Float = 0, ooo: Float = 0, raisedCorners: Float = 0) {
        (self.aaa, self.iii, self.uuu, self.eee, self.ooo, self.raisedCorners) = (aaa, iii, uuu, eee, ooo, raisedCorners)
    }

    public static let closed = MouthShape()

    /// The pose parameters this shape sets, in the order of `PoseParameter`.
    public static let parameters: [PoseParameter] = [
        .mouthAaa, .mouthIii, .mouthUuu, .mouthEee, .mouthOoo, .mouthRaisedCornerLeft, .mouthRaisedCornerRight,
    ]

    /// How open the mouth is: the largest vowel weight.
    public var openness: Float { max(aaa, iii, uuu, eee, ooo) }

    /// Writes the shape into `params` (the vowels and both raised corners).
    public func apply(to params: inout PoseParameters) {
        params[.mouthAaa] = aaa
        params[.mouthIii] = iii
        params[.mouthUuu] = uuu
        params[.mouthEee] = eee
        params[.mouthOoo] = ooo
        params[.mouthRaisedCornerLeft] = raisedCorners
        params[.mouthRaisedCornerRight] = raisedCorners
    }

    /// The weighted mix `a * (1 - t) + b * t`.
    public static func mix(_ a: MouthShape, _ b: MouthShape, _ t: Float) -> MouthShape {
        func m(_ x: Float, _ y: Float) -> Float { x + (y - x) * t }
        return MouthShape(aaa: m(a.aaa, b.aaa), iii: m(a.iii, b.iii), uuu: m(a.uuu, b.uuu),
                          eee: m(a.eee, b.eee), ooo: m(a.ooo, b.ooo), raisedCorners: m(a.raisedCorners, b.raisedCorners))
    }
}

/// Mouth shapes at a fixed frame rate: what lip sync produces from audio or text and what the
/// `Animator` and renderers consume. Frame `i` covers the time `i / frameRate`.
public struct MouthTrack: Sendable, Equatable {
    public var frameRate: Double
    public var shapes: [MouthShape]

    public init(frameRate: Double, shapes: [MouthShape]) {
        precondition(frameRate > 0 && frameRate.isFinite, "frame rate must be positive")
        self.frameRate = frameRate
        self.shapes = shapes
    }

    /// Seconds the track lasts.
    public var duration: Double { Double(shapes.count) / frameRate }

    /// The shape at `time` seconds from the track's start, interpolated between frames;
    /// closed before the start and after the end.
    public func shape(at time: Double) -> MouthShape {
        guard !shapes.isEmpty, time >= 0, time < duration else { return .closed }
        let x = time * frameRate
        let i = min(Int(x), shapes.count - 1)
        let j = min(i + 1, shapes.count - 1)
        return MouthShape.mix(shapes[i], shapes[j], Float(x - Double(i)))
    }
}
