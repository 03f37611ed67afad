import Foundation
import XCTest
import TalkingHead
import TestSupport

/// The library's sequence rendering: order, sameness with `pose`, sinks, cancellation, streams.
/// Needs the converted weights (`make weights`; `TALKING_HEAD_WEIGHTS` names another folder).
final class RenderTests: TemporaryDirectoryTestCase {
    static let weights: URL = {
        if let env = ProcessInfo.processInfo.environment["TALKING_HEAD_WEIGHTS"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Weights")
    }()
    static let shared = Result { try TalkingHead(weightsDirectory: weights) }

    var head: TalkingHead { get throws { try Self.shared.get() } }
    var character: RGBAImage { get throws { try RGBAImage(contentsOf: Self.weights.appendingPathComponent("samples/lambda_00.png")) } }

    func poses(_ n: Int) -> [PoseParameters] {
        var random = SplitMix(seed: 7)
        return (0..<n).map { _ in
            var p = PoseParameters()
            for q in PoseParameter.allCases { p[q] = q.range.lowerBound + Float(random.uniform()) * (q.range.upperBound - q.range.lowerBound) }
            return p
        }
    }

    func testFramesComeInOrderAndEqualSinglePoses() throws {
        let head = try head, image = try character, poses = poses(3)
        var seen: [RenderedFrame] = []
        var reports: [Int] = []
        let done = try head.render(image: image, poses: poses, options: RenderOptions(framesInFlight: 2),
                                   progress: { reports.append($0.done) }) { seen.append($0) }
        XCTAssertEqual(done, 3)
        XCTAssertEqual(seen.map(\.index), [0, 1, 2])
        XCTAssertEqual(reports, [1, 2, 3])
        for (k, frame) in seen.enumerated() {
            XCTAssertEqual(frame.params, poses[k])
            XCTAssertEqual(frame.image, try head.pose(image: image, params: poses[k]), "frame \(k)")
        }
    }

    func testBackgroundIsComposited() throws {
        let head = try head, image = try character
        var frame: RenderedFrame?
        try head.render(image: image, poses: poses(1), options: RenderOptions(background: RGBColor(parsing: "green"))) { frame = $0 }
        let pixels = try XCTUnwrap(frame).image.pixels
        XCTAssertEqual(Array(pixels[0..<4]), [0, 255, 0, 255], "a transparent corner becomes opaque green")
    }

    func testCancellationStopsAndAbandonsTheSinks() throws {
        let head = try head, image = try character
        let cancellation = RenderCancellation()
        let folder = PNGSequenceWriter(directory: dir)
        let apngURL = dir.appendingPathComponent("animation.png")
        let apng = try APNGWriter(url: apngURL, width: head.outputSize, height: head.outputSize, frameCount: 4, fps: 25)
        XCTAssertThrowsError(try head.render(image: image, poses: poses(4), into: [folder, apng], cancellation: cancellation,
                                             progress: { if $0.done == 1 { cancellation.cancel() } })) { error in
            guard case TalkingHeadError.cancelled(let done, let total) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(total, 4)
            XCTAssertLessThan(done, 4)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: apngURL.path), "an abandoned animation is never renamed into place")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertTrue(left.allSatisfy { $0.hasSuffix(".png") && $0 != "animation.png" }, "no temporary file left: \(left)")
        XCTAssertEqual(left.count, folder.written)
    }

    func testAnErrorFromTheConsumerStopsTheRender() throws {
        struct Refused: Error {}
        let head = try head, image = try character
        var calls = 0
        XCTAssertThrowsError(try head.render(image: image, poses: poses(4)) { _ in calls += 1; throw Refused() }) {
            XCTAssertTrue($0 is Refused, "\($0)")
        }
        XCTAssertEqual(calls, 1)
    }

    func testFramesStream() async throws {
        let head = try head, image = try character
        var indices: [Int] = []
        for try await frame in head.frames(image: image, poses: poses(2)) { indices.append(frame.index) }
        XCTAssertEqual(indices, [0, 1])
    }

    func testConfigurationFromEnvironment() throws {
        var c = try TalkingHead.Configuration(environment: ["TALKING_HEAD_THREADS": "1", "TALKING_HEAD_MAX_VECTOR_LEVEL": "avx2",
                                                            "TALKING_HEAD_HUGE_PAGES": "0"])
        XCTAssertEqual(c.threads, 1)
        XCTAssertEqual(c.maxVectorLevel, .avx2)
        XCTAssertLessThanOrEqual(c.vectorLevel, .avx2)
        XCTAssertFalse(c.hugePages)
        XCTAssertThrowsError(try TalkingHead.Configuration(environment: ["TALKING_HEAD_THREADS": "zero"])) {
            XCTAssertTrue("\($0)".contains("TALKING_HEAD_THREADS"), "\($0)")
        }
        XCTAssertThrowsError(try TalkingHead.Configuration(environment: ["TALKING_HEAD_MAX_VECTOR_LEVEL": "sse9"])) {
            XCTAssertTrue("\($0)".contains("TALKING_HEAD_MAX_VECTOR_LEVEL"), "\($0)")
        }
        c.threads = 0
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("threads"), "\($0)") }
    }
}
