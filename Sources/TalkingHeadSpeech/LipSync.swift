import Foundation
import TalkingHead

/// Lip sync from audio alone, offline: the whole clip is known, so the loudness reference is
/// the clip's own loud speech, decisions look both ways, and shapes lead the sound a little.
///
/// A trained frame classifier (`LipSyncModel`, a small time-delay network over the log-mel bands
/// of +-80 ms) decides per 10 ms frame whether the lips are open and which of a i u e o; how far
/// they open follows the loudness. The shape is held at least `minimumHold` and kept through
/// pauses; the opening is not smoothed (smoothing the opening loses the p/b/m closures). Without
/// a model (`model: nil`) the earlier method runs: MFCC templates (`VoiceProfile`) and loudness.
/// A calibrated profile multiplies its templates' vowel probabilities into the classifier's.
public struct LipSync: Sendable {
    public let profile: VoiceProfile
    public var settings: LipSyncSettings
    public let model: LipSyncModel?
    let scorer: Scorer

    public init(profile: VoiceProfile = .builtIn, settings: LipSyncSettings = .init(), model: LipSyncModel? = .builtIn) {
        self.profile = profile
        self.settings = settings
        self.model = model
        scorer = Scorer(profile)
    }

    /// The mouth track of `clip` at `frameRate`; as many frames as the audio lasts (rounded).
    public func track(for clip: AudioClip, frameRate: Double = 25) throws -> MouthTrack {
        guard frameRate > 0 && frameRate.isFinite && frameRate <= 1000 else {
            throw TalkingHeadError.invalidInput(source: "lipsync", field: "fps", reason: "\(frameRate) is not a frame rate in (0, 1000]")
        }
        let shapes = try analyse(clip)
        let count = max(1, Int((clip.duration * frameRate).rounded()))
        return MouthTrack(frameRate: frameRate,
                          shapes: resampleShapes(shapes, from: AudioFeatures.frameRate, to: frameRate, count: count,
                                                 closedThreshold: settings.closedThreshold))
    }

    /// The mouth every 10 ms (100 Hz), frame i at time i / 100 s.
    public func analyse(_ clip: AudioClip) throws -> [MouthShape] {
        guard clip.sampleRate > 0 else {
            throw TalkingHeadError.invalidInput(source: "audio", field: "sample rate", reason: "the sample rate is 0")
        }
        let x = try clip.resampled(to: AudioFeatures.sampleRate).samples
        let f = FeatureExtractor().features(of: x)
        return decide(f)
    }

    /// Per frame, loudness minus the loudest within +-5 frames (50 ms): a closure between two
    /// vowels is a dip even when its murmur is loud.
    static func dips(_ l: [Float]) -> [Float] {
        (0..<l.count).map { t in l[t] - l[max(0, t - 5)...min(l.count - 1, t + 5)].max()! }
    }

    /// Frames where P(open) dips: the lowest within +-20 ms, under 0.8, and 0.2 below the highest
    /// within +-50 ms (a short closure between two vowels). Chosen on the training part: closures
    /// hit 0.918 -> 0.959, balanced accuracy unchanged (0.921), vowels 0.810 -> 0.804.
    static func closureDips(_ p: [Float]) -> [Bool] {
        let n = p.count
        return (0..<n).map { t in
            guard p[t] < 0.8 else { return false }
            for k in max(0, t - 2)...min(n - 1, t + 2) where p[k] < p[t] { return false }
            return p[max(0, t - 5)...min(n - 1, t + 5)].max()! - p[t] >= 0.2
        }
    }

    /// Loudness reference of a clip: the 90th percentile of its frames above -60 dB.
    static func reference(_ loudness: [Float], fallback: Float) -> Float {
        let voiced = loudness.filter { $0 > -60 }.sorted()
        guard voiced.count >= 5 else { return fallback }
        return voiced[min(voiced.count - 1, Int(Double(voiced.count) * 0.9))]
    }

    /// One frame's openness and vowel probabilities (a, i, u, e, o); nil when it is closed by loudness.
    func frame(mfcc: [Float], loudness: Float, reference: Float, dip: Float) -> (Float, [Float])? {
        let o = opennessFromLoudness(loudness, reference: reference, settings: settings)
        guard o > 0 else { return nil }
        let p = scorer.probabilities(mfcc)
        let pc = scorer.closedProbability(mfcc, relativeLoudness: loudness - reference, dip: dip, classProbabilities: p)
        let s = p[0..<5].reduce(0, +)
        return (o * max(0, 1 - settings.nasalClosing * pc), s > 0 ? p[0..<5].map { $0 / s } : [0.2, 0.2, 0.2, 0.2, 0.2])
    }

