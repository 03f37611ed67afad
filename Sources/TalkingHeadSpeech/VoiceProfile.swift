import Foundation
import TalkingHead

/// MFCC templates of the mouth classes (the five vowels and a closed-lip nasal `m`): a mean
/// per class and one pooled per-coefficient variance. The built-in profile was pooled over many
/// espeak-ng voices (see Benchmarks/lipsync); `calibrated` replaces the vowel means with a
/// speaker's own recordings.
public struct VoiceProfile: Codable, Sendable, Equatable {
    public static let classNames = ["a", "i", "u", "e", "o", "m"]

    /// Format version of the JSON.
    public var version: Int = 1
    /// Where the templates come from (free text).
    public var source: String
    /// Mean c1...c12 per class, in `classNames` order.
    public var means: [String: [Float]]
    /// Pooled within-class variance per coefficient.
    public var variance: [Float]
    /// Logistic regression of "lips closed" (an m) against open vowels: weights of the 12
    /// standardised MFCCs, of (loudness - reference) / 10 dB, of the dip below the loudest frame
    /// within +-50 ms / 10 dB, and a bias. nil: the Gaussian
    /// probability of the `m` template is used instead.
    public var closure: [Float]?
    /// Softmax regression of the five vowels (a, i, u, e, o) on the standardised MFCCs, their
    /// squares and a bias (5 x 25 weights), trained over many voices: the speaker-independent
    /// classifier. nil (as in calibrated profiles): the nearest template (Gaussian) decides.
    public var vowelWeights: [Float]?
    /// Calibrated profiles: how far the speaker's vowel MFCCs sit from the pooled voices' (the
    /// mean over the five vowels); subtracted before the vowel regression.
    public var mfccOffset: [Float]?

    public init(source: String, means: [String: [Float]], variance: [Float]) {
        (self.source, self.means, self.variance) = (source, means, variance)
    }

    /// The profile shipped with the library (speaker-independent).
    public static let builtIn: VoiceProfile = {
        guard let url = Bundle.module.url(forResource: "vowel_templates", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let p = try? VoiceProfile(json: data, source: "vowel_templates.json") else {
            fatalError("TalkingHeadSpeech: the built-in vowel_templates.json resource is missing or invalid")
        }
        return p
    }()

    /// Reads a profile (as `jsonData()` writes it); errors name `source` and the key.
    public init(json: Data, source: String) throws {
        let p: VoiceProfile
        do { p = try JSONDecoder().decode(VoiceProfile.self, from: json) } catch {
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "not a voice profile (\(error))")
        }
        let n = AudioFeatures.coefficients
        guard p.variance.count == n, p.variance.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw TalkingHeadError.invalidInput(source: source, field: "variance", reason: "needs \(n) positive numbers")
        }
        for name in Self.classNames {
            guard let m = p.means[name] else {
                throw TalkingHeadError.invalidInput(source: source, field: "means.\(name)", reason: "missing")
            }
            guard m.count == n, m.allSatisfy(\.isFinite) else {
                throw TalkingHeadError.invalidInput(source: source, field: "means.\(name)", reason: "needs \(n) finite numbers")
            }
        }
        if let w = p.vowelWeights, w.count != 5 * (2 * n + 1) || !w.allSatisfy(\.isFinite) {
            throw TalkingHeadError.invalidInput(source: source, field: "vowelWeights", reason: "needs \(5 * (2 * n + 1)) finite numbers")
        }
        if let w = p.closure, w.count != n + 3 || !w.allSatisfy(\.isFinite) {
            throw TalkingHeadError.invalidInput(source: source, field: "closure", reason: "needs \(n + 3) finite numbers")
        }
        self = p
    }

    /// The features of the closure regression: standardised MFCCs, relative loudness, 1.
    func closureFeatures(_ mfcc: [Float], relativeLoudness: Float, dip: Float) -> [Float] {
        var x = [Float](repeating: 1, count: mfcc.count + 3)
        for c in 0..<mfcc.count { x[c] = mfcc[c] / variance[c].squareRoot() }
        x[mfcc.count] = relativeLoudness / 10
        x[mfcc.count + 1] = dip / 10
        return x
    }


    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try enc.encode(self)
    }

    /// A profile whose vowel templates are the mean MFCCs of the voiced frames of five
    /// recordings (a, i, u, e, o: a sustained vowel each); the nasal template and the variance
    /// stay those of `base`. Frames within 12 dB of each file's loudest are used.
    public static func calibrated(vowels: [VowelClass: AudioClip], base: VoiceProfile = .builtIn,
                                  sources: [VowelClass: String] = [:]) throws -> VoiceProfile {
        var p = base
        p.source = "calibrated from " + VowelClass.allCases.map { sources[$0] ?? $0.rawValue }.joined(separator: ", ")
        for v in VowelClass.allCases {
            let name = sources[v] ?? v.rawValue
            guard let clip = vowels[v] else {
                throw TalkingHeadError.invalidInput(source: "calibration", field: v.rawValue, reason: "no recording of the vowel")
            }
            let f = FeatureExtractor().features(of: try clip.resampled(to: AudioFeatures.sampleRate).samples)
            guard let peak = f.loudness.max(), peak > -50 else {
                throw TalkingHeadError.invalidInput(source: name, field: nil, reason: "the recording is silent")
            }
            let frames = (0..<f.count).filter { f.loudness[$0] > peak - 12 }
            guard frames.count >= 10 else {
                throw TalkingHeadError.invalidInput(source: name, field: nil, reason: "too short: at least 0.1 s of the vowel is needed")
            }
            var mean = [Float](repeating: 0, count: AudioFeatures.coefficients)
            for i in frames { for c in 0..<mean.count { mean[c] += f.mfcc[i][c] } }
            p.means[v.rawValue] = mean.map { $0 / Float(frames.count) }
        }
        // The regression stays (it generalises over voices); the speaker's offset moves its input.
        var offset = [Float](repeating: 0, count: AudioFeatures.coefficients)
        for v in VowelClass.allCases {
            for c in 0..<offset.count { offset[c] += (p.means[v.rawValue]![c] - base.means[v.rawValue]![c]) / 5 }
        }
        p.mfccOffset = offset
        return p
    }

    /// Class log-likelihoods (diagonal Gaussian, shared variance) turned into probabilities.
    func probabilities(_ mfcc: [Float], temperature: Float = 1) -> [Float] {
        Scorer(self).probabilities(mfcc, temperature: temperature)
    }
}

