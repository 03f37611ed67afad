import ArgumentParser
import Foundation
import TalkingHead
import TalkingHeadSpeech

struct Say: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the character say TEXT: espeak-ng speech, the mouth from its phonemes.",
        discussion: """
            Writes DIR/speech.wav, DIR/mouth.csv, the frames DIR/000000.png ... and DIR/animation.png; \
            with --video also a video with the sound. The mouth follows espeak-ng's phoneme events \
            (exact timing) through a phoneme-to-mouth table; the idle animator adds blinks, breathing, sway. \
            Every espeak-ng voice works: see `talking-head say --list-voices`.
            """)

    @Argument(help: "The character: a PNG with a transparent background.")
    var image: String?

    @Argument(help: "What to say.")
    var text: String?

    @Option(help: ArgumentHelp("An espeak-ng voice: a language (en-us, ja, es, cmn, ...), optionally +variant (en-us+f3).", valueName: "voice"))
    var voice: String = "en-us"

    @Option(help: "Speaking rate, words per minute (80-450).")
    var rate: Int = 175

    @Option(help: "Voice pitch, 0-100.")
    var pitch: Int = 50

    @Flag(help: "List the voices and variants and exit.")
    var listVoices = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder (created if needed).", valueName: "dir"))
    var output: String?

    @OptionGroup var weights: WeightsOption
    @OptionGroup var videoOptions: VideoOptions
    @OptionGroup var slice: FrameSliceOption

    @Option(help: "Frames per second.")
    var fps: Double = 25

    @Option(help: ArgumentHelp("Composite the frames onto a colour (a name or #rrggbb); MP4 video defaults to white.", valueName: "color"))
    var background: RGBColor?

    @Option(help: ArgumentHelp("Frames rendered at once (each on all cores).", valueName: "n"))
    var jobs: Int = 1

    @Flag(name: .shortAndLong, help: "No progress line on stderr.")
    var quiet = false

    func validate() throws {
        if listVoices { return }
        guard image != nil else { throw ValidationError("missing IMAGE (the character PNG); or use --list-voices") }
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("TEXT is empty: give the words to say, e.g. talking-head say char.png \"Hello\" --output out (voices: talking-head say --list-voices)")
        }
        guard output != nil else { throw ValidationError("missing --output DIR") }
        guard fps > 0, fps <= 1000, fps.isFinite else { throw ValidationError("--fps must be in (0, 1000]") }
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be in 1...16") }
    }

    func run() throws {
        if listVoices {
            let (languages, variants) = try SpeechSynthesizer.voices()
            print("Voices (--voice LANGUAGE):")
            for v in languages { print("  \(v.identifier.padding(toLength: 16, withPad: " ", startingAt: 0)) \(v.name)") }
            print("Variants (--voice LANGUAGE+VARIANT, e.g. en-us+f3):")
            print("  " + variants.joined(separator: " "))
            return
        }
        let (audio, phonemes) = try SpeechSynthesizer.synthesize(text!, voice: voice, wordsPerMinute: rate, pitch: pitch)
        let character = try loadCharacter(image!)
        let dir = URL(fileURLWithPath: output!)
        try prepareAnimationFolder(dir)
        let wav = dir.appendingPathComponent("speech.wav")
        try audio.writeWAV(to: wav)
        let track = PhonemeLipSync.track(phonemes, duration: audio.duration, frameRate: fps)
        let csv = dir.appendingPathComponent("mouth.csv")
        do { try track.poseCSV().write(to: csv, atomically: true, encoding: .utf8) } catch {
            throw TalkingHeadError.io(path: csv.path, reason: error.localizedDescription)
        }
        if !quiet {
            FileHandle.standardError.write(Data("said \(String(format: "%.2f", audio.duration)) s (\(phonemes.count) phonemes) -> \(wav.path); rendering \(track.shapes.count) frames\n".utf8))
        }
        let head = try weights.load()
        let poses = SpeechPoses.poses(track: track)
        if let range = try slice.range(total: poses.count) {
            return try renderSlice(head: head, character: character, poses: poses, range: range, into: dir,
                                   options: RenderOptions(framesInFlight: jobs, background: background), quiet: quiet)
        }
        try renderSpeech(head: head, character: character, poses: poses, into: dir, fps: FrameRate(fps),
                         audio: wav, video: videoOptions.video, background: background, jobs: jobs, quiet: quiet)
    }
}
