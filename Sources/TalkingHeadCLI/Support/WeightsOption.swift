import ArgumentParser
import Foundation
import TalkingHead

/// `--weights DIR`, shared by the commands that load the networks.
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

    /// The networks, with the configuration `TALKING_HEAD_*` describes.
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
