import Foundation
import TalkingHead
import XCTest
@testable import TalkingHeadSpeech

/// Lip sync on espeak-ng speech (deterministic), the live stream against the offline form, the
/// phoneme table, voice profiles and the synthesiser's errors.
final class LipSyncTests: XCTestCase {
    private func vowelOf(_ s: MouthShape) -> VowelClass? {
        let w = [s.aaa, s.iii, s.uuu, s.eee, s.ooo]
        guard let m = w.max(), m > 0.12 else { return nil }
        return VowelClass.allCases[w.firstIndex(of: m)!]
    }

    func testJapaneseVowelsAreRecognisedAndSilenceIsClosed() throws {
        let (speech, events) = try SpeechSynthesizer.synthesize("あ、い、う、え、お", voice: "ja+f2", wordsPerMinute: 120)
        // espeak-ng starts speaking at once: 0.3 s of silence first, the events moved with it
        let audio = AudioClip(sampleRate: speech.sampleRate, samples: [Float](repeating: 0, count: Int(0.3 * speech.sampleRate)) + speech.samples)
        let phonemes = events.map { PhonemeEvent(phoneme: $0.phoneme, start: $0.start + 0.3, end: $0.end + 0.3) }
        let shapes = try LipSync().analyse(audio)
        for t in 0..<25 { XCTAssertLessThan(shapes[t].openness, 0.05, "closed before the speech (\(t * 10) ms)") }
        var right = 0, total = 0
        for p in phonemes {
            guard case .vowel(let v, nil) = PhoneClass.classify(p.phoneme) else { continue }
            // the middle half of the vowel
            let a = Int((p.start * 100).rounded()) + Int((p.end - p.start) * 25), b = Int((p.end * 100).rounded()) - Int((p.end - p.start) * 25)
            let seen = (a..<max(a + 1, b)).compactMap { vowelOf(shapes[min($0, shapes.count - 1)]) }
            let majority = VowelClass.allCases.max { c1, c2 in seen.filter { $0 == c1 }.count < seen.filter { $0 == c2 }.count }
            total += 1
            if majority == v { right += 1 }
        }
        XCTAssertEqual(total, 5)
        XCTAssertGreaterThanOrEqual(right, 4, "vowels recognised: \(right) of \(total)")
        // the pauses between the vowels close the mouth
        let pauses = phonemes.filter { PhoneClass.classify($0.phoneme) == .pause && $0.end - $0.start > 0.08 && $0.start > 0.1 }
        XCTAssertFalse(pauses.isEmpty)
        for p in pauses {
            let mid = Int(((p.start + p.end) / 2 * 100).rounded())
            if mid < shapes.count { XCTAssertLessThan(shapes[mid].openness, 0.12, "pause at \(p.start) s") }
        }
    }

    func testTrackHasOneFramePerFrameOfAudioAndIsReadableAsPoseCSV() throws {
        let (audio, _) = try SpeechSynthesizer.synthesize("Hello there, my friend.", voice: "en-us")
        let track = try LipSync().track(for: audio, frameRate: 25)
        XCTAssertEqual(track.shapes.count, Int((audio.duration * 25).rounded()))
        let seq = try PoseSequence(csv: track.poseCSV(), path: "mouth.csv")
        XCTAssertEqual(seq.poses.count, track.shapes.count)
        for (p, s) in zip(seq.poses, track.shapes) { XCTAssertEqual(p[.mouthAaa], s.aaa, accuracy: 0.001) }
        XCTAssertThrowsError(try LipSync().track(for: audio, frameRate: 0))
    }

