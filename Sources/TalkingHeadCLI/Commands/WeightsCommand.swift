import ArgumentParser
import Foundation
import TalkingHead

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
