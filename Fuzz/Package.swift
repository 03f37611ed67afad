// swift-tools-version:5.9
import PackageDescription

// libFuzzer targets for the parsers of untrusted input. Built only by Scripts/fuzz.sh with
// -sanitize=fuzzer,address (libFuzzer supplies main), never by the main package.

let package = Package(
    name: "TalkingHeadFuzz",
    dependencies: [.package(name: "TalkingHead", path: "..")],
    targets: [
        // The libFuzzer driver and the checks the targets share.
        .target(name: "FuzzSupport", dependencies: [.product(name: "TalkingHead", package: "TalkingHead")]),
    ] + ["FuzzPNG", "FuzzCSV", "FuzzSafeTensors",
         "FuzzIFacialMocap", "FuzzVMC", "FuzzOpenSeeFace", "FuzzLiveLinkFace"].map {
        .executableTarget(name: $0, dependencies: ["FuzzSupport", .product(name: "TalkingHead", package: "TalkingHead")])
    }
)
