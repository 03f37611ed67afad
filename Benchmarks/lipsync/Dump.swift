import Foundation
import TalkingHeadSpeech

/// Writes the training corpus for `Benchmarks/lipsync/train_model.py`: per utterance the
/// language (8 bytes, ASCII, zero-padded), the frame count (Int32), per frame the 26 log-mel
/// bands and the loudness (27 Float32, dB, absolute: the script applies the reference as the
/// library does), then a label byte per frame: 0 closed, 1-5 vowel a i u e o, 6 open without
/// a class (schwa), 7 not scored (other consonants). Little-endian.
func dumpTraining(output: String, perLanguage: Int) throws {
    let items = TrainingCorpus.items(perLanguage: perLanguage)
    var data = Data()
    var seconds = 0.0
    for it in items {
        let (audio, phonemes) = try SpeechSynthesizer.synthesize(it.text, voice: it.voice, wordsPerMinute: it.rate, pitch: it.pitch)
        let f = try AudioFeatureDump.features(audio)
        let labels = groundTruth(phonemes, duration: audio.duration)
        let n = min(f.count, labels.count)
        var name = Array(it.language.utf8.prefix(8))
        name += [UInt8](repeating: 0, count: 8 - name.count)
        data.append(contentsOf: name)
        withUnsafeBytes(of: Int32(n).littleEndian) { data.append(contentsOf: $0) }
        var floats: [Float] = []
        floats.reserveCapacity(n * 27)
        for t in 0..<n { floats += f.logMel[t]; floats.append(f.loudness[t]) }
        floats.withUnsafeBytes { data.append(contentsOf: $0) }
        data.append(contentsOf: labels.prefix(n).map { l -> UInt8 in
            switch l {
            case .closed: return 0
            case .open(let v?): return UInt8(VowelClass.allCases.firstIndex(of: v)! + 1)
            case .open(nil): return 6
            case .unscored: return 7
            }
        })
        seconds += audio.duration
    }
    try data.write(to: URL(fileURLWithPath: output))
    print(String(format: "wrote %@: %d utterances, %.0f s of audio", output, items.count, seconds))
}
