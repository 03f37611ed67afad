import ArgumentParser
import Foundation
import TalkingHead

@main
struct TalkingHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talking-head",
        abstract: "Animate an anime character from one picture (THA3 networks on the CPU).",
        version: TalkingHeadVersion.string,
        subcommands: [Animate.self, Pose.self, Params.self, Emotions.self, Weights.self, Serve.self, Lipsync.self, Say.self, Join.self, Capture.self])

    /// Runs the command; library errors are printed with a hint of what to do (the library's
    /// messages say what and where, the command line knows which flag or make target helps).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as TalkingHeadError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            if let hint = hint(for: error) { FileHandle.standardError.write(Data("Hint: \(hint)\n".utf8)) }
            Foundation.exit(exitStatus(for: error))
        } catch {
            exit(withError: error)
        }
    }
}

/// The version `talking-head --version` prints.
enum TalkingHeadVersion {
    static let string = "0.3.0"
}
