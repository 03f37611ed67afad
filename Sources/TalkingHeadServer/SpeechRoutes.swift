import Foundation
import Hummingbird
import TalkingHead
import TalkingHeadSpeech

/// Speech on the live avatar: the mouth follows an uploaded recording, or text spoken by
/// espeak-ng, from the moment of the request (the client plays the audio it sent or got back).
enum SpeechRoutes {
    static func add(to router: Router<BasicRequestContext>, avatar: LiveAvatar) {
        let limit = avatar.configuration.maxBodyBytes

        // POST /api/speech, body: an audio file (WAV, FLAC, Ogg, MP3 where libsndfile reads it).
        router.post("/api/speech") { request, _ -> Response in
            var request = request
            let data = try await request.bodyData(limit: limit)
            guard !data.isEmpty else { throw APIError(status: .badRequest, message: "POST /api/speech: the body is empty; send an audio file") }
            let clip = try decodeAudio(data, source: "POST /api/speech body")
            let track = try LipSync().track(for: clip, frameRate: 100)
            avatar.animator.play(track, startingAt: monotonicSeconds())
            avatar.countInput(source: "speech")
            return Reply.json(["duration": clip.duration, "frames": track.shapes.count, "frame_rate": track.frameRate])
        }

        // GET /api/speech/say?text=...&voice=en-us: the synthesised WAV; the mouth follows its
        // phoneme events (exact timing, not an estimate from the audio).
        router.get("/api/speech/say") { request, _ -> Response in
            let query = request.uri.queryParameters
            guard let text = query["text"].map(String.init), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError(status: .badRequest, message: "GET /api/speech/say: 'text' is missing or empty")
            }
            guard text.count <= 5000 else {
                throw APIError(status: .contentTooLarge, message: "GET /api/speech/say: 'text' has \(text.count) characters, over the 5000 limit")
            }
            let voice = query["voice"].map(String.init) ?? "en-us"
            let (audio, phonemes) = try SpeechSynthesizer.synthesize(text, voice: voice)
            let track = PhonemeLipSync.track(phonemes, duration: audio.duration, frameRate: 100)
            let wav = try encodeWAV(audio)
            avatar.animator.play(track, startingAt: monotonicSeconds())
            avatar.countInput(source: "speech")
            return Reply.bytes(ByteBuffer(bytes: wav), contentType: "audio/wav")
        }
    }

    /// The request body decoded by libsndfile (through a temporary file: it reads files).
    static func decodeAudio(_ data: Data, source: String) throws -> AudioClip {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("talking-head-speech-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try data.write(to: url)
        do {
            let clip = try AudioClip(contentsOf: url)
            try clip.checkAudible(source: source)
            return clip
        } catch let error as TalkingHeadError {
            // The temporary file's name means nothing to the client: name the request instead.
            throw TalkingHeadError.invalidInput(source: source, field: nil,
                                                reason: error.description.replacingOccurrences(of: url.path, with: "audio"))
        }
    }

    static func encodeWAV(_ audio: AudioClip) throws -> Data {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("talking-head-say-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: url) }
        try audio.writeWAV(to: url)
        return try Data(contentsOf: url)
    }
}
