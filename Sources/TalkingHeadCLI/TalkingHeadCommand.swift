import ArgumentParser
import Foundation
import TalkingHead

@main
struct TalkingHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talking-head",
        abstract: "Animate an anime character from one picture (THA3 networks on the CPU).",
        subcommands: [Animate.self, Pose.self, Params.self, Weights.self])
}

/// Options shared by the rendering commands.
struct WeightsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Folder holding the converted weights (default: $TALKING_HEAD_WEIGHTS, else ./Weights).",
        valueName: "dir"))
    var weights: String?

    var url: URL {
        if let weights { return URL(fileURLWithPath: weights) }
        if let env = ProcessInfo.processInfo.environment["TALKING_HEAD_WEIGHTS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return URL(fileURLWithPath: "Weights")
    }

    func load() throws -> TalkingHead {
        let dir = url
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw ValidationError("weights folder \(dir.path) not found: run `make weights`, or pass --weights DIR")
        }
        let configuration = try TalkingHead.Configuration(environment: ProcessInfo.processInfo.environment)
        return try TalkingHead(weightsDirectory: dir, configuration: configuration)
    }
}

/// Reads the character image, refusing images without transparency with the file's name.
func loadCharacter(_ path: String) throws -> RGBAImage {
    let image = try RGBAImage(contentsOf: URL(fileURLWithPath: path))
    guard image.hasAlpha else { throw TalkingHeadError.imageWithoutAlpha(path: path) }
    return image
}

