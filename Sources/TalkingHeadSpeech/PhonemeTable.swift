import Foundation
import TalkingHead

/// The five vowel shapes of THA3.
public enum VowelClass: String, CaseIterable, Codable, Sendable {
    case a, i, u, e, o

    /// The mouth with this vowel at `openness` (0...1).
    public func shape(openness: Float) -> MouthShape {
        switch self {
        case .a: return MouthShape(aaa: openness)
        case .i: return MouthShape(iii: openness)
        case .u: return MouthShape(uuu: openness)
        case .e: return MouthShape(eee: openness)
        case .o: return MouthShape(ooo: openness)
        }
    }
}

/// What a phoneme (an IPA name from espeak-ng) does to the mouth: our phoneme-to-mouth table.
public enum PhoneClass: Equatable, Sendable {
    /// Silence between words or clauses: closed.
    case pause
    /// p, b, m (and their variants): lips closed.
    case bilabial
    /// A vowel by its IPA quality; `second` is a diphthong's end (the split is 60/40).
    case vowel(VowelClass, second: VowelClass?)
    /// A central vowel (schwa and kin): a small, neutral opening; not scored in evaluation.
    case schwa
    /// Any other consonant, with how open the mouth is during it (0...1, of the next vowel).
    case consonant(openness: Float)

    private static let vowelLetters: [Character: VowelClass] = [
        "a": .a, "ä": .a, "æ": .a, "ɑ": .a, "ɐ": .a, "ʌ": .a, "ɶ": .a, "á": .a, "à": .a,
        "i": .i, "ɪ": .i, "y": .i, "ʏ": .i, "ɨ": .i, "í": .i,
        "u": .u, "ʊ": .u, "ɯ": .u, "ʉ": .u, "ú": .u,
        "e": .e, "ɛ": .e, "ø": .e, "œ": .e, "ɜ": .e, "ɘ": .e, "ɞ": .e, "é": .e, "è": .e,
        "o": .o, "ɔ": .o, "ɒ": .o, "ɤ": .o, "ó": .o, "ò": .o,
    ]
    private static let schwas: Set<Character> = ["ə", "ɚ", "ɵ", "ɝ", "ᵻ"]
    private static let bilabials: Set<Character> = ["p", "b", "m", "ɓ", "ʙ"]
    /// Consonants by how far the jaw opens: lips/teeth nearly closed for f v w ʃ s ..., more for h k g l r.
    private static let narrow: Set<Character> = ["f", "v", "w", "ʍ", "ʃ", "ʒ", "s", "z", "ɕ", "ʑ", "ɸ", "β", "ɱ", "θ", "ð", "t", "d", "ʧ", "ʤ", "n", "ɲ"]

    /// Classifies an espeak-ng IPA phoneme name (stress, length and tie marks ignored).
    public static func classify(_ ipa: String) -> PhoneClass {
        // Stress, length, tie and diacritic marks are dropped scalar by scalar (combining marks
        // are not Characters of their own).
        let marks: Set<Unicode.Scalar> = ["ˈ", "ˌ", "ː", "ˑ", "ᵝ", "ʲ", "ʰ", "ʷ", "'", ",", ":", "-", "#", "ʔ"]
        var kept = String.UnicodeScalarView()
        for u in ipa.unicodeScalars where !marks.contains(u) && !(0x300...0x36F).contains(u.value) { kept.append(u) }
        let letters = String(kept)
        guard let first = letters.first else { return .pause }
        if first == "_" || first == " " { return .pause }
        if bilabials.contains(first) { return .bilabial }
        if let v = vowelLetters[first] {
            let rest = letters.dropFirst().compactMap { vowelLetters[$0] }
            let second = rest.first(where: { $0 != v })
            return .vowel(v, second: second)
        }
        if schwas.contains(first) {
            // ə followed by a vowel letter (əʊ): the second part decides.
            if let v = letters.dropFirst().compactMap({ vowelLetters[$0] }).first { return .vowel(v, second: nil) }
            return .schwa
        }
        if first == "j" && letters.count > 1, let v = vowelLetters[letters[letters.index(after: letters.startIndex)]] {
            return .vowel(v, second: nil)   // Japanese/Chinese glides written with the vowel
        }
        if narrow.contains(first) { return .consonant(openness: 0.25) }
        return .consonant(openness: 0.45)
    }
}
