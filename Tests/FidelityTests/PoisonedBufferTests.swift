import Foundation
import XCTest
@testable import TalkingHead

/// Every activation buffer is filled with NaN when it is handed out and when it is given back
/// (`BufferPool.poison`). If any kernel read a value it never wrote, or any buffer were used
/// after its tensor was released, the output would hold NaN or differ from the clean run.
final class PoisonedBufferTests: XCTestCase {
    override func tearDown() {
        BufferPool.poison = false
        super.tearDown()
    }

    func testPoisonedBuffersChangeNothing() throws {
        let head = try Fixtures.head()
        let poser = head.poser
        let samples = Fixtures.weights.appendingPathComponent("samples")
        let image = try RGBAImage(contentsOf: try Fixtures.require(samples.appendingPathComponent("lambda_00.png"), hint: "run `make weights`"))
        let input = Tensor(channels: 4, height: 512, width: 512)
        modelInput(from: image, into: input.data)
        var pose = PoseParameters()
        for (i, q) in PoseParameter.allCases.enumerated() {
            // A deterministic pose that moves every parameter away from zero.
            let r = q.range
            pose[q] = r.lowerBound + (r.upperBound - r.lowerBound) * Float((i * 7919) % 97) / 96
        }

        BufferPool.poison = false
        BufferPool.shared.drain()
        let clean = poser.pose(input, decomposed: poser.decompose(input), pose: pose).array

        BufferPool.poison = true
        BufferPool.shared.drain()
        let poisoned = poser.pose(input, decomposed: poser.decompose(input), pose: pose).array
        // A second pose, now drawing on buffers the first one gave back (NaN-filled).
        let again = poser.pose(input, decomposed: poser.decompose(input), pose: pose).array
        BufferPool.poison = false

        for (label, got) in [("poisoned", poisoned), ("poisoned, recycled buffers", again)] {
            let nans = got.filter(\.isNaN).count
            XCTAssertEqual(nans, 0, "\(label): \(nans) NaN values in the output")
            XCTAssertTrue(got == clean, "\(label): output differs from the clean run")
        }
    }
}
