import Foundation
import XCTest
@testable import TalkingHead
import TestSupport

/// Model detection, structure inference and strict loading of THA v1 weights; a full-size
/// random-weight model (shapes from Weights/tha1-full-size-shapes.json) that loads and poses.
final class V1LoadingTests: TemporaryDirectoryTestCase {
    func fixtureShapes(_ network: String) throws -> [String: [Int]] {
        try SafeTensorsFile(contentsOf: V1Fixtures.weights(network)).entries.mapValues(\.shape)
    }

    func writeSmallModel(changing network: String = "", _ change: (inout [String: [Int]]) -> Void = { _ in }) throws {
        for (i, n) in V1Fixtures.networks.enumerated() {
            var shapes = try fixtureShapes(n)
            if n == network { change(&shapes) }
            try writeRandomV1Network(n, shapes: shapes, seed: UInt64(i + 1), imageSize: 64, to: dir)
        }
    }

    func assertLoadFails(_ check: (TalkingHeadError) -> Void, line: UInt = #line) {
        XCTAssertThrowsError(try TalkingHead(weightsDirectory: dir), line: line) { error in
            guard let e = error as? TalkingHeadError else { return XCTFail("unexpected \(error)", line: line) }
            print("refused: \(e)")
            check(e)
        }
    }

    func testFolderWithNeitherModelIsNamed() throws {
        assertLoadFails { XCTAssertTrue("\($0)".contains(self.dir.path) && "\($0)".contains("neither")) }
        // face_morpher alone is a file name of both models.
        try FileManager.default.copyItem(at: V1Fixtures.weights("face_morpher"), to: dir.appendingPathComponent("face_morpher.safetensors"))
        assertLoadFails { XCTAssertTrue("\($0)".contains(self.dir.path) && "\($0)".contains("neither")) }
        let missing = dir.appendingPathComponent("nothing-here")
        XCTAssertThrowsError(try TalkingHead(weightsDirectory: missing)) {
            XCTAssertEqual($0 as? TalkingHeadError, .fileNotFound(path: missing.path))
        }
    }

    func testFolderWithBothModelsIsRefused() throws {
        try writeSmallModel()
        try writeSafeTensors([("a", [1], [0])], to: dir.appendingPathComponent("editor.safetensors"))
        assertLoadFails { XCTAssertTrue("\($0)".contains("both") && "\($0)".contains("editor.safetensors")) }
    }

    func testMissingV1FileIsNamed() throws {
        try writeSmallModel()
        let url = dir.appendingPathComponent("two_algo_face_rotator.safetensors")
        try FileManager.default.removeItem(at: url)
        assertLoadFails { XCTAssertEqual($0, .fileNotFound(path: url.path)) }
    }

    func testStrictLoading() throws {
        let morpher = dir.appendingPathComponent("face_morpher.safetensors").path
        let combiner = dir.appendingPathComponent("combiner.safetensors").path
        try writeSmallModel(changing: "face_morpher") { $0["main_body.module_list.5.1.bias"] = nil }
        assertLoadFails { XCTAssertEqual($0, .missingTensor(path: morpher, key: "main_body.module_list.5.1.bias")) }
        try writeSmallModel(changing: "face_morpher") { $0["main_body.module_list.3.conv2.weight"] = [32, 32, 5, 5] }
        assertLoadFails {
            XCTAssertEqual($0, .shapeMismatch(path: morpher, key: "main_body.module_list.3.conv2.weight",
                                              expected: [32, 32, 3, 3], found: [32, 32, 5, 5]))
        }
        try writeSmallModel(changing: "combiner") { $0["retouch_color_change.1.weight"] = [4] }
        assertLoadFails { XCTAssertEqual($0, .unexpectedTensor(path: combiner, key: "retouch_color_change.1.weight")) }
        // Upsampling weights in the transposed layout [cin, cout, 4, 4]: swapped is an error.
        try writeSmallModel(changing: "combiner") { $0["main_body.upsampling_modules.2.0.weight"] = [16, 32, 4, 4] }
        assertLoadFails {
            XCTAssertEqual($0, .shapeMismatch(path: combiner, key: "main_body.upsampling_modules.2.0.weight",
                                              expected: [32, 16, 4, 4], found: [16, 32, 4, 4]))
        }
        // A network file under another network's name.
        try writeSmallModel()
        try FileManager.default.removeItem(atPath: combiner)
        try FileManager.default.copyItem(at: V1Fixtures.weights("face_morpher"), to: URL(fileURLWithPath: combiner))
        assertLoadFails { XCTAssertEqual($0, .missingTensor(path: combiner, key: "main_body.downward_modules.0.0.weight")) }
    }

    /// Other configurations of the upstream specs load: more levels, no residual blocks, wider.
    func testOtherConfigurationsLoadAndPose() throws {
        for (channels, levels, blocks, size) in [(4, 3, 0, 32), (6, 1, 3, 16), (8, 2, 1, 24)] {
            let d = dir.appendingPathComponent("c\(channels)l\(levels)b\(blocks)")
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for (i, n) in V1Fixtures.networks.enumerated() {
                try writeRandomV1Network(n, shapes: v1Shapes(n, channels: channels, levels: levels, blocks: blocks),
                                         seed: UInt64(10 + i), imageSize: size, to: d)
            }
            let head = try TalkingHead(weightsDirectory: d)
            XCTAssertEqual(head.outputSize, size)
            guard case .tha1(let poser) = head.backend else { return XCTFail() }
            XCTAssertEqual(poser.morpher.body.levels, levels)
            XCTAssertEqual(poser.combiner.body.bottleneck.count, blocks)
            var params = PoseParameters()
            params[.neckZ] = -0.4
            let out = try head.pose(image: try v1TestImage(size: size), params: params)
            XCTAssertEqual([out.width, out.height], [size, size])
        }
    }

