import Foundation
import XCTest
@testable import TalkingHeadSpeech

/// The audio features against naive twins: a naive DFT for FFTW, naive mel filters written
/// from the formula, and the resampler against a sine's known frequency.
final class AudioFeatureTests: XCTestCase {
    func testFFTMagnitudesMatchNaiveDFT() {
        var rng = SystemRandomNumberGenerator()
        for n in [16, 256, 512] {
            let x = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            var mags = [Float](repeating: 0, count: n / 2 + 1)
            let fft = RealFFT(size: n)
            x.withUnsafeBufferPointer { xb in mags.withUnsafeMutableBufferPointer { fft.magnitudes(of: xb, into: $0) } }
            for k in 0...(n / 2) {
                var re = 0.0, im = 0.0
                for t in 0..<n {
                    let a = -2 * Double.pi * Double(k * t) / Double(n)
                    re += Double(x[t]) * cos(a); im += Double(x[t]) * sin(a)
                }
                XCTAssertEqual(Double(mags[k]), (re * re + im * im).squareRoot(), accuracy: 1e-3 * Double(n).squareRoot(), "n \(n) bin \(k)")
            }
        }
    }

    func testMelFilterBankMatchesNaiveTriangles() {
        let bank = MelFilterBank(bands: 26, fftSize: 512, sampleRate: 16000, maxFrequency: 8000)
        // Naive: for every bin, every band, the triangle's value straight from the formula.
        func mel(_ f: Double) -> Double { 1127 * log(1 + f / 700) }
        let melMax = mel(8000)
        func centre(_ b: Int) -> Double { 700 * (exp(melMax * Double(b) / 27 / 1127) - 1) }
        var rng = SystemRandomNumberGenerator()
        let mags = (0...256).map { _ in Float.random(in: 0...1, using: &rng) }
        var out = [Float](repeating: 0, count: 26)
        mags.withUnsafeBufferPointer { bank.apply($0, into: &out) }
        for b in 0..<26 {
            let lo = centre(b), mid = centre(b + 1), hi = centre(b + 2)
            var s = 0.0
            for k in 0...256 {
                let f = Double(k) * 16000 / 512
                var w = 0.0
                if f >= lo && f <= mid { w = (f - lo) / (mid - lo) } else if f > mid && f <= hi { w = (hi - f) / (hi - mid) }
                s += w / ((hi - lo) / 2) * Double(mags[k])
            }
            XCTAssertEqual(Double(out[b]), s, accuracy: 1e-4 * max(1, abs(s)), "band \(b)")
        }
    }

    func testMFCCMatchesNaivePipeline() {
        // A vowel-like signal: three harmonics; MFCC from the extractor vs a naive DFT + DCT.
        let sr = 16000.0
        let x = (0..<4000).map { t -> Float in
            let tt = Double(t) / sr
            return Float(0.5 * sin(2 * .pi * 200 * tt) + 0.3 * sin(2 * .pi * 700 * tt) + 0.2 * sin(2 * .pi * 1200 * tt))
        }
        let centre = 2000
        let got = x.withUnsafeBufferPointer { FeatureExtractor().frame(at: centre, of: $0) }
        let n = 512
        var frame = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let j = centre - n / 2 + i
            let pre = Double(x[j]) - 0.97 * Double(x[j - 1])
            frame[i] = pre * (0.54 - 0.46 * cos(2 * Double.pi * Double(i) / Double(n - 1)))
        }
        var mags = [Float](repeating: 0, count: n / 2 + 1)
        for k in 0...(n / 2) {
            var re = 0.0, im = 0.0
            for t in 0..<n { let a = -2 * Double.pi * Double(k * t) / Double(n); re += frame[t] * cos(a); im += frame[t] * sin(a) }
            mags[k] = Float((re * re + im * im).squareRoot())
        }
        var melOut = [Float](repeating: 0, count: 26)
        mags.withUnsafeBufferPointer { MelFilterBank(bands: 26, fftSize: n, sampleRate: sr, maxFrequency: 8000).apply($0, into: &melOut) }
        let logMel = melOut.map { 10 * log10(Double($0) + 1e-10) }
        for i in 1...12 {
            var s = 0.0
            for j in 0..<26 { s += logMel[j] * cos((Double(j) + 0.5) * Double(i) * Double.pi / 26) }
            XCTAssertEqual(Double(got.mfcc[i - 1]), s, accuracy: 0.02 * max(1, abs(s)), "c\(i)")
        }
    }

    func testLoudnessOfFullScaleSineIsAboutZeroDB() {
        let x = (0..<8000).map { Float(sin(2 * Double.pi * 1000 * Double($0) / 16000)) }
        let f = FeatureExtractor().features(of: x)
        XCTAssertEqual(Double(f.loudness[25]), 0, accuracy: 1.5)
        let quiet = x.map { $0 * 0.01 }
        XCTAssertEqual(Double(FeatureExtractor().features(of: quiet).loudness[25]), -40, accuracy: 1.5)
    }

    func testResamplerKeepsASinesFrequency() throws {
        // 440 Hz at 44.1 kHz to 16 kHz: the zero crossings per second must still say 440 Hz.
        let clip = AudioClip(sampleRate: 44100, samples: (0..<44100).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / 44100)) })
        let r = try clip.resampled(to: 16000)
        XCTAssertEqual(r.samples.count, 16000, accuracy: 2)
        var crossings = 0
        for i in 1000..<15000 where (r.samples[i - 1] < 0) != (r.samples[i] < 0) { crossings += 1 }
        XCTAssertEqual(Double(crossings) / 2 / (14000.0 / 16000), 440, accuracy: 2)
        // and the amplitude stays (a low-pass resampler, no aliasing loss at 440 Hz)
        XCTAssertEqual(Double(r.samples[2000..<14000].max()!), 0.5, accuracy: 0.01)
    }
}
