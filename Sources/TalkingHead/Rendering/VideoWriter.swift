import Foundation

/// A video with sound through the `ffmpeg` program: frames are piped to it as raw RGBA (never
/// written to disk first) and muxed with an audio file. `.mp4` = H.264 + AAC (opaque: frames
/// should be composited onto a background first), `.webm` = VP9 with alpha + Opus.
/// A `FrameSink`: `finish` waits for ffmpeg and checks it; `abandon` stops it and removes the file.
public final class VideoWriter: FrameSink {
    public enum Container: String, Sendable { case mp4, webm }

    public let url: URL
    public let container: Container
    private let process = Process()
    private let stdin = Pipe()
    private let stderrFile: URL
    private let width: Int, height: Int
    private var closed = false
    private let background: RGBColor

    /// The ffmpeg executable on PATH, or nil.
    public static func findFFmpeg(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("ffmpeg")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// The container a file name asks for (`.mp4` or `.webm`), else an error naming the file.
    public static func container(for url: URL) throws -> Container {
        guard let c = Container(rawValue: url.pathExtension.lowercased()) else {
            throw TalkingHeadError.invalidInput(source: url.path, field: nil,
                                                reason: "a video must be .mp4 (H.264 + AAC) or .webm (VP9 with alpha + Opus)")
        }
        return c
    }

    /// Starts ffmpeg writing `url` from frames of `width` x `height` at `fps` and the audio file
    /// `audio`. An MP4 has no alpha: its frames are composited onto `background` (default white).
    public init(url: URL, width: Int, height: Int, fps: Double, audio: URL?,
                background: RGBColor = RGBColor(red: 255, green: 255, blue: 255)) throws {
        self.background = background
        guard let ffmpeg = Self.findFFmpeg() else {
            throw TalkingHeadError.invalidConfiguration(
                field: "ffmpeg", reason: "the ffmpeg program is needed for video and was not found on PATH; install it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)")
        }
        self.url = url
        self.container = try Self.container(for: url)
        (self.width, self.height) = (width, height)
        var args = ["-hide_banner", "-loglevel", "error", "-y",
                    "-f", "rawvideo", "-pix_fmt", "rgba", "-s", "\(width)x\(height)", "-framerate", String(fps), "-i", "pipe:0"]
        if let audio { args += ["-i", audio.path] }
        switch container {
        case .mp4:
            args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
            if audio != nil { args += ["-c:a", "aac", "-b:a", "128k"] }
        case .webm:
            args += ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M"]
            if audio != nil { args += ["-c:a", "libopus", "-b:a", "96k"] }
        }
        args.append(url.path)
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("talking-head-ffmpeg-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: stderrFile.path, contents: nil) else {
            throw TalkingHeadError.io(path: stderrFile.path, reason: "cannot create ffmpeg's log file")
        }
        // A write to ffmpeg after it died must be an error here, not a SIGPIPE ending the program.
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = ffmpeg
        process.arguments = args
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        do { try process.run() } catch {
            throw TalkingHeadError.io(path: ffmpeg.path, reason: "could not start ffmpeg: \(error.localizedDescription)")
        }
    }

    public func append(_ frame: RenderedFrame) throws {
        guard frame.image.width == width, frame.image.height == height else {
            throw TalkingHeadError.invalidImage(reason: "video frame \(frame.image.width)x\(frame.image.height), expected \(width)x\(height)")
        }
        let image = container == .mp4 && frame.image.hasAlpha
            ? frame.image.composited(onto: background.red, background.green, background.blue) : frame.image
        do { try stdin.fileHandleForWriting.write(contentsOf: Data(image.pixels)) } catch {
            throw TalkingHeadError.io(path: url.path, reason: "ffmpeg stopped taking frames: \(ffmpegMessage())")
        }
    }

    public func finish() throws {
        guard !closed else { return }
        closed = true
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: stderrFile) }
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(at: url)
            throw TalkingHeadError.io(path: url.path, reason: "ffmpeg failed (exit \(process.terminationStatus)): \(ffmpegMessage())")
        }
    }

    public func abandon() {
        guard !closed else { return }
        closed = true
        if process.isRunning { process.terminate() }
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.removeItem(at: stderrFile)
    }

    private func ffmpegMessage() -> String {
        let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        return String(text.trimmingCharacters(in: .whitespacesAndNewlines).suffix(400))
    }
}
