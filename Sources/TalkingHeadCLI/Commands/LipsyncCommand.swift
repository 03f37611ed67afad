import ArgumentParser
import Foundation
import TalkingHead
import TalkingHeadSpeech

struct Lipsync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lipsync",
        abstract: "Mouth shapes from a voice recording, as a pose CSV (or calibrate a voice profile).",
        subcommands: [LipsyncAnalyse.self, LipsyncCalibrate.self],
        defaultSubcommand: LipsyncAnalyse.self)
}

struct LipsyncAnalyse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyse",
        abstract: "Write the mouth track of AUDIO as a pose CSV (time, then the mouth parameters).",
        discussion: """
            AUDIO is any file libsndfile reads (WAV, FLAC, Ogg, MP3), any rate and channel count. \
            The CSV has one row per frame and is read by `talking-head animate`.
            """)

    @Argument(help: "The voice recording.")
    var audio: String

    @Option(help: "Frames per second of the track.")
    var fps: Double = 25

    @Option(name: .shortAndLong, help: ArgumentHelp("The CSV to write (default: standard output).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("A voice profile from `talking-head lipsync calibrate`.", valueName: "file"))
    var voiceProfile: String?

    func validate() throws {
        guard fps > 0, fps <= 1000, fps.isFinite else { throw ValidationError("--fps must be in (0, 1000]") }
    }

    func run() throws {
        let clip = try AudioClip(contentsOf: URL(fileURLWithPath: audio))
        try clip.checkAudible(source: audio)
        let sync = LipSync(profile: try loadVoiceProfile(voiceProfile))
        let track = try sync.track(for: clip, frameRate: fps)
        let csv = track.poseCSV()
        if let output {
            do { try csv.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw TalkingHeadError.io(path: output, reason: error.localizedDescription)
            }
            FileHandle.standardError.write(Data("wrote \(track.shapes.count) frames (\(String(format: "%.2f", clip.duration)) s at \(fps) fps) to \(output)\n".utf8))
        } else {
            print(csv, terminator: "")
        }
    }
}

struct LipsyncCalibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Make a voice profile from recordings of the five vowels a, i, u, e, o (in that order).",
        discussion: "Each file holds one vowel, sustained for at least a quarter of a second. Use the profile with --voice-profile.")

    @Argument(help: "Five recordings: a, i, u, e, o.")
    var recordings: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("The profile to write (JSON).", valueName: "file"))
    var output: String

    func validate() throws {
        guard recordings.count == 5 else { throw ValidationError("give five recordings, of a, i, u, e and o, in that order (got \(recordings.count))") }
    }

    func run() throws {
        var clips: [VowelClass: AudioClip] = [:]
        var names: [VowelClass: String] = [:]
        for (v, path) in zip(VowelClass.allCases, recordings) {
            clips[v] = try AudioClip(contentsOf: URL(fileURLWithPath: path))
            names[v] = path
        }
        let profile = try VoiceProfile.calibrated(vowels: clips, sources: names)
        do { try profile.jsonData().write(to: URL(fileURLWithPath: output)) } catch {
            throw TalkingHeadError.io(path: output, reason: error.localizedDescription)
        }
        print("wrote the voice profile \(output)")
    }
}
