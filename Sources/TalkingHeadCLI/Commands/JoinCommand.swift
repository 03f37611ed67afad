import ArgumentParser
import Foundation
import TalkingHead

/// `--frames START:END`: render only frames START..<END of a longer animation, files named by
/// their global numbers, so slices rendered anywhere can be joined (`talking-head join`).
struct FrameSliceOption: ParsableArguments {
    @Option(name: .customLong("frames"), help: ArgumentHelp(
        "Render only frames START to END-1 (global numbers and file names; END may exceed the total), no animation.png; join the slices with `talking-head join`.",
        valueName: "start:end"))
    var frames: String?

    /// The frames to render of `total`, or nil for all.
    func range(total: Int) throws -> Range<Int>? {
        guard let frames else { return nil }
        let parts = frames.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), let end = Int(parts[1]), start >= 0, end > start else {
            throw ValidationError("--frames must be START:END with 0 <= START < END (got '\(frames)')")
        }
        guard start < total else { throw ValidationError("--frames \(frames): the animation has only \(total) frames") }
        return start..<min(end, total)
    }
}

/// Renders frames `range` of `poses` into DIR as their global file names.
func renderSlice(head: TalkingHead, character: RGBAImage, poses: [PoseParameters], range: Range<Int>, into dir: URL,
                 options: RenderOptions, quiet: Bool) throws {
    try OutputFolder.create(dir)
    let frames = PNGSequenceWriter(directory: dir, firstNumber: range.lowerBound)
    let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) != 0)
    let interrupt = SignalCancellation()
    do {
        try head.render(image: character, poses: poses[range], into: [frames], options: options,
                        cancellation: interrupt.cancellation, progress: progress.update)
    } catch {
        progress.end()
        if case TalkingHeadError.cancelled = error, let signal = interrupt.received { throw ExitCode(128 + signal) }
        throw error
    }
    progress.end()
    print("wrote frames \(PNGSequenceWriter.fileName(range.lowerBound)) ... \(PNGSequenceWriter.fileName(range.upperBound - 1)) (\(range.count) of \(poses.count)) to \(dir.path)")
}

struct Join: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join slices rendered with --frames into one folder, animation.png and optionally a video.",
        discussion: """
            Each DIR holds frames named by their global numbers (000000.png ...). Together they must \
            hold every frame from 000000 to the last exactly once. Frames are copied to the output \
            folder; --video FILE (.mp4 or .webm) with --audio AUDIO pipes them to ffmpeg.
            """)

    @Argument(help: "The slice folders.")
    var slices: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder (created if needed).", valueName: "dir"))
    var output: String

    @Option(help: ArgumentHelp("Frames per second: a number or a fraction (30000/1001).", valueName: "rate"),
            transform: { try FrameRate(parsing: $0) })
    var fps: FrameRate = try! FrameRate(frames: 25, seconds: 1)

    @Option(help: ArgumentHelp("A video with the sound: FILE.mp4 or FILE.webm (needs --audio).", valueName: "file"))
    var video: String?

    @Option(help: ArgumentHelp("The audio to mux into the video.", valueName: "file"))
    var audio: String?

    @Option(help: ArgumentHelp("Background of an MP4 (a name or #rrggbb; default white).", valueName: "color"))
    var background: RGBColor?

    func validate() throws {
        guard !slices.isEmpty else { throw ValidationError("give at least one slice folder") }
        if let video {
            _ = try VideoWriter.container(for: URL(fileURLWithPath: video))
            guard audio != nil else { throw ValidationError("--video needs --audio AUDIO (the sound to mux in)") }
        }
    }

    func run() throws {
        var found: [Int: URL] = [:]
        for slice in slices {
            let dir = URL(fileURLWithPath: slice)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
                throw TalkingHeadError.fileNotFound(path: dir.path)
            }
            for (n, name) in OutputFolder.staleFrames(in: dir, from: 0) {
                if let other = found[n] {
                    throw TalkingHeadError.invalidInput(source: dir.appendingPathComponent(name).path, field: nil,
                                                        reason: "frame \(n) is also in \(other.deletingLastPathComponent().path)")
                }
                found[n] = dir.appendingPathComponent(name)
            }
        }
        guard let last = found.keys.max() else {
            throw TalkingHeadError.invalidInput(source: slices.joined(separator: ", "), field: nil, reason: "no frame files (000000.png ...) found")
        }
        if let missing = (0...last).first(where: { found[$0] == nil }) {
            throw TalkingHeadError.invalidInput(source: slices.joined(separator: ", "), field: nil,
                                                reason: "frame \(PNGSequenceWriter.fileName(missing)) is missing (frames 0 to \(last) are needed)")
        }
        let out = URL(fileURLWithPath: output)
        try prepareAnimationFolder(out)
        let first = try RGBAImage(contentsOf: found[0]!)
        let animationURL = out.appendingPathComponent("animation.png")
        let animation = try APNGWriter(url: animationURL, width: first.width, height: first.height, frameCount: last + 1, frameRate: fps)
        var sinks: [FrameSink] = [animation]
        if let video, let audio {
            sinks.append(try VideoWriter(url: URL(fileURLWithPath: video), width: first.width, height: first.height, fps: fps.value,
                                         audio: URL(fileURLWithPath: audio), background: background ?? RGBColor(red: 255, green: 255, blue: 255)))
        }
        do {
            for n in 0...last {
                let src = found[n]!, dst = out.appendingPathComponent(PNGSequenceWriter.fileName(n))
                let image = n == 0 ? first : try RGBAImage(contentsOf: src)
                guard image.width == first.width, image.height == first.height else {
                    throw TalkingHeadError.invalidImage(reason: "\(src.path) is \(image.width)x\(image.height), frame 0 is \(first.width)x\(first.height)")
                }
                if src.standardizedFileURL != dst.standardizedFileURL {
                    try? FileManager.default.removeItem(at: dst)
                    try FileManager.default.copyItem(at: src, to: dst)
                }
                for sink in sinks { try sink.append(RenderedFrame(index: n, image: image, params: PoseParameters())) }
            }
            for sink in sinks { try sink.finish() }
        } catch {
            for sink in sinks { sink.abandon() }
            throw error
        }
        print("joined \(last + 1) frames from \(slices.count) folders into \(out.path) and \(animationURL.path)" + (video.map { " and \($0)" } ?? ""))
    }
}
