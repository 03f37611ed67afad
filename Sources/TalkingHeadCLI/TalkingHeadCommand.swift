import ArgumentParser
import Foundation
import TalkingHead

@main
struct TalkingHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talking-head",
        abstract: "Animate an anime character from one picture (THA3 networks on the CPU).",
        subcommands: [Animate.self, Pose.self, Params.self])
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
        return try TalkingHead(weightsDirectory: dir)
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

            Frames are written as DIR/000000.png, DIR/000001.png, ...
            """)

    @Argument(help: "The character: a PNG with a transparent background (512x512 is native).")
    var image: String

    @Argument(help: "The pose CSV, one row per frame.")
    var poses: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output folder (created if needed).", valueName: "dir"))
    var output: String

    @OptionGroup var weights: WeightsOption

    @Flag(help: "Clamp out-of-range values to their range instead of refusing the file.")
    var clamp = false

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func run() throws {
        let sequence = try PoseSequence(contentsOf: URL(fileURLWithPath: poses), clamp: clamp)
        let character = try loadCharacter(image)
        let head = try weights.load()
        let dir = URL(fileURLWithPath: output)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw TalkingHeadError.io(path: dir.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        let start = Date()
        for (i, pose) in sequence.poses.enumerated() {
            let frame = try head.pose(image: character, params: pose)
            try frame.write(to: dir.appendingPathComponent(String(format: "%06d.png", i)))
            if !quiet {
                let elapsed = Date().timeIntervalSince(start)
                FileHandle.standardError.write(Data(String(
                    format: "\rframe %d/%d  %.2f fps", i + 1, sequence.poses.count, Double(i + 1) / elapsed).utf8))
            }
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        print("wrote \(sequence.poses.count) frames to \(dir.path)")
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