/// The profile flattened for the per-frame loop (no dictionary look-ups, no allocation but the result).
struct Scorer {
    let means: [Float]        // class-major, classNames order
    let inverseVariance: [Float]
    let closure: [Float]?
    let vowelWeights: [Float]?
    let offset: [Float]
    let scale: [Float]        // 1 / sqrt(variance), for the closure features
    let classes = VoiceProfile.classNames.count
    let n = AudioFeatures.coefficients

    init(_ p: VoiceProfile) {
        means = VoiceProfile.classNames.flatMap { p.means[$0]! }
        inverseVariance = p.variance.map { 1 / $0 }
        scale = p.variance.map { 1 / $0.squareRoot() }
        closure = p.closure
        vowelWeights = p.vowelWeights
        offset = p.mfccOffset ?? [Float](repeating: 0, count: AudioFeatures.coefficients)
    }

    /// The inputs of the vowel regression: standardised MFCCs, their squares, 1.
    func vowelFeatures(_ mfcc: [Float]) -> [Float] {
        var x = [Float](repeating: 1, count: 2 * n + 1)
        for c in 0..<n { let z = (mfcc[c] - offset[c]) * scale[c]; x[c] = z; x[n + c] = z * z / 10 }
        return x
    }

    func probabilities(_ mfcc: [Float], temperature: Float = 1) -> [Float] {
        var p = gaussian(mfcc, temperature: temperature)
        guard let w = vowelWeights else { return p }
        // The regression decides among the vowels; the Gaussian keeps the share of `m`.
        let x = vowelFeatures(mfcc)
        let m = 2 * n + 1
        var z = [Float](repeating: 0, count: 5)
        for k in 0..<5 { var s: Float = 0; for j in 0..<m { s += w[k * m + j] * x[j] }; z[k] = s }
        let mx = z.max()!
        var sum: Float = 0
        for k in 0..<5 { z[k] = exp(z[k] - mx); sum += z[k] }
        for k in 0..<5 { p[k] = (1 - p[5]) * z[k] / sum }
        return p
    }

    func gaussian(_ mfcc: [Float], temperature: Float = 1) -> [Float] {
        var ll = [Float](repeating: 0, count: classes)
        var mx = -Float.infinity
        for k in 0..<classes {
            var d: Float = 0
            for c in 0..<n { let x = mfcc[c] - means[k * n + c]; d += x * x * inverseVariance[c] }
            ll[k] = -0.5 * d / temperature
            mx = max(mx, ll[k])
        }
        var s: Float = 0
        for k in 0..<classes { ll[k] = exp(ll[k] - mx); s += ll[k] }
        for k in 0..<classes { ll[k] /= s }
        return ll
    }

    /// Probability that the lips are closed (a nasal m) given a voiced frame.
    func closedProbability(_ mfcc: [Float], relativeLoudness: Float, dip: Float, classProbabilities p: [Float]) -> Float {
        guard let w = closure else { return p[5] }
        var z = w[n] * relativeLoudness / 10 + w[n + 1] * dip / 10 + w[n + 2]
        for c in 0..<n { z += w[c] * mfcc[c] * scale[c] }
        return 1 / (1 + exp(-z))
    }
}
