import Foundation
import XCTest
@testable import TalkingHead

/// One TalkingHead used by several threads at once gives the same bytes as sequential calls.
/// The concurrent calls run with poisoned buffers (NaN on hand-out and on return), so a buffer
/// that went back to the shared pool while still in use shows up as a wrong picture.
final class ConcurrencyTests: XCTestCase {
    override func tearDown() {
        BufferPool.poison = false
        super.tearDown()
    }

    func testConcurrentPosesEqualSequential() throws {
        let head = try Fixtures.head()
        let samples = Fixtures.weights.appendingPathComponent("samples")
        let images = try ["crypko_00", "lambda_00"].map {
            try RGBAImage(contentsOf: try Fixtures.require(samples.appendingPathComponent("\($0).png"), hint: "run `make weights`"))
        }
        var poses: [PoseParameters] = []
        for k in 0..<4 {
            // Deterministic, all parameters away from zero, different for each job.
            var p = PoseParameters()
            for (i, q) in PoseParameter.allCases.enumerated() {
                let r = q.range
                p[q] = r.lowerBound + (r.upperBound - r.lowerBound) * Float((i * 7919 + k * 104729) % 101) / 100
            }
            poses.append(p)
        }
        // Jobs alternate images so the decomposer cache is exercised under contention.
        let jobs = (0..<4).map { (images[$0 % 2], poses[$0]) }
        let sequential = try jobs.map { try head.pose(image: $0.0, params: $0.1) }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var images: [RGBAImage?]
            var failures: [String] = []
            init(_ n: Int) { images = Array(repeating: nil, count: n) }
        }
        let results = Results(jobs.count)
        BufferPool.poison = true
        let done = DispatchGroup()
        for (i, job) in jobs.enumerated() {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let image = try head.pose(image: job.0, params: job.1)
                    results.lock.lock(); results.images[i] = image; results.lock.unlock()
                } catch {
                    results.lock.lock(); results.failures.append("\(error)"); results.lock.unlock()
                }
            }
        }
        done.wait()
        BufferPool.poison = false
        let failures = results.failures
        XCTAssertEqual(failures, [])
        for i in 0..<jobs.count {
            XCTAssertEqual(results.images[i]?.pixels, sequential[i].pixels, "job \(i): concurrent result differs from sequential")
        }
    }
}
