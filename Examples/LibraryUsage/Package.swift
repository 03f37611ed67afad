// swift-tools-version:5.9
// A separate package that uses TalkingHead by path, the way an application would.
//   cd Examples/LibraryUsage && swift run -c release LibraryUsage ../../Weights ../../Weights/samples/crypko_00.png out.png
import PackageDescription

let package = Package(
    name: "LibraryUsage",
    dependencies: [.package(name: "TalkingHead", path: "../..")],
    targets: [
        .executableTarget(name: "LibraryUsage", dependencies: [.product(name: "TalkingHead", package: "TalkingHead")]),
    ]
)