    func testStreamDoesNotDependOnChunkingAndAgreesWithOffline() throws {
        let (audio, _) = try SpeechSynthesizer.synthesize("Maybe we should meet again before the movie.", voice: "en-us+m2")
        func run(_ chunk: (Int) -> Int) throws -> [MouthShape] {
            let s = try LipSyncStream(sampleRate: audio.sampleRate, frameRate: 25)
            var out: [MouthShape] = []
            var i = 0, k = 0
            while i < audio.samples.count {
                let n = min(chunk(k), audio.samples.count - i)
                out += s.push(Array(audio.samples[i..<(i + n)]))
                i += n; k += 1
            }
            return out + s.finish()
        }
        let a = try run { _ in 441 }
        let b = try run { k in [1, 7000, 333, 2048, 5][k % 5] }
        XCTAssertEqual(a, b, "the frames must not depend on how the audio is cut")
        let offline = try LipSync().track(for: audio, frameRate: 25).shapes
        XCTAssertEqual(a.count, offline.count)
        let agree = zip(a, offline).filter { ($0.openness >= 0.12) == ($1.openness >= 0.12) }.count
        // Two networks (live sees 20 ms ahead, offline 80 ms; each scored against the truth in
        // Benchmarks/RESULTS.md) disagree on some frames: measured 0.77 here at 25 fps.
        XCTAssertGreaterThan(Double(agree) / Double(offline.count), 0.7, "open/closed agreement of live and offline")
        let stream = try LipSyncStream(sampleRate: 22050, frameRate: 25)
        XCTAssertLessThanOrEqual(stream.lookAhead, 0.05)
        XCTAssertThrowsError(try LipSyncStream(sampleRate: 0))
    }

    func testStreamReturnsFramesAsSoonAsTheirLookAheadArrived() throws {
        // 1 s of audio: frames whose time + look-ahead <= 1 s are out (the resampler's delay
        // at other rates included in `lookAhead`)
        for rate in [16000.0, 22050, 48000] {
            let s = try LipSyncStream(sampleRate: rate, frameRate: 25)
            let got = s.push([Float](repeating: 0.01, count: Int(rate))).count
            let expected = Int(((1.0 - s.lookAhead) * 25).rounded(.down)) + 1
            XCTAssertEqual(Double(got), Double(expected), accuracy: 1, "\(rate) Hz")
            XCTAssertEqual(got + s.finish().count, 25, "\(rate) Hz")
        }
    }

    func testPhonemeTable() {
        XCTAssertEqual(PhoneClass.classify("ä"), .vowel(.a, second: nil))
        XCTAssertEqual(PhoneClass.classify("ɯᵝ"), .vowel(.u, second: nil))
        XCTAssertEqual(PhoneClass.classify("e̞"), .vowel(.e, second: nil))
        XCTAssertEqual(PhoneClass.classify("o̞ː"), .vowel(.o, second: nil))
        XCTAssertEqual(PhoneClass.classify("ˈaɪ"), .vowel(.a, second: .i))
        XCTAssertEqual(PhoneClass.classify("oʊ"), .vowel(.o, second: .u))
        XCTAssertEqual(PhoneClass.classify("m"), .bilabial)
        XCTAssertEqual(PhoneClass.classify("b"), .bilabial)
        XCTAssertEqual(PhoneClass.classify("ə"), .schwa)
        XCTAssertEqual(PhoneClass.classify("_:"), .pause)
        XCTAssertEqual(PhoneClass.classify(""), .pause)
        if case .consonant = PhoneClass.classify("k") {} else { XCTFail("k is a consonant") }
    }

    func testPhonemeTrackClosesOnMAndOpensOnVowels() throws {
        let (audio, phonemes) = try SpeechSynthesizer.synthesize("mama", voice: "es")
        let shapes = PhonemeLipSync.shapes100Hz(phonemes, duration: audio.duration)
        for p in phonemes {
            let mid = min(shapes.count - 1, Int(((p.start + p.end) / 2 * 100).rounded()))
            switch PhoneClass.classify(p.phoneme) {
            case .bilabial: XCTAssertEqual(shapes[mid].openness, 0, "m at \(p.start)")
            case .vowel(.a, _): XCTAssertGreaterThan(shapes[mid].aaa, 0.5, "a at \(p.start)")
            default: break
            }
        }
        XCTAssertEqual(PhonemeLipSync.track(phonemes, duration: audio.duration, frameRate: 30).shapes.count,
                       Int((audio.duration * 30).rounded()))
    }

