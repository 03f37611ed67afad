import Foundation
import TalkingHead

/// Lip sync from known phonemes (espeak-ng's events for `say`): our phoneme-to-mouth table,
/// closures exact, vowel shapes held at least `minimumHold`, consonants taking the next vowel's
/// shape (lips prepare it), openings eased over 30 ms except that closures always close.
public enum PhonemeLipSync {
    /// How open each vowel is drawn (THA3's shapes at 1 are the full vowel).
    static func openness(of v: VowelClass) -> Float {
        switch v {
        case .a: return 1
        case .e, .o: return 0.85
        case .i: return 0.8
        case .u: return 0.75
        }
    }

    /// The mouth every 10 ms (frame i at i / 100 s) for `phonemes` lasting `duration` seconds.
    public static func shapes100Hz(_ phonemes: [PhonemeEvent], duration: Double,
                                   settings: LipSyncSettings = .init()) -> [MouthShape] {
        let rate = AudioFeatures.frameRate
        let n = max(1, Int((duration * rate).rounded(.up)))
        var open = [Float](repeating: 0, count: n)
        var vowel = [Int](repeating: -1, count: n)
        var closed = [Bool](repeating: false, count: n)
        var consonantOpen = [Float?](repeating: nil, count: n)
        func frames(_ a: Double, _ b: Double) -> Range<Int> {
            let lo = max(0, Int((a * rate).rounded())), hi = min(n, Int((b * rate).rounded()))
            return lo..<max(lo, hi)
        }
        for (k, p) in phonemes.enumerated() {
            switch PhoneClass.classify(p.phoneme) {
            case .pause:
                for t in frames(p.start, p.end) { closed[t] = true }
            case .bilabial:
                // espeak-ng puts a stop's closure before its event: about 30 ms earlier.
                let isNasal = p.phoneme.hasPrefix("m")
                for t in frames(isNasal ? p.start : p.start - 0.03, isNasal ? p.end : min(p.end, p.start + 0.02)) { closed[t] = true }
            case .vowel(let v, let second):
                let split = second == nil ? p.end : p.start + 0.6 * (p.end - p.start)
                for t in frames(p.start, split) { vowel[t] = VowelClass.allCases.firstIndex(of: v)!; open[t] = openness(of: v) }
                if let s = second {
                    for t in frames(split, p.end) { vowel[t] = VowelClass.allCases.firstIndex(of: s)!; open[t] = openness(of: s) }
                }
            case .schwa:
                for t in frames(p.start, p.end) { open[t] = 0.45; vowel[t] = k > 0 ? -1 : 0 }
            case .consonant(let o):
                for t in frames(p.start, p.end) { consonantOpen[t] = o }
            }
        }
        // Consonants and schwas: the opening given, the shape of the next vowel.
        var nextVowel = vowel.last { $0 >= 0 } ?? 0
        for t in stride(from: n - 1, through: 0, by: -1) {
            if vowel[t] >= 0 { nextVowel = vowel[t] } else { vowel[t] = nextVowel }
            if let o = consonantOpen[t] { open[t] = o * openness(of: VowelClass.allCases[nextVowel]) }
            if closed[t] { open[t] = 0 }
        }
        // Ease openings over 30 ms; closures stay closed.
        var eased = open
        for t in 0..<n where !closed[t] {
            let a = t > 0 ? open[t - 1] : open[t], b = t + 1 < n ? open[t + 1] : open[t]
            eased[t] = 0.25 * a + 0.5 * open[t] + 0.25 * b
        }
        let probs = vowel.map { v -> [Float] in (0..<5).map { $0 == v ? 1 : 0 } }
        let hold = Int((settings.minimumHold * rate).rounded())
        let classes = LipSync.holdShapes(open: eased.map { max($0, 0) }, vowelP: probs, minimumHold: hold)
        return (0..<n).map { classes[$0].shape(openness: eased[$0]) }
    }

    /// The track at `frameRate` for speech lasting `duration` seconds.
    public static func track(_ phonemes: [PhonemeEvent], duration: Double, frameRate: Double = 25,
                             settings: LipSyncSettings = .init()) -> MouthTrack {
        let s = shapes100Hz(phonemes, duration: duration, settings: settings)
        let count = max(1, Int((duration * frameRate).rounded()))
        return MouthTrack(frameRate: frameRate, shapes: resampleShapes(s, from: AudioFeatures.frameRate, to: frameRate,
                                                                       count: count, closedThreshold: settings.closedThreshold))
    }
}
