import CSndFile
import CSoxr
import Foundation
import TalkingHead

/// Mono audio samples (-1...1) at a sample rate: what lip sync analyses and `say` writes.
public struct AudioClip: Sendable, Equatable {
    public var sampleRate: Double
    public var samples: [Float]

    /// Longest audio accepted from a file: 4 hours (an hour of speech is the issue's scale).
    public static let maximumDuration: Double = 4 * 3600

    public init(sampleRate: Double, samples: [Float]) {
        self.sampleRate = sampleRate
        self.samples = samples
    }

    public var duration: Double { sampleRate > 0 ? Double(samples.count) / sampleRate : 0 }

    /// Reads any format libsndfile reads (WAV, FLAC, Ogg, MP3 ...), any rate and channel count;
    /// channels are averaged. Errors name the file.
    public init(contentsOf url: URL) throws {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw TalkingHeadError.fileNotFound(path: path) }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            throw TalkingHeadError.invalidInput(source: path, field: nil, reason: "not a readable audio file (\(reason))")
        }
        defer { sf_close(file) }
        let channels = Int(info.channels)
        guard info.samplerate > 0 else {
            throw TalkingHeadError.invalidInput(source: path, field: "sample rate", reason: "the sample rate is \(info.samplerate)")
        }
        guard channels > 0 && channels <= 256 else {
            throw TalkingHeadError.invalidInput(source: path, field: "channels", reason: "\(channels) channels")
        }
        let frames = Int(info.frames)
        guard frames > 0 else {
            throw TalkingHeadError.invalidInput(source: path, field: nil, reason: "the file holds no audio samples")
        }
        // libsndfile reads a cut-off WAV/AIFF silently, noting it only in its log ("data : 67346
        // (should be 2956)"): a truncated file is an error here, not a shorter recording.
        var log = [CChar](repeating: 0, count: 8192)
        _ = sf_command(file, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let logText = String(cString: log)
        if let line = logText.split(separator: "\n").first(where: { $0.hasPrefix("data") && $0.contains("should be") }) {
            throw TalkingHeadError.invalidInput(
                source: path, field: nil,
                reason: "truncated: the header announces more audio than the file holds (\(line.trimmingCharacters(in: .whitespaces)))")
        }
        let seconds = Double(frames) / Double(info.samplerate)
        guard seconds <= AudioClip.maximumDuration else {
            throw TalkingHeadError.invalidInput(
                source: path, field: nil,
                reason: String(format: "%.0f s of audio; at most %.0f s (4 hours) are accepted", seconds, AudioClip.maximumDuration))
        }
        var mono = [Float](repeating: 0, count: frames)
        var chunk = [Float](repeating: 0, count: 4096 * channels)
        var done = 0
        while done < frames {
            let want = min(4096, frames - done)
            let got = Int(chunk.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(want)) })
            if got <= 0 { break }
            let scale = 1 / Float(channels)
            for f in 0..<got {
                var s: Float = 0
                for c in 0..<channels { s += chunk[f * channels + c] }
                mono[done + f] = s * scale
            }
            done += got
        }
        let err = sf_error(file)
        guard done > 0 else {
            throw TalkingHeadError.invalidInput(source: path, field: nil, reason: "no audio samples could be decoded")
        }
        if done < frames && err != 0 {
            throw TalkingHeadError.invalidInput(
                source: path, field: nil,
                reason: "truncated or damaged: \(done) of \(frames) frames decoded (\(String(cString: sf_strerror(file))))")
        }
        mono.removeSubrange(done...)
        for v in mono where !v.isFinite {
            throw TalkingHeadError.invalidInput(source: path, field: nil, reason: "the audio holds non-finite samples")
        }
        self.init(sampleRate: Double(info.samplerate), samples: mono)
    }

    /// Throws when nothing in the clip is louder than -70 dBFS: lip sync of silence is almost
    /// certainly a wrong file (or a muted recording). `source` names it in the error.
    public func checkAudible(source: String) throws {
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        guard peak > 3e-4 else {
            throw TalkingHeadError.invalidInput(source: source, field: nil,
                                                reason: "the audio is silent (peak \(peak == 0 ? "0" : String(format: "%.0f dBFS", 20 * log10(peak)))); nothing to lip-sync")
        }
    }

    /// Resampled with libsoxr (high quality); the same clip when the rate already matches.
    public func resampled(to rate: Double) throws -> AudioClip {
        guard rate > 0, sampleRate > 0 else {
            throw TalkingHeadError.invalidInput(source: "audio", field: "sample rate", reason: "cannot resample \(sampleRate) Hz to \(rate) Hz")
        }
        if rate == sampleRate || samples.isEmpty { return AudioClip(sampleRate: rate, samples: samples) }
        let outCount = Int((Double(samples.count) * rate / sampleRate).rounded())
        var out = [Float](repeating: 0, count: outCount + 16)
        var done = 0
        var q = soxr_quality_spec(UInt(SOXR_HQ), 0)
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        let error: soxr_error_t? = samples.withUnsafeBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { outp in
                soxr_oneshot(sampleRate, rate, 1, inp.baseAddress, samples.count, nil,
                             outp.baseAddress, outp.count, &done, &io, &q, nil)
            }
        }
        if let error {
            throw TalkingHeadError.invalidInput(source: "audio", field: "resampling", reason: String(cString: error))
        }
        out.removeSubrange(min(done, outCount)...)
        return AudioClip(sampleRate: rate, samples: out)
    }

    /// Writes a 16-bit PCM WAV with libsndfile.
    public func writeWAV(to url: URL) throws {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate.rounded())
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        guard let file = sf_open(url.path, Int32(SFM_WRITE), &info) else {
            throw TalkingHeadError.io(path: url.path, reason: String(cString: sf_strerror(nil)))
        }
        let written = samples.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t($0.count)) }
        sf_close(file)
        guard written == samples.count else {
            throw TalkingHeadError.io(path: url.path, reason: "wrote \(written) of \(samples.count) samples")
        }
    }
}
