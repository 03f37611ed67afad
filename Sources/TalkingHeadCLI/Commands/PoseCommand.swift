import ArgumentParser
import Foundation
import TalkingHead

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

    func validate() throws {
        _ = try poseParameters(from: settings, clamp: clamp)
    }

    func run() throws {
        let params = try poseParameters(from: settings, clamp: clamp)
        let character = try loadCharacter(image)
        let head = try weights.load()
        let frame = try head.pose(image: character, params: params)
        try frame.write(to: URL(fileURLWithPath: output))
        print("wrote \(output)")
    }
}
