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

    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Output PNG file (its folder is created if needed). A regular file is replaced atomically, a symbolic link's target likewise; a device or FIFO is written in place.",
        valueName: "file"))
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
        // The output's folder is created and the path checked before anything is loaded.
        let url = URL(fileURLWithPath: output)
        try OutputFile.checkWritable(url, createFolder: true)
        let head = try weights.load()
        let frame = try head.pose(image: character, params: params)
        try frame.write(to: url)
        print("wrote \(output)")
    }
}
