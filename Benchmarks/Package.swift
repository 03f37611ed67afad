// swift-tools-version:5.9
import PackageDescription

// The benchmarks: kernels, layers and whole poses, with tuning knobs (internal API, hence
// `@testable import`: build with -Xswiftc -enable-testing). Not a product of the main package,
// so a plain `swift build -c release` there builds without it.
//
//   cd Benchmarks && swift build -c release -Xswiftc -enable-testing   (or `make bench`)
//   LipSyncEval: `bash Benchmarks/lipsync_eval.sh` (or `make bench-lipsync`)

let package = Package(
    name: "TalkingHeadBenchmarks",
    dependencies: [.package(name: "TalkingHead", path: "..")],
    targets: [
        .executableTarget(
            name: "TalkingHeadBenchmarks",
            dependencies: [.product(name: "TalkingHead", package: "TalkingHead")],
            path: "Sources"),
        // The lip-sync evaluation on an espeak-ng corpus and the model training data (issue 16):
        // `bash Benchmarks/lipsync_eval.sh`, not a test.
        .executableTarget(
            name: "LipSyncEval",
            dependencies: [.product(name: "TalkingHeadSpeech", package: "TalkingHead"),
                           .product(name: "TalkingHead", package: "TalkingHead")],
            path: "lipsync", exclude: ["train_model.py"]),
    ]
)
