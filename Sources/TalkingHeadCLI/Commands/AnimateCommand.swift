import ArgumentParser
import Foundation
import TalkingHead
import TalkingHeadSpeech

struct Animate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one PNG per row of a pose CSV, and the animation as an animated PNG.",
        discussion: """
            POSES is a CSV file: a header of parameter names (any subset of the 45, in any order; \
            a missing one is 0; run `talking-head params` for the list), then one row of numbers \
            per frame. An optional first column named `frame` or `time` is ignored. Values must be \
            finite and within each parameter's range (see --clamp). The whole file is checked \
            before anything is rendered; errors name the file, line and column. A Live Link Face \
            CSV (face capture, header `Timecode,BlendShapeCount,...`) is recognised and converted, \
            resampled to --fps (see `talking-head capture convert`).

            Frames are written as DIR/000000.png, DIR/000001.png, ... and all of them as the
            animated PNG DIR/animation.png (plays in browsers; transparency kept unless --background).
            Frame files of an earlier run numbered past this run's last frame are removed, so DIR
            ends with exactly this run's frames; an earlier DIR/animation.png stays until the new
            one is complete. If the render fails or is interrupted, DIR keeps the frames written
            and no animation.png (the earlier one and any earlier frames past them are removed).
            SIGINT or SIGTERM stops the render cleanly after the frame in progress (exit 130 / 143).
            """)

    @Argument(help: "The character: a PNG with a transparent background (512x512 is native).")
    var image: String

    @Argument(help: "The pose CSV, one row per frame (optional with --audio).")
    var poses: String?

    @Option(help: ArgumentHelp(
        "A voice recording: the mouth follows it (over the CSV's other columns; without a CSV over the idle animator), as many frames as it lasts.",
        valueName: "file"))
    var audio: String?

    @Option(help: ArgumentHelp("A voice profile from `talking-head lipsync calibrate` (with --audio).", valueName: "file"))
    var voiceProfile: String?

    @OptionGroup var videoOptions: VideoOptions
    @OptionGroup var slice: FrameSliceOption

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder (created if needed).", valueName: "dir"))
    var output: String

    @OptionGroup var weights: WeightsOption

    @Option(help: ArgumentHelp(
        "Frames per second of DIR/animation.png: a number (25, 29.97) or a fraction (30000/1001), in 1/65535...65535; stored exactly.",
        valueName: "rate"), transform: { try FrameRate(parsing: $0) })
    var fps: FrameRate = try! FrameRate(frames: 25, seconds: 1)

    @Option(help: ArgumentHelp(
        "Composite every frame onto a solid colour (a name: \(RGBColor.named.keys.sorted().joined(separator: ", ")); or #rrggbb), e.g. for chroma keying.",
        valueName: "color"))
    var background: RGBColor?

    @Option(help: "For a Live Link Face CSV: unit of its head and eye angles (radians or degrees).")
    var headUnits: LiveLinkFaceRecording.HeadUnits = .radians

    @Flag(help: "Clamp out-of-range values to their range instead of refusing the file.")
    var clamp = false

    @Flag(name: .shortAndLong, help: "No progress line on stderr.")
    var quiet = false

    @Option(help: ArgumentHelp(
        "Frames rendered at once (each on all cores): for machines with more cores; each frame in flight adds about 170 MB.",
        valueName: "n"))
    var jobs: Int = 1

    func validate() throws {
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be in 1...16") }
        guard poses != nil || audio != nil else { throw ValidationError("give a pose CSV, or --audio FILE, or both") }
    }

    func run() throws {
        if audio != nil || videoOptions.video != nil || slice.frames != nil { return try runWithAudio() }
        // A Live Link Face CSV (recognised by its header) is converted and resampled to --fps.
        let sequence = try PoseSequence.load(contentsOf: URL(fileURLWithPath: poses!), fps: fps.value, clamp: clamp,
                                             headUnits: headUnits)
        let character = try loadCharacter(image)
        let dir = URL(fileURLWithPath: output)
        try prepareAnimationFolder(dir)
        let head = try weights.load()
        try renderAnimation(head: head, character: character, poses: sequence.poses, into: dir,
                            fps: fps, options: RenderOptions(framesInFlight: jobs, background: background), quiet: quiet)
    }
}

