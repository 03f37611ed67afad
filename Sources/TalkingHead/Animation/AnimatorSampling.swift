/// The blink time line: blink k starts `uniform(interval)` seconds after blink k-1 and lasts
/// `duration`. Sampled so that every blink is shown closed in at least one frame, however far
/// apart the frames are: a blink whose closed moment fell between two frames closes the eyes
/// in the second one.
struct BlinkTrack {
    private var random: SplitMix64
    /// Start of the current (or next) blink.
    private var begin = Double.infinity
    /// Whether the blink at `begin` has been shown closed.
    private var shown = false

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func start(at t: Double, interval: ClosedRange<Double>) {
        begin = t + random.uniform(interval.lowerBound, interval.upperBound)
        shown = false
    }

    /// How closed the eyes are (0 open, 1 closed) in a frame at `t`, the previous frame being at
    /// `last`. With `shown` false (a face capture drives the eyes) blinks pass unseen.
    mutating func closure(from last: Double, to t: Double, duration: Double,
                          interval: ClosedRange<Double>, shown visible: Bool) -> Float {
        var latched = false
        var closure: Float = 0
        var inBlink = false
        while begin <= t {
            if duration > 0, t < begin + duration {
                inBlink = true
                closure = Self.curve((t - begin) / duration)
                if !shown && t >= begin + Self.closedFrom * duration { latched = true }
                break
            }
            if !shown && duration > 0 { latched = true }
            begin += random.uniform(interval.lowerBound, interval.upperBound)
            shown = false
        }
        guard visible else {
            if inBlink { shown = true }
            return 0
        }
        if latched { closure = 1 }
        if inBlink && closure >= 0.999 { shown = true }
        return closure
    }

    /// The eyes close over the first 40% of a blink, stay closed to 55% and reopen.
    static let closedFrom = 0.4
    static let closedUntil = 0.55

    static func curve(_ u: Double) -> Float {
        func smooth(_ x: Double) -> Double { let x = min(max(x, 0), 1); return x * x * (3 - 2 * x) }
        if u < closedFrom { return Float(smooth(u / closedFrom)) }
        if u < closedUntil { return 1 }
        return Float(1 - smooth((u - closedUntil) / (1 - closedUntil)))
    }
}

/// Samples a mouth time line (key frames and the shape between them) so that it opens and
/// closes in the returned frames even when frames are further apart than its key frames: a
/// frame shows the opposite of the last extreme shown whenever the time line passed through
/// it since the previous frame.
struct MouthSampler {
    private enum Extreme { case open, closed }
    private var lastExtreme: Extreme?

    static let openFrom: Float = 0.25
    static let closedBelow: Float = 0.1

    mutating func reset() { lastExtreme = nil }

    mutating func sample(from a: Double, to b: Double,
                         keys: (Double, Double) -> [MouthShape],
                         at shape: (Double) -> MouthShape) -> MouthShape {
        var result = shape(b)
        let wanted: Extreme = lastExtreme == .closed ? .open : .closed
        if Self.extreme(result) != wanted, a < b {
            let between = keys(a, b)
            if wanted == .open, let key = between.max(by: { $0.openness < $1.openness }), key.openness >= Self.openFrom {
                result = key
            } else if wanted == .closed, let key = between.min(by: { $0.openness < $1.openness }), key.openness < Self.closedBelow {
                result = key
            }
        }
        if let e = Self.extreme(result) { lastExtreme = e }
        return result
    }

    private static func extreme(_ s: MouthShape) -> Extreme? {
        if s.openness >= openFrom { return .open }
        if s.openness < closedBelow { return .closed }
        return nil
    }
}
