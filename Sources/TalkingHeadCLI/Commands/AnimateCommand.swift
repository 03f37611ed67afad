import ArgumentParser
import Foundation
import TalkingHead

struct Animate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one PNG per row of a pose CSV, and the animation as an animated PNG.",
        discussion: """
            POSES is a CSV file: a header of parameter names (any subset of the 45, in any order; \
            a missing one is 0; run `talking-head params` for the list), then one row of numbers \
            per frame. An optional first column named `frame` or `time` is ignored. Values must be \
            finite and within each parameter's range (see --clamp). The whole file is checked \
            before anything is rendered; errors name the file, line and column.

            Frames are written as DIR/000000.png, DIR/000001.png, ... and all of them as the
            animated PNG DIR/animation.png (plays in browsers; transparency kept unless --background).
            SIGINT or SIGTERM stops the render cleanly after the frame in progress (exit 130 / 143).
            """)

    @Argument(help: "The character: a PNG with a transparent background (512x512 is native).")
    var image: String

    @Argument(help: "The pose CSV, one row per frame.")
    var poses: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder (created if needed).", valueName: "dir"))
    var output: String

    @OptionGroup var weights: WeightsOption

    @Option(help: "Frames per second of DIR/animation.png.")
    var fps: Double = 25

    @Option(help: ArgumentHelp(
        "Composite every frame onto a solid colour (a name: \(RGBColor.named.keys.sorted().joined(separator: ", ")); or #rrggbb), e.g. for chroma keying.",
        valueName: "color"))
    var background: RGBColor?

    @Flag(help: "Clamp out-of-range values to their range instead of refusing the file.")
    var clamp = false

    @Flag(name: .shortAndLong, help: "No progress line on stderr.")
    var quiet = false

    @Option(help: ArgumentHelp(
        "Frames rendered at once (each on all cores): for machines with more cores; each frame in flight adds about 170 MB.",
        valueName: "n"))
    var jobs: Int = 1

    func validate() throws {
        guard fps > 0, fps <= 1000, fps.isFinite else { throw ValidationError("--fps must be in (0, 1000]") }
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be in 1...16") }
    }

    func run() throws {
        let sequence = try PoseSequence(contentsOf: URL(fileURLWithPath: poses), clamp: clamp)
        let character = try loadCharacter(image)
        let head = try weights.load()
        let dir = URL(fileURLWithPath: output)
        try createOutputFolder(dir)
        try renderAnimation(head: head, character: character, poses: sequence.poses, into: dir,
                            fps: fps, options: RenderOptions(framesInFlight: jobs, background: background), quiet: quiet)
    }
}

/// Renders `poses` into DIR/000000.png ... and DIR/animation.png with a progress line, stopping
/// cleanly on SIGINT/SIGTERM; prints what was written. Shared by the commands that animate.
func renderAnimation(head: TalkingHead, character: RGBAImage, poses: [PoseParameters], into dir: URL,
                     fps: Double, options: RenderOptions, quiet: Bool) throws {
    let total = poses.count
    let animationURL = dir.appendingPathComponent("animation.png")
    // An animation.png from an earlier run must not outlive a render that fails: it would
    // look like this run's result. The new one appears (by rename) only when complete.
    if FileManager.default.fileExists(atPath: animationURL.path) {
        do { try FileManager.default.removeItem(at: animationURL) } catch {
            throw TalkingHeadError.io(path: animationURL.path, reason: "cannot replace: \(error.localizedDescription)")
        }
    }
    let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) != 0)
    let frames = PNGSequenceWriter(directory: dir)
    let interrupt = SignalCancellation()
    do {
        let animation = try APNGWriter(url: animationURL, width: head.outputSize, height: head.outputSize, frameCount: total, fps: fps)
        try head.render(image: character, poses: poses, into: [frames, animation], options: options,
                        cancellation: interrupt.cancellation, progress: progress.update)
    } catch {
        progress.end()
        let done = frames.written
        if case TalkingHeadError.cancelled = error, let signal = interrupt.received {
            FileHandle.standardError.write(Data("interrupted after \(done) of \(total) frames; \(animationURL.path) was not written\n".utf8))
            throw ExitCode(128 + signal)
        }
        FileHandle.standardError.write(Data("animate: stopped after \(done) of \(total) frames; \(animationURL.path) was not written\n".utf8))
        throw error
    }
    progress.end()
    print("wrote \(total) frames to \(dir.path)/\(PNGSequenceWriter.fileName(0)) ... \(PNGSequenceWriter.fileName(total - 1)) and the animation \(animationURL.path) (\(fps) fps)")
}
