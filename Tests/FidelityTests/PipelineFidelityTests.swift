import Foundation
import XCTest
@testable import TalkingHead

/// The whole pipeline, PNG in to PNG out, against upstream's 8-bit images for every fixture
/// character and pose. Thresholds: at most 3 levels apart in any channel, and at most 0.1% of
/// channel values more than 1 level apart.
final class PipelineFidelityTests: XCTestCase {
    func testFinalImagesMatchUpstream() throws {
        let head = try Fixtures.head()
        let poseFile = try Fixtures.poses()
        XCTAssertEqual(poseFile.names, PoseParameter.allCases.map(\.rawValue), "parameter order differs from upstream")
        let finalDir = try Fixtures.require(Fixtures.generated.appendingPathComponent("final"), hint: "run `make fixtures`")
        let characters = try FileManager.default.contentsOfDirectory(atPath: finalDir.path).sorted()
        XCTAssertGreaterThanOrEqual(characters.count, 2)
        var worstLevel = 0
        var worstFraction = 0.0
        var images = 0
        for character in characters {
            let dir = finalDir.appendingPathComponent(character)
            let input = try RGBAImage(contentsOf: dir.appendingPathComponent("input.png"))
            for (k, pose) in poseFile.poses.enumerated() {
                let expected = try RGBAImage(contentsOf: dir.appendingPathComponent(String(format: "%03d.png", k)))
                let got = try head.pose(image: input, params: PoseParameters(values: pose.values))
                XCTAssertEqual(got.width, expected.width)
                var maxLevel = 0
                var overOne = 0
                for i in 0..<got.pixels.count {
                    let d = abs(Int(got.pixels[i]) - Int(expected.pixels[i]))
                    maxLevel = max(maxLevel, d)
                    if d > 1 { overOne += 1 }
                }
                let fraction = Double(overOne) / Double(got.pixels.count)
                worstLevel = max(worstLevel, maxLevel)
                worstFraction = max(worstFraction, fraction)
                images += 1
                XCTAssertLessThanOrEqual(maxLevel, 3, "\(character) \(pose.name): \(maxLevel) levels apart")
                XCTAssertLessThanOrEqual(fraction, 0.001, "\(character) \(pose.name): \(fraction * 100)% of values > 1 level apart")
            }
        }
        print(String(format: "pipeline fidelity: %d images, worst max difference %d levels, worst share > 1 level %.4f%%",
                     images, worstLevel, worstFraction * 100))
    }
}
