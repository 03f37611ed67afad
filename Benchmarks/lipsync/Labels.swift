import Foundation
import TalkingHeadSpeech

/// Ground truth on the 10 ms grid from espeak-ng's phoneme events.
enum Label: Equatable {
    case closed
    case open(VowelClass?)   // nil: schwa (open, class not scored)
    case unscored            // other consonants
}

func groundTruth(_ phonemes: [PhonemeEvent], duration: Double) -> [Label] {
    let n = Int((duration * 100).rounded(.up))
    var labels = [Label](repeating: .closed, count: n)   // before the first / after the last phoneme: silence
    func frames(_ a: Double, _ b: Double) -> Range<Int> {
        let lo = max(0, Int((a * 100).rounded())), hi = min(n, Int((b * 100).rounded()))
        return lo..<max(lo, hi)
    }
    for p in phonemes {
        switch PhoneClass.classify(p.phoneme) {
        case .pause: for t in frames(p.start, p.end) { labels[t] = .closed }
        case .bilabial: for t in frames(p.start, p.end) { labels[t] = .unscored }
        case .vowel(let v, let second):
            let split = second == nil ? p.end : p.start + 0.6 * (p.end - p.start)
            for t in frames(p.start, split) { labels[t] = .open(v) }
            if let s = second { for t in frames(split, p.end) { labels[t] = .open(s) } }
        case .schwa: for t in frames(p.start, p.end) { labels[t] = .open(nil) }
        case .consonant: for t in frames(p.start, p.end) { labels[t] = .unscored }
        }
    }
    // Lips closed: all of an m; a p or b from 30 ms before its event (espeak-ng's closure) to 10 ms in.
    for p in phonemes where PhoneClass.classify(p.phoneme) == .bilabial {
        let nasal = p.phoneme.hasPrefix("m")
        for t in frames(nasal ? p.start : p.start - 0.03, nasal ? p.end : p.start + 0.01) { labels[t] = .closed }
    }
    return labels
}

/// The frames labelled with a vowel class, for template training.
func vowelFrames(_ labels: [Label]) -> [(Int, VowelClass)] {
    labels.enumerated().compactMap { t, l in if case .open(let v?) = l { return (t, v) } else { return nil } }
}