/// Creates DIR and checks that DIR/animation.png and the first frame can be written, before
/// anything is loaded or rendered.
func prepareAnimationFolder(_ dir: URL) throws {
    try OutputFolder.create(dir)
    try OutputFile.checkWritable(dir.appendingPathComponent("animation.png"))
    try OutputFile.checkWritable(dir.appendingPathComponent(PNGSequenceWriter.fileName(0)))
}

extension Animate {
    /// `--audio` (and/or `--video`): the mouth from the recording over the CSV or idle motion.
    func runWithAudio() throws {
        let base = try poses.map { try PoseSequence(contentsOf: URL(fileURLWithPath: $0), clamp: clamp).poses }
        var sequence = base ?? []
        var audioURL: URL? = nil
        if let audio {
            audioURL = URL(fileURLWithPath: audio)
            let clip = try AudioClip(contentsOf: audioURL!)
            try clip.checkAudible(source: audio)
            let track = try LipSync(profile: try loadVoiceProfile(voiceProfile)).track(for: clip, frameRate: fps.value)
            sequence = SpeechPoses.poses(track: track, base: base)
        }
        let character = try loadCharacter(image)
        let head = try weights.load()
        let dir = URL(fileURLWithPath: output)
        let options = RenderOptions(framesInFlight: jobs, background: background)
        if let range = try slice.range(total: sequence.count) {
            return try renderSlice(head: head, character: character, poses: sequence, range: range, into: dir, options: options, quiet: quiet)
        }
        try prepareAnimationFolder(dir)
        try renderSpeech(head: head, character: character, poses: sequence, into: dir, fps: fps, audio: audioURL,
                         video: videoOptions.video, background: background, jobs: jobs, quiet: quiet)
    }
}

/// Renders `poses` into DIR/000000.png ... and DIR/animation.png with a progress line, stopping
/// cleanly on SIGINT/SIGTERM; prints what was written. Shared by the commands that animate.
func renderAnimation(head: TalkingHead, character: RGBAImage, poses: [PoseParameters], into dir: URL,
                     fps: Double, options: RenderOptions, quiet: Bool) throws {
    try renderAnimation(head: head, character: character, poses: poses, into: dir, fps: FrameRate(fps),
                        options: options, quiet: quiet)
}

/// `renderAnimation` at an exact frame rate. The folder ends with exactly this run's frames:
/// earlier frames past the last one written are removed, and when the render fails the
/// earlier animation.png too (it would look like this run's result).
func renderAnimation(head: TalkingHead, character: RGBAImage, poses: [PoseParameters], into dir: URL,
                     fps: FrameRate, options: RenderOptions, quiet: Bool) throws {
    let total = poses.count
    let animationURL = dir.appendingPathComponent("animation.png")
    try prepareAnimationFolder(dir)
    let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) != 0)
    let frames = PNGSequenceWriter(directory: dir)
    let interrupt = SignalCancellation()
    var started = false
    do {
        let animation = try APNGWriter(url: animationURL, width: head.outputSize, height: head.outputSize, frameCount: total, frameRate: fps)
        started = true
        try head.render(image: character, poses: poses, into: [frames, animation], options: options,
                        cancellation: interrupt.cancellation, progress: progress.update)
    } catch {
        progress.end()
        let done = frames.written
        // Once frames were being written, the folder keeps exactly them: an earlier run's
        // animation.png and frames past them would look like this run's result.
        if started {
            try? OutputFolder.removeStaleFrames(in: dir, from: done)
            var st = stat()
            if lstat(animationURL.path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, unlink(animationURL.path) != 0 {
                FileHandle.standardError.write(Data("animate: cannot remove the earlier \(animationURL.path): \(String(cString: strerror(errno)))\n".utf8))
            }
        }
        if case TalkingHeadError.cancelled = error, let signal = interrupt.received {
            FileHandle.standardError.write(Data("interrupted after \(done) of \(total) frames; \(animationURL.path) was not written\n".utf8))
            throw ExitCode(128 + signal)
        }
        FileHandle.standardError.write(Data("animate: stopped after \(done) of \(total) frames; \(animationURL.path) was not written\n".utf8))
        throw error
    }
    progress.end()
    let stale = try OutputFolder.removeStaleFrames(in: dir, from: total)
    if stale > 0 { print("removed \(stale) frame files of an earlier run numbered \(PNGSequenceWriter.fileName(total)) and up") }
    print("wrote \(total) frames to \(dir.path)/\(PNGSequenceWriter.fileName(0)) ... \(PNGSequenceWriter.fileName(total - 1)) and the animation \(animationURL.path) (\(fps) fps)")
}