    func testSynthesiserErrorsAndEvents() throws {
        XCTAssertThrowsError(try SpeechSynthesizer.synthesize("   ")) { e in
            XCTAssertTrue("\(e)".contains("empty"), "\(e)")
        }
        XCTAssertThrowsError(try SpeechSynthesizer.synthesize("hi", voice: "xx-nope")) { e in
            XCTAssertTrue("\(e)".contains("--list-voices"), "\(e)")
        }
        let (audio, ph) = try SpeechSynthesizer.synthesize("こんにちは", voice: "ja")
        XCTAssertGreaterThan(audio.duration, 0.3)
        XCTAssertFalse(ph.isEmpty)
        for (a, b) in zip(ph, ph.dropFirst()) { XCTAssertLessThanOrEqual(a.start, b.start) }
        XCTAssertLessThanOrEqual(ph.last!.end, audio.duration + 1e-6)
        let voices = try SpeechSynthesizer.voices()
        XCTAssertTrue(voices.languages.contains { $0.identifier == "ja" })
        XCTAssertTrue(voices.variants.contains("f2"))
    }

    func testVoiceProfileJSONErrorsNameTheKeyAndCalibrationReplacesVowels() throws {
        let good = try VoiceProfile.builtIn.jsonData()
        XCTAssertEqual(try VoiceProfile(json: good, source: "p.json"), VoiceProfile.builtIn)
        var obj = try JSONSerialization.jsonObject(with: good) as! [String: Any]
        var means = obj["means"] as! [String: Any]
        means.removeValue(forKey: "o")
        obj["means"] = means
        XCTAssertThrowsError(try VoiceProfile(json: JSONSerialization.data(withJSONObject: obj), source: "p.json")) { e in
            XCTAssertTrue("\(e)".contains("p.json") && "\(e)".contains("means.o"), "\(e)")
        }
        var clips: [VowelClass: AudioClip] = [:]
        for (v, text) in zip(VowelClass.allCases, ["あーー", "いーー", "うーー", "えーー", "おーー"]) {
            clips[v] = try SpeechSynthesizer.synthesize(text, voice: "ja", wordsPerMinute: 90).audio
        }
        let p = try VoiceProfile.calibrated(vowels: clips)
        XCTAssertNotEqual(p.means["a"], VoiceProfile.builtIn.means["a"])
        XCTAssertEqual(p.means["m"], VoiceProfile.builtIn.means["m"])
        let silent = AudioClip(sampleRate: 16000, samples: [Float](repeating: 0, count: 16000))
        clips[.u] = silent
        XCTAssertThrowsError(try VoiceProfile.calibrated(vowels: clips, sources: [.u: "u.wav"])) { e in
            XCTAssertTrue("\(e)".contains("u.wav"), "\(e)")
        }
        XCTAssertThrowsError(try silent.checkAudible(source: "s.wav"))
    }

    func testWAVRoundTripThroughLibsndfile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("speech-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = AudioClip(sampleRate: 22050, samples: (0..<2205).map { Float(0.5 * sin(Double($0) * 0.1)) })
        let url = dir.appendingPathComponent("a.wav")
        try clip.writeWAV(to: url)
        let back = try AudioClip(contentsOf: url)
        XCTAssertEqual(back.sampleRate, 22050)
        XCTAssertEqual(back.samples.count, 2205)
        for (a, b) in zip(clip.samples, back.samples) { XCTAssertEqual(a, b, accuracy: 1.0 / 16384) }
        XCTAssertThrowsError(try AudioClip(contentsOf: dir.appendingPathComponent("missing.wav")))
    }
}
