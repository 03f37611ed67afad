import CEspeakNG
import Foundation
import TalkingHead

/// One phoneme of synthesised speech: its IPA name and when it starts and ends (seconds).
public struct PhonemeEvent: Sendable, Equatable, Codable {
    public var phoneme: String
    public var start: Double
    public var end: Double
    public init(phoneme: String, start: Double, end: Double) {
        (self.phoneme, self.start, self.end) = (phoneme, start, end)
    }
}

/// A voice of espeak-ng: `identifier` is what `--voice` takes (a language such as `en-us` or
/// `ja`, optionally with a variant: `en-us+f3`).
public struct SpeechVoice: Sendable, Equatable {
    public var identifier: String
    public var name: String
    public var languages: [String]
}

/// Text-to-speech through libespeak-ng with its phoneme events: the audio and the exact
/// timing of every sound. espeak-ng has global state, so every call is serialised.
public enum SpeechSynthesizer {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var initialisedRate: Int32 = 0
    nonisolated(unsafe) fileprivate static var pcm: [Int16] = []
    nonisolated(unsafe) fileprivate static var events: [(ms: Int, name: String)] = []

    private static func initialise() throws -> Double {
        if initialisedRate == 0 {
            let options = Int32(espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA | espeakINITIALIZE_DONT_EXIT)
            let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, options)
            guard rate > 0 else {
                throw TalkingHeadError.invalidConfiguration(
                    field: "espeak-ng", reason: "libespeak-ng could not start (is espeak-ng-data installed? apt-get install espeak-ng-data)")
            }
            espeak_SetSynthCallback(synthCallback)
            initialisedRate = rate
        }
        return Double(initialisedRate)
    }

    /// Every voice (languages) and every variant (`+name`) espeak-ng has.
    public static func voices() throws -> (languages: [SpeechVoice], variants: [String]) {
        lock.lock(); defer { lock.unlock() }
        _ = try initialise()
        var langs: [SpeechVoice] = []
        var variants: [String] = []
        guard let list = espeak_ListVoices(nil) else { return ([], []) }
        var i = 0
        while let v = list[i] {
            i += 1
            let ident = v.pointee.identifier.map { String(cString: $0) } ?? ""
            let name = v.pointee.name.map { String(cString: $0) } ?? ""
            // `languages` is a list of (priority byte, zero-terminated string), ending with a 0 byte.
            var languages: [String] = []
            if var p = v.pointee.languages {
                while p.pointee != 0 {
                    p += 1
                    let s = String(cString: p)
                    languages.append(s)
                    p += s.utf8.count + 1
                }
            }
            if ident.hasPrefix("mb/") { continue }   // MBROLA voices need a program Debian main lacks
            langs.append(SpeechVoice(identifier: languages.first ?? ident, name: name, languages: languages))
        }
        var spec = espeak_VOICE()
        let variantTag = strdup("variant")
        spec.languages = UnsafePointer(variantTag)
        if let vlist = espeak_ListVoices(&spec) {
            var j = 0
            while let v = vlist[j] {
                j += 1
                if let id = v.pointee.identifier {
                    let s = String(cString: id)
                    variants.append(s.hasPrefix("!v/") ? String(s.dropFirst(3)) : s)
                }
            }
        }
        free(variantTag)
        return (langs.sorted { $0.identifier < $1.identifier }, variants.sorted())
    }

    /// Speaks `text` with `voice` (`en-us`, `ja`, `es+f2` ...) at `wordsPerMinute` (80-450) and
    /// `pitch` (0-100, 50 normal). Returns the audio and the phoneme events (IPA names, pauses `_`).
    public static func synthesize(_ text: String, voice: String = "en-us", wordsPerMinute: Int = 175,
                                  pitch: Int = 50) throws -> (audio: AudioClip, phonemes: [PhonemeEvent]) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw TalkingHeadError.invalidInput(source: "text", field: nil, reason: "the text to speak is empty")
        }
        guard (80...450).contains(wordsPerMinute) else {
            throw TalkingHeadError.invalidInput(source: "speech", field: "rate", reason: "\(wordsPerMinute) words per minute is outside 80...450")
        }
        guard (0...100).contains(pitch) else {
            throw TalkingHeadError.invalidInput(source: "speech", field: "pitch", reason: "\(pitch) is outside 0...100")
        }
        lock.lock(); defer { lock.unlock() }
        let rate = try initialise()
        guard espeak_SetVoiceByName(voice) == EE_OK else {
            throw TalkingHeadError.invalidInput(
                source: "voice", field: voice, reason: "espeak-ng has no such voice (run `talking-head say --list-voices` for the list)")
        }
        espeak_SetParameter(espeakRATE, Int32(wordsPerMinute), 0)
        espeak_SetParameter(espeakPITCH, Int32(pitch), 0)
        pcm = []
        events = []
        let bytes = Array(trimmed.utf8CString)
        let status = bytes.withUnsafeBufferPointer { b in
            espeak_Synth(b.baseAddress, b.count, 0, POS_CHARACTER, 0, UInt32(espeakCHARS_UTF8), nil, nil)
        }
        espeak_Synchronize()
        guard status == EE_OK else {
            throw TalkingHeadError.invalidInput(source: "text", field: nil, reason: "espeak-ng could not synthesise it (error \(status.rawValue))")
        }
        let samples = pcm.map { Float($0) / 32768 }
        let total = Double(samples.count) / rate
        var out: [PhonemeEvent] = []
        for (k, e) in events.enumerated() {
            let start = Double(e.ms) / 1000
            let end = k + 1 < events.count ? Double(events[k + 1].ms) / 1000 : total
            if end > start { out.append(PhonemeEvent(phoneme: e.name, start: start, end: min(end, total))) }
        }
        pcm = []
        events = []
        return (AudioClip(sampleRate: rate, samples: samples), out)
    }
}

private func synthCallback(_ wav: UnsafeMutablePointer<Int16>?, _ count: Int32, _ list: UnsafeMutablePointer<espeak_EVENT>?) -> Int32 {
    if let wav, count > 0 { SpeechSynthesizer.pcm.append(contentsOf: UnsafeBufferPointer(start: wav, count: Int(count))) }
    guard var e = list else { return 0 }
    while e.pointee.type != espeakEVENT_LIST_TERMINATED {
        if e.pointee.type == espeakEVENT_PHONEME {
            var s = e.pointee.id.string
            let name = withUnsafeBytes(of: &s) { raw -> String in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            SpeechSynthesizer.events.append((Int(e.pointee.audio_position), name))
        } else if e.pointee.type == espeakEVENT_END || e.pointee.type == espeakEVENT_SENTENCE {
            // Clause boundaries: a pause marker so silence between clauses is labelled.
            SpeechSynthesizer.events.append((Int(e.pointee.audio_position), "_"))
        }
        e += 1
    }
    return 0
}
