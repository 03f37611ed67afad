import Foundation
import TalkingHead

/// The knobs of audio lip sync; the defaults are speaker-independent and were chosen on the
/// training part of the espeak-ng corpus (Benchmarks/lipsync), not on the evaluated part.
public struct LipSyncSettings: Sendable, Equatable {
    /// Loudness below the reference (the file's loud speech, or a running peak live) at which the
    /// mouth is closed, in dB.
    public var closedBelowReference: Float = 27
    /// Loudness below the reference at which the mouth is fully open, in dB.
    public var fullyOpenBelowReference: Float = 7
    /// How strongly a nasal (m) spectrum closes the lips: openness *= 1 - strength * P(m).
    public var nasalClosing: Float = 1
    /// The shortest time a vowel shape is held (seconds): no flicker.
    public var minimumHold: Double = 0.08
    /// Offline only: how far ahead of the sound the shape and the opening start (seconds).
    public var anticipation: Double = 0.02
    /// Openness under which a frame counts as closed (used when reducing to the video frame rate
    /// so that a closure shorter than a frame still shows).
    public var closedThreshold: Float = 0.12
    /// Live only: how fast the running loudness reference falls, dB per second.
    public var referenceDecay: Float = 3
    /// Live only: the reference before any speech has been heard, dB.
    public var initialReference: Float = -16

    public init() {}
}

/// Maps loudness (dB) to openness against a reference level.
@inline(__always)
func opennessFromLoudness(_ db: Float, reference: Float, settings: LipSyncSettings) -> Float {
    let lo = reference - settings.closedBelowReference, hi = reference - settings.fullyOpenBelowReference
    return min(1, max(0, (db - lo) / (hi - lo)))
}

/// Reduces 100 Hz shapes to `frameRate`: the shape nearest each frame's time, except that a
/// closure inside the frame's interval wins (a 40 ms "m" must show at 25 fps).
func resampleShapes(_ shapes: [MouthShape], from rate: Double, to frameRate: Double, count: Int? = nil,
                    closedThreshold: Float) -> [MouthShape] {
    guard !shapes.isEmpty else { return [] }
    let n = count ?? max(1, Int((Double(shapes.count) / rate * frameRate).rounded()))
    var out: [MouthShape] = []
    out.reserveCapacity(n)
    for j in 0..<n {
        let t = Double(j) / frameRate
        let centre = min(shapes.count - 1, Int((t * rate).rounded()))
        let lo = max(0, Int(((t - 0.5 / frameRate) * rate).rounded(.up)))
        let hi = min(shapes.count - 1, Int(((t + 0.5 / frameRate) * rate).rounded(.down)))
        var pick = shapes[centre]
        if lo <= hi, pick.openness >= closedThreshold {
            var minIdx = centre
            for k in lo...hi where shapes[k].openness < shapes[minIdx].openness { minIdx = k }
            if shapes[minIdx].openness < closedThreshold {
                pick = shapes[minIdx]
            }
        }
        out.append(pick)
    }
    return out
}
