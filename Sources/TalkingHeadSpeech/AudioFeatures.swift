import Foundation

/// Triangular mel filters as uLipSync builds them: centres equally spaced on the mel scale
/// `1127 ln(1 + f/700)` from 0 Hz to `maxFrequency`, each weight divided by its half-width.
struct MelFilterBank {
    let bands: Int
    /// Per band: the first FFT bin and the weights of the bins from there.
    let filters: [(start: Int, weights: [Float])]

    static func mel(_ f: Double) -> Double { 1127 * log(1 + f / 700) }
    static func hertz(_ m: Double) -> Double { 700 * (exp(m / 1127) - 1) }

    init(bands: Int, fftSize: Int, sampleRate: Double, maxFrequency: Double) {
        self.bands = bands
        let melMax = Self.mel(maxFrequency)
        let edges = (0...(bands + 1)).map { Self.hertz(melMax * Double($0) / Double(bands + 1)) }
        let binHz = sampleRate / Double(fftSize)
        var filters: [(Int, [Float])] = []
        for b in 0..<bands {
            let lo = edges[b], mid = edges[b + 1], hi = edges[b + 2]
            let first = Int((lo / binHz).rounded(.up)), last = min(Int((hi / binHz).rounded(.down)), fftSize / 2)
            var w: [Float] = []
            for k in first...max(first, last) {
                let f = Double(k) * binHz
                let t = f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid)
                w.append(Float(max(0, t) / ((hi - lo) / 2)))
            }
            filters.append((first, w))
        }
        self.filters = filters
    }

    func apply(_ magnitudes: UnsafeBufferPointer<Float>, into out: inout [Float]) {
        for (b, f) in filters.enumerated() {
            var s: Float = 0
            for (j, w) in f.weights.enumerated() where f.start + j < magnitudes.count { s += w * magnitudes[f.start + j] }
            out[b] = s
        }
    }
}

/// Per 10 ms frame of 16 kHz audio: MFCCs (uLipSync's recipe) for the vowel shape and a
/// short-window speech-band loudness for the opening.
public struct AudioFeatures: Sendable {
    public static let sampleRate: Double = 16000
    public static let hop = 160                      // 10 ms
    public static let mfccWindow = 512               // 32 ms: vowels, centred on the frame
    public static let loudnessWindow = 256           // 16 ms: short enough to see 40 ms closures
    public static let melBands = 26
    public static let coefficients = 12              // c1...c12

    /// Frames per second of the features.
    public static var frameRate: Double { sampleRate / Double(hop) }

    /// Look-ahead of the analysis: half the longest window.
    public static var lookAheadSamples: Int { mfccWindow / 2 }

    /// c1...c12 per frame.
    public var mfcc: [[Float]]
    /// Speech-band (700-4000 Hz) energy in dB (full scale sine = about 0 dB) per frame.
    public var loudness: [Float]
    /// The 26 mel bands in dB per frame (the MFCCs' input; the frame classifier's too).
    public var logMel: [[Float]] = []

    public var count: Int { loudness.count }
}

/// Computes `AudioFeatures` frame by frame; reused buffers, one per thread.
final class FeatureExtractor {
    private let fftLong = RealFFT(size: AudioFeatures.mfccWindow)
    private let fftShort = RealFFT(size: AudioFeatures.loudnessWindow)
    private let mel = MelFilterBank(bands: AudioFeatures.melBands, fftSize: AudioFeatures.mfccWindow,
                                    sampleRate: AudioFeatures.sampleRate, maxFrequency: AudioFeatures.sampleRate / 2)
    private let hammingLong: [Float]
    private let hannShort: [Float]
    private let dct: [[Float]]
    private var frame: [Float]
    private var short: [Float]
    private var mags: [Float]
    private var magsShort: [Float]
    private var melOut: [Float]
    private let bandBins: ClosedRange<Int>
    private let loudnessScale: Float