struct Animate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one PNG per row of a pose CSV.",
        discussion: """
            POSES is a CSV file: a header of parameter names (any subset of the 45, in any order; \
            a missing one is 0; run `talking-head params` for the list), then one row of numbers \
            per frame. An optional first column named `frame` or `time` is ignored. Values must be \
            finite and within each parameter's range (see --clamp). The whole file is checked \
            before anything is rendered; errors name the file, line and column.

            Frames are written as DIR/000000.png, DIR/000001.png, ... and all of them as the
            animated PNG DIR/animation.png (plays in browsers; transparency kept unless --background).
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
        "Composite every frame onto a solid colour (a name: \(BackgroundColor.names.joined(separator: ", ")); or #rrggbb), e.g. for chroma keying.",
        valueName: "color"))
    var background: BackgroundColor?

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
        let total = sequence.poses.count
        let size = head.outputSize
        let animationURL = dir.appendingPathComponent("animation.png")
        // An animation.png from an earlier run must not outlive a render that fails: it would
        // look like this run's result. The new one appears (by rename) only when complete.
        if FileManager.default.fileExists(atPath: animationURL.path) {
            do { try FileManager.default.removeItem(at: animationURL) } catch {
                throw TalkingHeadError.io(path: animationURL.path, reason: "cannot replace: \(error.localizedDescription)")
            }
        }
        let progress = Progress(total: total, enabled: !quiet && isatty(STDERR_FILENO) != 0)
        let writer = FrameWriter()
        do {
            let animation = try APNGWriter(url: animationURL, width: size, height: size, frameCount: total, fps: fps)
            // Batches of `jobs` frames rendered concurrently, then written in order on the writer
            // thread while the next batch renders (PNG encoding is a fifth of a frame's time).
            var start = 0
            while start < total {
                let batch = Array(sequence.poses[start..<min(total, start + jobs)])
                let frames = try renderConcurrently(batch, head: head, character: character)
                let first = start
                try writer.submit {
                    for (k, frame) in frames.enumerated() {
                        try frame.write(to: dir.appendingPathComponent(String(format: "%06d.png", first + k)))
                        try animation.append(frame)
                        writer.done = first + k + 1
                        progress.update(done: first + k + 1)
                    }
                }
                start += batch.count
            }
            try writer.finish()
            try animation.finish()
        } catch {
            writer.drain()
            let done = writer.done
            progress.end()
            FileHandle.standardError.write(Data("animate: stopped after \(done) of \(total) frames; \(animationURL.path) was not written\n".utf8))
            throw error
        }
        progress.end()
        print("wrote \(total) frames to \(dir.path)/000000.png ... \(String(format: "%06d", total - 1)).png and the animation \(animationURL.path) (\(fps) fps)")
    }
}

extension Animate {
    /// The frames of `poses` (with the background, if any), rendered at the same time; the first
    /// error (in frame order) is thrown.
    func renderConcurrently(_ poses: [PoseParameters], head: TalkingHead, character: RGBAImage) throws -> [RGBAImage] {
        let results = ResultBox<RGBAImage>(count: poses.count)
        let render = { (i: Int) in
            results.set(i, Result {
                var frame = try head.pose(image: character, params: poses[i])
                if let background { frame = frame.composited(onto: background.red, background.green, background.blue) }
                return frame
            })
        }
        if poses.count == 1 { render(0) } else { DispatchQueue.concurrentPerform(iterations: poses.count, execute: render) }
        return try results.values.map { try $0!.get() }
    }
}

/// Runs write jobs one at a time on its own thread, at most one behind the caller: `submit`
/// first waits for the previous job and rethrows its error, so frames stay in order, memory
/// stays bounded, and a failed write stops the render at the next frame.
final class FrameWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "talking-head.frame-writer")
    private let group = DispatchGroup()
    private var error: Error?
    /// Frames written so far (read after `drain`/`finish`, or by the job itself).
    var done = 0

    func submit(_ job: @escaping () throws -> Void) throws {
        try finish()
        group.enter()
        queue.async {
            defer { self.group.leave() }
            do { try job() } catch { self.error = error }
        }
    }

    /// Waits for the job in flight; rethrows its error.
    func finish() throws {
        drain()
        if let error { self.error = nil; throw error }
    }

    /// Waits for the job in flight, keeping any error for `finish`.
    func drain() { group.wait() }
}

/// Results written by concurrent workers, one slot each.
final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Result<T, Error>) { lock.lock(); slots[i] = value; lock.unlock() }
    var values: [Result<T, Error>?] { lock.lock(); defer { lock.unlock() }; return slots }
}

/// Creates `dir` and its parents; the error names the part of the path that is in the way.
func createOutputFolder(_ dir: URL) throws {
    var isDir: ObjCBool = false
    var ancestor = dir
    while !FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDir), ancestor.path != "/" {
        ancestor = ancestor.deletingLastPathComponent()
    }
    if !isDir.boolValue {
        throw TalkingHeadError.io(path: dir.path, reason: "cannot create the output folder: \(ancestor.path) is a file, not a folder")
    }
    do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    } catch {
        throw TalkingHeadError.io(path: dir.path, reason: "cannot create the output folder: \(error.localizedDescription)")
    }
}

/// A solid colour given by name or as #rrggbb.
struct BackgroundColor: ExpressibleByArgument {
    static let named: [String: (UInt8, UInt8, UInt8)] = [
        "green": (0, 255, 0), "blue": (0, 0, 255), "magenta": (255, 0, 255), "black": (0, 0, 0),
        "white": (255, 255, 255), "red": (255, 0, 0), "gray": (128, 128, 128),
    ]
    static var names: [String] { named.keys.sorted() }

    var red: UInt8, green: UInt8, blue: UInt8

    init?(argument: String) {
        let text = argument.lowercased()
        if let c = Self.named[text] {
            (red, green, blue) = c
            return
        }
        guard text.hasPrefix("#"), text.count == 7, let v = UInt32(text.dropFirst(), radix: 16) else { return nil }
        (red, green, blue) = (UInt8(v >> 16), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
    }
}

/// One progress line on stderr: frames done of total, frames per second, time left.
final class Progress {
    let total: Int
    let enabled: Bool
    let start = Date()

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(done: Int) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let left = Double(total - done) / max(rate, 1e-9)
        let line = String(format: "\rframe %d/%d  %.2f fps  %.0f s left ", done, total, rate, left)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func end() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

struct Pose: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Render one posed frame.")

    @Argument(help: "The character: a PNG with a transparent background.")
    var image: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "A parameter value, NAME=VALUE (repeatable), e.g. --set head_x=0.3 --set mouth_aaa=1.", valueName: "name=value"))
    var settings: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG file.", valueName: "file"))
    var output: String

    @OptionGroup var weights: WeightsOption

    @Flag(help: "Clamp out-of-range values to their range instead of refusing them.")
    var clamp = false

    func run() throws {
        var params = PoseParameters()
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set \(setting): expected NAME=VALUE") }
            guard let p = PoseParameter(rawValue: parts[0].trimmingCharacters(in: .whitespaces)) else {
                throw TalkingHeadError.unknownParameter(name: parts[0])
            }
            guard let v = Float(parts[1].trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw ValidationError("--set \(setting): \"\(parts[1])\" is not a finite number")
            }
            if !p.range.contains(v) && !clamp {
                throw ValidationError("--set \(setting): outside the range \(p.range.lowerBound)...\(p.range.upperBound) (use --clamp)")
            }
            params[p] = min(max(v, p.range.lowerBound), p.range.upperBound)
        }
        let character = try loadCharacter(image)
        let head = try weights.load()
        let frame = try head.pose(image: character, params: params)
        try frame.write(to: URL(fileURLWithPath: output))
        print("wrote \(output)")
    }
}

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the 45 pose parameters.")

    func run() {
        print("index  name                            group           range     default")
        for (i, p) in PoseParameter.allCases.enumerated() {
            let name = p.rawValue.padding(toLength: 30, withPad: " ", startingAt: 0)
            let group = p.group.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
            let range = "\(p.range.lowerBound)..\(p.range.upperBound)".padding(toLength: 9, withPad: " ", startingAt: 0)
            print(String(format: "%5d  ", i) + "\(name)  \(group) \(range) 0")
        }
    }
}

struct Weights: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the converted weights.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the converted weights against the manifest `make weights` wrote.",
            discussion: "Every file listed in DIR/manifest.json must be present with its recorded SHA-256; the .safetensors files must also have a valid header with the recorded tensor and float counts. Exits 1 when anything differs.")

        @OptionGroup var weights: WeightsOption

        func run() throws {
            let report = try TalkingHead.verifyWeights(directory: weights.url)
            for e in report.entries { print("\(e.ok ? "ok  " : "FAIL") \(e.path): \(e.detail)") }
            let failed = report.entries.filter { !$0.ok }.count
            print("weights verify: \(report.entries.count - failed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode.failure }
        }
    }
}