    /// Openness of a frame the classifier calls open: at least 0.3, more when loud.
    func classifiedOpenness(_ pOpen: Float, threshold: Float, loudness: Float, reference: Float) -> Float {
        pOpen >= threshold ? 0.3 + 0.7 * opennessFromLoudness(loudness, reference: reference, settings: settings) : 0
    }

    /// The classifier's vowel probabilities, times the calibrated templates' when the profile is calibrated.
    func vowelProbabilities(_ p: [Float], mfcc: [Float]) -> [Float] {
        guard profile.mfccOffset != nil else { return p }
        let g = scorer.gaussian(mfcc)
        var q = (0..<5).map { p[$0] * g[$0] }
        let s = q.reduce(0, +)
        if s > 0 { q = q.map { $0 / s } } else { q = p }
        return q
    }

    func decide(_ f: AudioFeatures) -> [MouthShape] {
        let n = f.count
        guard n > 0 else { return [] }
        let ref = Self.reference(f.loudness, fallback: settings.initialReference)
        var open = [Float](repeating: 0, count: n)
        var vowelP = [[Float]](repeating: [0, 0, 0, 0, 0], count: n)
        if let m = model?.offline {
            let z = m.run((0..<n).map { FrameClassifier.input(logMel: f.logMel[$0], loudness: f.loudness[$0], reference: ref) })
            var pOpen = [Float](repeating: 0, count: n)
            for t in 0..<n {
                let (po, pv) = classifierProbabilities(z[(t * FrameClassifier.outputs)..<((t + 1) * FrameClassifier.outputs)])
                pOpen[t] = po
                vowelP[t] = vowelProbabilities(pv, mfcc: f.mfcc[t])
            }
            let closing = Self.closureDips(pOpen)
            for t in 0..<n {
                open[t] = closing[t] ? 0 : classifiedOpenness(pOpen[t], threshold: m.openThreshold, loudness: f.loudness[t], reference: ref)
            }
        } else {
            let dip = Self.dips(f.loudness)
            for t in 0..<n {
                if let r = frame(mfcc: f.mfcc[t], loudness: f.loudness[t], reference: ref, dip: dip[t]) { (open[t], vowelP[t]) = r }
            }
        }
        let classes = Self.holdShapes(open: open, vowelP: vowelP, minimumHold: Int((settings.minimumHold * AudioFeatures.frameRate).rounded()))
        // Anticipation: the shape leads the sound (the opening does not: leading it costs closures).
        let lead = Int((settings.anticipation * AudioFeatures.frameRate).rounded())
        var shapes = [MouthShape](repeating: .closed, count: n)
        for t in 0..<n { shapes[t] = classes[min(n - 1, t + lead)].shape(openness: open[t]) }
        return shapes
    }

    /// A vowel class per frame: openness-weighted probabilities smoothed over +-3 frames, runs
    /// shorter than `minimumHold` frames merged into a neighbour, silence keeping the last shape.
    static func holdShapes(open: [Float], vowelP: [[Float]], minimumHold: Int) -> [VowelClass] {
        let n = open.count
        var best = [Int](repeating: -1, count: n)
        for t in 0..<n {
            var acc = [Float](repeating: 0, count: 5)
            var w: Float = 0
            for k in max(0, t - 3)...min(n - 1, t + 3) where open[k] > 0 {
                for c in 0..<5 { acc[c] += open[k] * vowelP[k][c] }
                w += open[k]
            }
            if w > 0.05 { best[t] = acc.indices.max { acc[$0] < acc[$1] }! }
        }
        // Fill silence with the previous shape (the first shape backwards).
        var last = best.first { $0 >= 0 } ?? 0
        for t in 0..<n { if best[t] < 0 { best[t] = last } else { last = best[t] } }
        // Runs shorter than `minimumHold` go to the longer neighbour (one linear pass).
        var runs: [(c: Int, len: Int)] = []
        for t in 0..<n {
            if let l = runs.last, l.c == best[t] { runs[runs.count - 1].len += 1 } else { runs.append((best[t], 1)) }
        }
        var kept: [(c: Int, len: Int)] = []
        var carry = 0
        for (k, run) in runs.enumerated() {
            var r = run
            r.len += carry
            carry = 0
            if r.len < minimumHold {
                let prevLen = kept.last?.len ?? -1
                let nextLen = k + 1 < runs.count ? runs[k + 1].len : -1
                if prevLen >= 0 && prevLen >= nextLen { kept[kept.count - 1].len += r.len; continue }
                if nextLen >= 0 { carry = r.len; continue }
            }
            if let l = kept.last, l.c == r.c { kept[kept.count - 1].len += r.len } else { kept.append(r) }
        }
        var t = 0
        for r in kept { for _ in 0..<r.len { best[t] = r.c; t += 1 } }
        return best.map { VowelClass.allCases[$0] }
    }
}
