import Foundation
import XCTest
@testable import TalkingHead

/// Each network, given exactly the inputs upstream gave it during a pose, against upstream's
/// outputs (every output index). Threshold: 1e-3 max absolute difference.
final class NetworkFidelityTests: XCTestCase {
    static let tolerance: Float = 1e-3

    func fixtureFiles() throws -> [URL] {
        let dir = try Fixtures.require(Fixtures.generated.appendingPathComponent("networks"), hint: "run `make fixtures`")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "safetensors" }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(files.count, 4, "expected per-network fixtures for 2 characters x 2 poses")
        return files
    }

    func check(_ outputs: [Tensor], _ file: SafeTensorsFile, _ network: String, _ fixture: String) throws {
        var line = "\(fixture) \(network):"
        for (i, out) in outputs.enumerated() {
            let expected = try fixtureTensor(file, "\(network).out.\(i)")
            let d = maxAbsDifference(out, expected, "\(fixture) \(network) output \(i)")
            line += String(format: " %d:%.2e", i, d)
            XCTAssertLessThanOrEqual(d, Self.tolerance, "\(fixture) \(network) output \(i): max abs difference \(d)")
        }
        print(line)
    }

    func testEveryNetworkMatchesUpstream() throws {
        let poser = try Fixtures.head().poser
        for url in try fixtureFiles() {
            let f = try SafeTensorsFile(contentsOf: url)
            let name = url.deletingPathExtension().lastPathComponent
            func t(_ k: String) throws -> Tensor { try fixtureTensor(f, k) }

            let dec = poser.decomposer(try t("eyebrow_decomposer.in.0"))
            try check(dec.all, f, "eyebrow_decomposer", name)

            let comb = poser.combiner(backgroundLayer: try t("eyebrow_morphing_combiner.in.0"),
                                      eyebrowLayer: try t("eyebrow_morphing_combiner.in.1"),
                                      pose: try t("eyebrow_morphing_combiner.in.2").array)
            try check(comb.all, f, "eyebrow_morphing_combiner", name)

            let morph = poser.morpher(try t("face_morpher.in.0"), pose: try t("face_morpher.in.1").array)
            try check(morph.all, f, "face_morpher", name)

            let rot = poser.rotator(try t("two_algo_face_body_rotator.in.0"),
                                    pose: try t("two_algo_face_body_rotator.in.1").array)
            try check(rot.all, f, "two_algo_face_body_rotator", name)
            // The poser's path, without the direct image's head: the same outputs 1 and 2.
            let warp = poser.rotator.warp(try t("two_algo_face_body_rotator.in.0"),
                                          pose: try t("two_algo_face_body_rotator.in.1").array)
            XCTAssertEqual(warp.warpedImage.array.map(\.bitPattern), rot.warpedImage.array.map(\.bitPattern), "\(name) rotator warp")
            XCTAssertEqual(warp.gridChange.array.map(\.bitPattern), rot.gridChange.array.map(\.bitPattern), "\(name) rotator grid")

            let ed = poser.editor(originalImage: try t("editor.in.0"), warpedImage: try t("editor.in.1"),
                                  gridChange: try t("editor.in.2"), pose: try t("editor.in.3").array)
            try check(ed.all, f, "editor", name)

            // The whole float pipeline from the converted input image.
            let image = try t("image")
            let out = poser.pose(image, decomposed: poser.decompose(image),
                                 pose: PoseParameters(values: try t("pose").array))
            let d = maxAbsDifference(out, try t("pipeline.output"), "\(name) pipeline")
            print(String(format: "%@ pipeline (float, [-1,1]): %.2e", name, d))
            XCTAssertLessThanOrEqual(d, Self.tolerance, "\(name) pipeline: max abs difference \(d)")
        }
    }

    func testImageConversionMatchesUpstream() throws {
        // The converted model input of the PNG upstream was given equals upstream's tensor.
        for url in try fixtureFiles() {
            let f = try SafeTensorsFile(contentsOf: url)
            let character = url.deletingPathExtension().lastPathComponent.components(separatedBy: "_").prefix(2).joined(separator: "_")
            let png = Fixtures.generated.appendingPathComponent("final/\(character)/input.png")
            let image = try RGBAImage(contentsOf: png)
            let input = Tensor(channels: 4, height: 512, width: 512)
            modelInput(from: image, into: input.data)
            let d = maxAbsDifference(input, try fixtureTensor(f, "image"), "input conversion")
            XCTAssertEqual(d, 0, "\(url.lastPathComponent): model input differs from upstream by \(d)")
        }
    }
}
