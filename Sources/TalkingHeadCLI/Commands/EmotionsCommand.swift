import ArgumentParser
import Foundation
import TalkingHead

struct Emotions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the emotion presets, print them as JSON, or render each one.",
        discussion: """
            The presets are the poses the live animator eases towards for each emotion label \
            (the 28 GoEmotions labels chat front ends emit). `--format json` prints them in the \
            file format `--emotions` reads (and `talking-head serve --emotions`): an object of \
            emotion -> {parameter: value}, the 45 names of `talking-head params`; SillyTavern's \
            `_index` suffix is accepted; a parameter left out is 0; an emotion the file leaves \
            out stays built-in.

            `--render DIR --image PNG` renders every preset of the character into DIR/NAME.png, \
            to judge presets of one's own.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, unifiedExpressions = "unified-expressions" }

    @Option(help: "text (a name and its non-zero parameters per line), json, or unified-expressions (each preset as VRCFaceTracking Unified Expressions weights, through the face-capture converter run backwards).")
    var format: Format = .text

    @Option(help: ArgumentHelp("A presets file of your own over the built-in ones.", valueName: "file"))
    var emotions: String?

    @Flag(help: "Clamp out-of-range values of --emotions to their range instead of refusing the file.")
    var clamp = false

    @Option(help: ArgumentHelp("Render every preset into DIR/NAME.png (needs --image).", valueName: "dir"))
    var render: String?

    @Option(help: ArgumentHelp("The character to render with --render.", valueName: "png"))
    var image: String?

    @OptionGroup var weights: WeightsOption

    func validate() throws {
        if render != nil && image == nil { throw ValidationError("--render needs --image PNG (the character)") }
        if image != nil && render == nil { throw ValidationError("--image is for --render DIR") }
    }

    func run() throws {
        let presets = try loadPresets()
        if let render, let image {
            let character = try loadCharacter(image)
            let head = try weights.load()
            let dir = URL(fileURLWithPath: render)
            try createOutputFolder(dir)
            for name in presets.names {
                let frame = try head.pose(image: character, params: presets[name]!)
                let file = dir.appendingPathComponent("\(name).png")
                try frame.write(to: file)
                print("wrote \(file.path)")
            }
            return
        }
        switch format {
        case .json:
            FileHandle.standardOutput.write(try presets.jsonData())
        case .unifiedExpressions:
            let converter = try FaceCaptureConverter()
            let object = Dictionary(uniqueKeysWithValues: presets.names.map {
                ($0, UnifiedExpressions.weights(for: presets[$0]!, converter: converter).mapValues { (Double($0) * 10_000).rounded() / 10_000 })
            })
            FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
            print()
        case .text:
            for name in presets.names {
                let pose = presets[name]!
                let set = PoseParameter.allCases.filter { pose[$0] != 0 }.map { "\($0.rawValue)=\(pose[$0])" }
                print(name.padding(toLength: 15, withPad: " ", startingAt: 0) + (set.isEmpty ? "(all 0)" : set.joined(separator: " ")))
            }
        }
    }

    private func loadPresets() throws -> EmotionPresets {
        guard let emotions else { return .builtIn }
        guard FileManager.default.fileExists(atPath: emotions) else { throw TalkingHeadError.fileNotFound(path: emotions) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: emotions))
        } catch {
            throw TalkingHeadError.io(path: emotions, reason: error.localizedDescription)
        }
        return try EmotionPresets(json: data, source: emotions, clampOutOfRange: clamp)
    }
}