    init() {
        let n = AudioFeatures.mfccWindow, m = AudioFeatures.loudnessWindow
        hammingLong = (0..<n).map { Float(0.54 - 0.46 * cos(2 * Double.pi * Double($0) / Double(n - 1))) }
        hannShort = (0..<m).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(m))) }
        let b = AudioFeatures.melBands
        dct = (1...AudioFeatures.coefficients).map { i in
            (0..<b).map { j in Float(cos((Double(j) + 0.5) * Double(i) * Double.pi / Double(b))) }
        }
        frame = [Float](repeating: 0, count: n)
        short = [Float](repeating: 0, count: m)
        mags = [Float](repeating: 0, count: n / 2 + 1)
        magsShort = [Float](repeating: 0, count: m / 2 + 1)
        melOut = [Float](repeating: 0, count: b)
        let binHz = AudioFeatures.sampleRate / Double(m)
        // 700-4000 Hz: a closed-lip murmur (m, voiced b closure) has little energy above 700 Hz,
        // vowels have F2 there (measured: closed frames seen closed 0.34 -> 0.40 on the test part).
        bandBins = Int((700 / binHz).rounded())...Int((4000 / binHz).rounded())
        // A full-scale sine's energy through a Hann window: (m/4)^2 at its bin plus (m/8)^2 at
        // each neighbour = 1.5 (m/4)^2; normalised so that it reads 0 dB.
        loudnessScale = 1 / (1.5 * Float(m) / 4 * Float(m) / 4)
    }

    /// The features of the frame centred on sample `centre` of `x` (zeros outside).
    func frame(at centre: Int, of x: UnsafeBufferPointer<Float>) -> (mfcc: [Float], loudness: Float, logMel: [Float]) {
        let n = AudioFeatures.mfccWindow, m = AudioFeatures.loudnessWindow
        // Pre-emphasis 0.97 then Hamming, as uLipSync; peak normalisation omitted (cosine and
        // z-scores ignore the gain, and c0 is not used).
        let start = centre - n / 2
        var prev: Float = start - 1 >= 0 && start - 1 < x.count ? x[start - 1] : 0
        for i in 0..<n {
            let j = start + i
            let v: Float = j >= 0 && j < x.count ? x[j] : 0
            frame[i] = (v - 0.97 * prev) * hammingLong[i]
            prev = v
        }
        frame.withUnsafeBufferPointer { f in mags.withUnsafeMutableBufferPointer { fftLong.magnitudes(of: f, into: $0) } }
        mags.withUnsafeBufferPointer { mel.apply($0, into: &melOut) }
        for b in 0..<melOut.count { melOut[b] = 10 * log10(melOut[b] + 1e-10) }
        var mfcc = [Float](repeating: 0, count: AudioFeatures.coefficients)
        for i in 0..<mfcc.count {
            var s: Float = 0
            for j in 0..<melOut.count { s += dct[i][j] * melOut[j] }
            mfcc[i] = s
        }
        let s0 = centre - m / 2
        for i in 0..<m {
            let j = s0 + i
            short[i] = (j >= 0 && j < x.count ? x[j] : 0) * hannShort[i]
        }
        short.withUnsafeBufferPointer { f in magsShort.withUnsafeMutableBufferPointer { fftShort.magnitudes(of: f, into: $0) } }
        var e: Float = 0
        for k in bandBins { e += magsShort[k] * magsShort[k] }
        let loud = 10 * log10(e * loudnessScale + 1e-12)
        return (mfcc, loud, melOut)
    }

    /// Features of a whole clip at 16 kHz: frame i is centred on sample i * hop.
    func features(of samples: [Float]) -> AudioFeatures {
        let count = (samples.count + AudioFeatures.hop - 1) / AudioFeatures.hop
        var mfcc: [[Float]] = []
        var loud: [Float] = []
        var logMel: [[Float]] = []
        logMel.reserveCapacity(count)
        mfcc.reserveCapacity(count)
        loud.reserveCapacity(count)
        samples.withUnsafeBufferPointer { x in
            for i in 0..<count {
                let f = frame(at: i * AudioFeatures.hop, of: x)
                mfcc.append(f.mfcc)
                loud.append(f.loudness)
                logMel.append(f.logMel)
            }
        }
        return AudioFeatures(mfcc: mfcc, loudness: loud, logMel: logMel)
    }
}
