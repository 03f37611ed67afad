import ArgumentParser
import Foundation
import TalkingHead
import TalkingHeadSpeech

/// Options of the commands that render speech (`say`, `animate --audio`).
struct VideoOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Also write a video with the sound: FILE.mp4 (H.264 + AAC on --background, default white) or FILE.webm (VP9 with alpha + Opus); needs the ffmpeg program.",
        valueName: "file"))
    var video: String?

    func validate() throws {
        if let video { _ = try VideoWriter.container(for: URL(fileURLWithPath: video)) }
    }
}

/// Renders `poses` into DIR/000000.png ..., DIR/animation.png and, when asked, a video with
/// `audio` muxed in (frames piped to ffmpeg as they are rendered).
func renderSpeech(head: TalkingHead, character: RGBAImage, poses: [PoseParameters], into dir: URL, fps: FrameRate,
                  audio: URL?, video: String?, background: RGBColor?, jobs: Int, quiet: Bool) throws {
    guard let video else {
        try renderAnimation(head: head, character: character, poses: poses, into: dir, fps: fps,
                            options: RenderOptions(framesInFlight: jobs, background: background), quiet: quiet)
        return
    }
    let videoURL = URL(fileURLWithPath: video)
    let animationURL = dir.appendingPathComponent("animation.png")
    try? FileManager.default.removeItem(at: animationURL)
    let white = RGBColor(red: 255, green: 255, blue: 255)
    let writer = try VideoWriter(url: videoURL, width: head.outputSize, height: head.outputSize, fps: fps.value,
                                 audio: audio, background: background ?? white)
    let frames = PNGSequenceWriter(directory: dir)
    let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) != 0)
    let interrupt = SignalCancellation()
    do {
        let animation = try APNGWriter(url: animationURL, width: head.outputSize, height: head.outputSize,
                                       frameCount: poses.count, frameRate: fps)
        try head.render(image: character, poses: poses, into: [frames, animation, writer],
                        options: RenderOptions(framesInFlight: jobs, background: background),
                        cancellation: interrupt.cancellation, progress: progress.update)
    } catch {
        writer.abandon()
        progress.end()
        if case TalkingHeadError.cancelled = error, let signal = interrupt.received {
            FileHandle.standardError.write(Data("interrupted after \(frames.written) of \(poses.count) frames; no video written\n".utf8))
            throw ExitCode(128 + signal)
        }
        throw error
    }
    progress.end()
    // The folder holds exactly this run's frames, as `animate` leaves it.
    _ = try OutputFolder.removeStaleFrames(in: dir, from: poses.count)
    print("wrote \(poses.count) frames to \(dir.path), the animation \(animationURL.path) and the video \(videoURL.path) (\(fps) fps)")
}

/// Loads an optional voice profile (from `lipsync calibrate`).
func loadVoiceProfile(_ path: String?) throws -> VoiceProfile {
    guard let path else { return .builtIn }
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: path) else { throw TalkingHeadError.fileNotFound(path: path) }
    return try VoiceProfile(json: Data(contentsOf: url), source: path)
}
