// swift-tools-version:5.10
import PackageDescription

// MARK: - Package

let package = Package(
    name: "TalkingHead",
    products: [
        .library(name: "TalkingHead", targets: ["TalkingHead"]),
        .executable(name: "talking-head", targets: ["TalkingHeadCLI"]),
    ] + speechProducts + serverProducts,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ] + speechPackages + serverPackages,
    targets: systemLibraries + library + executables + tests + speechTargets + serverTargets
)

// MARK: - System libraries (apt: libopenblas-dev, libpng-dev)

var systemLibraries: [Target] {
    [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
    ]
}

// MARK: - Library

var library: [Target] {
    [
        // AVX2 / AVX-512 inner loops, chosen at run time (function target attributes, no flags).
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "TalkingHead", dependencies: ["CBLAS", "CPNG", "CKernels"]),
    ]
}

// MARK: - Executables

var executables: [Target] {
    [
        .executableTarget(
            name: "TalkingHeadCLI",
            dependencies: [
                "TalkingHead",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + speechCLIDependencies + serverCLIDependencies),
    ]
}

// MARK: - Tests (split by kind)

var tests: [Target] {
    [
        // Helpers shared by the test targets: PRNG, PNG chunks, temporary folders, differences.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Kernels against naive loops and against PyTorch fixtures (committed, small).
        .testTarget(name: "KernelTests", dependencies: ["TalkingHead", "CKernels", "TestSupport"],
                    exclude: ["Fixtures"]),
        // Loading: safetensors reader on tiny generated files, malformed ones included.
        .testTarget(name: "LoadingTests", dependencies: ["TalkingHead", "TestSupport"]),
        // Images, pose parameters, CSV.
        .testTarget(name: "IOTests", dependencies: ["TalkingHead", "TestSupport"]),
        // Rendering sequences through the library (sinks, cancellation, streams), real weights.
        .testTarget(name: "RenderingTests", dependencies: ["TalkingHead", "TestSupport"]),
        // Networks and the whole pipeline against the upstream implementation, real weights.
        .testTarget(name: "FidelityTests", dependencies: ["TalkingHead"]),
        // THA v1: networks and chain vs upstream random-weight fixtures (Tests/Fixtures/tha1,
        // committed, read via #filePath), loading, a full-size random-weight model.
        .testTarget(name: "V1Tests", dependencies: ["TalkingHead", "TestSupport"]),
        // Animator (seeded motion, blinks, mouth, capture), settings and emotion presets.
        .testTarget(name: "AnimationTests", dependencies: ["TalkingHead"]),
        // Face capture: the converter vs upstream's converter 25 (fixtures made by
        // Tests/Fixtures/make_capture_fixtures.py, `make capture-fixtures`), Live Link Face CSV,
        // Unified Expressions, packet parsers, the UDP listener on loopback.
        .testTarget(name: "CaptureTests", dependencies: ["TalkingHead", "TestSupport"], exclude: ["Generated"]),
    ]
}

// MARK: - Speech: TalkingHeadSpeech (libsndfile, a resampler, FFT, espeak-ng), its tests

var speechProducts: [Product] {
    [.library(name: "TalkingHeadSpeech", targets: ["TalkingHeadSpeech"])]
}
var speechPackages: [Package.Dependency] { [] }
var speechTargets: [Target] {
    [
        .systemLibrary(name: "CSndFile", path: "Sources/CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSoxr", path: "Sources/CSoxr", pkgConfig: "soxr",
                       providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CEspeakNG", path: "Sources/CEspeakNG", pkgConfig: "espeak-ng",
                       providers: [.apt(["libespeak-ng-dev"])]),
        // Lip sync from audio (a trained frame classifier, loudness) and text-to-speech with phoneme timing.
        .target(name: "TalkingHeadSpeech",
                dependencies: ["TalkingHead", "CSndFile", "CSoxr", "CFFTW", "CEspeakNG"],
                resources: [.copy("Resources/vowel_templates.json"), .copy("Resources/lipsync_model.json")]),
        // Audio features against naive twins (naive DFT, naive mel filters), lip sync, espeak-ng.
        .testTarget(name: "SpeechTests", dependencies: ["TalkingHeadSpeech", "TalkingHead"]),
    ]
}
var speechCLIDependencies: [Target.Dependency] { ["TalkingHeadSpeech"] }

// MARK: - Server: TalkingHeadServer (Hummingbird 2), its tests

var serverProducts: [Product] { [] }
var serverPackages: [Package.Dependency] {
    [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ]
}
var serverTargets: [Target] {
    [
        // The live server: a library so tests drive it in process (HummingbirdTesting).
        .target(
            name: "TalkingHeadServer",
            dependencies: [
                "TalkingHead", "TalkingHeadSpeech",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "TalkingHeadServer", "TalkingHead",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
    ]
}
var serverCLIDependencies: [Target.Dependency] { ["TalkingHeadServer"] }