    /// Same key -> shape map as the upstream specs would build (image channels 4, pose 3).
    func v1Shapes(_ network: String, channels c: Int, levels: Int, blocks: Int) -> [String: [Int]] {
        var s: [String: [Int]] = [:]
        func block(_ key: String, _ weight: [Int], _ cout: Int) {
            s["\(key).0.weight"] = weight; s["\(key).1.weight"] = [cout]; s["\(key).1.bias"] = [cout]
        }
        func resnet(_ key: String, _ ch: Int) {
            for i in 1...2 {
                s["\(key).conv\(i).weight"] = [ch, ch, 3, 3]; s["\(key).norm\(i).weight"] = [ch]; s["\(key).norm\(i).bias"] = [ch]
            }
        }
        if network == "combiner" {
            let k = "main_body"
            block("\(k).downward_modules.0", [c, 11, 7, 7], c)
            for l in 1...levels { block("\(k).downward_modules.\(l)", [c << l, c << (l - 1), 4, 4], c << l) }
            for b in 0..<blocks { resnet("\(k).bottleneck_modules.\(b)", c << levels) }
            block("\(k).upsampling_modules.0", [c, 2 * c, 7, 7], c)
            for i in 1...levels {
                block("\(k).upsampling_modules.\(i)", [i == levels ? c << levels : 2 * (c << i), c << (i - 1), 4, 4], c << (i - 1))
            }
            for h in ["combine_alpha_mask", "retouch_alpha_mask", "retouch_color_change"] { s["\(h).0.weight"] = [4, c, 7, 7] }
            return s
        }
        let k = "main_body.module_list"
        var i = 0
        block("\(k).0", [c, 7, 7, 7], c)
        for l in 1...max(1, levels) where levels > 0 { i += 1; block("\(k).\(i)", [c << l, c << (l - 1), 4, 4], c << l) }
        for _ in 0..<blocks { i += 1; resnet("\(k).\(i)", c << levels) }
        for l in stride(from: levels, to: 0, by: -1) { i += 1; block("\(k).\(i)", [c << l, c << (l - 1), 4, 4], c << (l - 1)) }
        if network == "face_morpher" {
            s["color_change.0.weight"] = [4, c, 7, 7]; s["alpha_mask.0.weight"] = [4, c, 7, 7]
        } else {
            s["pumarola_color_change.0.weight"] = [4, c, 7, 7]; s["pumarola_alpha_mask.0.weight"] = [4, c, 7, 7]
            s["zhou_grid_change.weight"] = [2, c, 7, 7]
        }
        return s
    }

    func testShapeGeneratorMatchesFixturesAndFullSize() throws {
        let full = try fullSizeShapes()
        for n in V1Fixtures.networks {
            XCTAssertEqual(v1Shapes(n, channels: 8, levels: 2, blocks: 2), try fixtureShapes(n), n)
            XCTAssertEqual(v1Shapes(n, channels: 64, levels: 3, blocks: 6), full[n], n)
        }
    }

    func fullSizeShapes() throws -> [String: [String: [Int]]] {
        let url = V1Fixtures.repository.appendingPathComponent("Weights/tha1-full-size-shapes.json")
        return try JSONDecoder().decode([String: [String: [Int]]].self, from: Data(contentsOf: url))
    }

    /// The real 256x256 configuration with random weights: loads through the public entry point
    /// (no image_size metadata: 256 by default), poses a 256x256 image; prints the time per pose.
    func testFullSizeRandomModel() throws {
        let full = try fullSizeShapes()
        XCTAssertEqual(full.mapValues(\.count), ["face_morpher": 59, "two_algo_face_rotator": 60, "combiner": 63])
        for (i, n) in V1Fixtures.networks.enumerated() {
            try writeRandomV1Network(n, shapes: full[n]!, seed: UInt64(100 + i), to: dir)
        }
        let head = try TalkingHead(weightsDirectory: dir)
        XCTAssertEqual(head.model, .tha1)
        XCTAssertEqual(head.outputSize, 256)
        guard case .tha1(let poser) = head.backend else { return XCTFail() }
        XCTAssertEqual(poser.morpher.body.levels, 3)
        XCTAssertEqual(poser.combiner.body.bottleneck.count, 6)

        // The tensor result: right shape, finite.
        let input = Tensor(channels: 4, height: 256, width: 256)
        modelInput(from: try v1TestImage(size: 256), into: input.data)
        let out = poser.pose(input, pose: [0.3, -0.5, 0.2, 1, 0, 0.6])
        XCTAssertEqual([out.channels, out.height, out.width], [4, 256, 256])
        XCTAssertFalse(out.array.contains { !$0.isFinite })

        var params = PoseParameters()
        params[.headX] = 0.3; params[.headY] = -0.5; params[.eyeWinkLeft] = 1; params[.mouthAaa] = 0.6
        let image = try v1TestImage(size: 256)
        var times: [Double] = []
        for _ in 0..<2 {
            let start = Date()
            let posed = try head.pose(image: image, params: params)
            times.append(Date().timeIntervalSince(start))
            XCTAssertEqual([posed.width, posed.height], [256, 256])
        }
        print(String(format: "full-size THA v1 (random weights): %.2f s per pose (best of %d: %@)", times.min()!, times.count,
                      times.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
    }
}
