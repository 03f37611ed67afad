import Foundation
import TalkingHead
import XCTest
@testable import TalkingHeadSpeech

/// The frame classifier's streaming runner against a hand-computed example and a naive twin
/// (each layer over the whole sequence, indices clamped), the built-in model's shape.
final class FrameClassifierTests: XCTestCase {
    private func layer(_ offsets: [Int], _ inputs: Int, _ outputs: Int, relu: Bool, _ g: inout SystemRandomNumberGenerator) -> FrameClassifier.Layer {
        FrameClassifier.Layer(offsets: offsets, inputs: inputs, outputs: outputs, relu: relu,
                              weights: (0..<(offsets.count * inputs * outputs)).map { _ in Float.random(in: -0.3...0.3, using: &g) },
                              bias: (0..<outputs).map { _ in Float.random(in: -0.1...0.1, using: &g) })
    }

    /// The naive twin: layer by layer over the whole sequence.
    private func naive(_ m: FrameClassifier, _ x: [[Float]]) -> [[Float]] {
        var h = x.map { r in r.indices.map { (r[$0] - m.inputMean[$0]) * m.inputScale[$0] } }
        for l in m.layers {
            let n = h.count
            h = (0..<n).map { t in
                (0..<l.outputs).map { o in
                    var s = l.bias[o]
                    for (k, off) in l.offsets.enumerated() {
                        let u = min(n - 1, max(0, t + off))
                        for i in 0..<l.inputs { s += l.weights[(k * l.inputs + i) * l.outputs + o] * h[u][i] }
                    }
                    return l.relu ? max(0, s) : s
                }
            }
        }
        return h
    }

    func testHandComputedOneLayerExample() {
        // output 0 = 1 x[t-1] + 2 x[t] + 3 x[t+1] + 0.5 on input 0; x0 = 1, 2, 3 (ends clamped)
        var w = [Float](repeating: 0, count: 3 * 27 * 6)
        for (k, v) in [Float(1), 2, 3].enumerated() { w[(k * 27 + 0) * 6 + 0] = v }
        let m = FrameClassifier(inputMean: [Float](repeating: 0, count: 27), inputScale: [Float](repeating: 1, count: 27),
                                layers: [.init(offsets: [-1, 0, 1], inputs: 27, outputs: 6, relu: false, weights: w,
                                               bias: [0.5, 0, 0, 0, 0, 0])], openThreshold: 0.5)
        XCTAssertNoThrow(try m.validate(source: "test"))
        XCTAssertEqual(m.lookAheadFrames, 1)
        let r = FrameClassifierRunner(m)
        for v in [Float(1), 2, 3] { r.append([v] + [Float](repeating: 0, count: 26)) }
        XCTAssertEqual(r.available, 2, "the last frame waits for the one after it or the end")
        r.finish()
        XCTAssertEqual(r.available, 3)
        XCTAssertEqual((0..<3).map { r.output($0).first! }, [9.5, 14.5, 17.5])
    }

    func testStreamingRunnerMatchesNaiveTwin() {
        var g = SystemRandomNumberGenerator()
        let m = FrameClassifier(inputMean: (0..<27).map { _ in Float.random(in: -20...0, using: &g) },
                                inputScale: (0..<27).map { _ in Float.random(in: 0.05...0.2, using: &g) },
                                layers: [layer([-2, -1, 0, 1], 27, 32, relu: true, &g), layer([-9, -3, 0, 2], 32, 16, relu: true, &g),
                                         layer([0], 16, 6, relu: false, &g)],
                                openThreshold: 0.5)
        XCTAssertEqual(m.lookAheadFrames, 3)
        for n in [1, 2, 5, 700] {
            let x = (0..<n).map { _ in (0..<27).map { _ in Float.random(in: -60...10, using: &g) } }
            let want = naive(m, x)
            let r = FrameClassifierRunner(m)
            var got: [[Float]] = []
            for t in 0..<n {
                r.append(x[t])
                // frames come out as soon as their look-ahead exists, and are final then
                XCTAssertEqual(r.available, max(0, t + 1 - m.lookAheadFrames))
                while got.count < r.available { got.append(Array(r.output(got.count))); r.discard(before: got.count) }
            }
            r.finish()
            while got.count < r.available { got.append(Array(r.output(got.count))) }
            XCTAssertEqual(got.count, n)
            let batch = m.run(x)
            for t in 0..<n {
                for o in 0..<6 {
                    XCTAssertEqual(got[t][o], want[t][o], accuracy: 1e-4, "frame \(t) of \(n), output \(o)")
                    XCTAssertEqual(batch[t * 6 + o], got[t][o], "the offline path gives the stream's numbers")
                }
            }
        }
    }

    func testBuiltInModelIsValidAndTheLiveOneLooksAtMost50msAhead() throws {
        let m = LipSyncModel.builtIn
        XCTAssertLessThanOrEqual(Double(AudioFeatures.mfccWindow / 2) / AudioFeatures.sampleRate + Double(m.live.lookAheadFrames) / 100, 0.05)
        for fps in [15.0, 25, 30, 60, 100] {
            XCTAssertLessThanOrEqual(try LipSyncStream(sampleRate: 44100, frameRate: fps).lookAhead, 0.05 + 1e-9, "\(fps) fps")
        }
        XCTAssertThrowsError(try LipSyncModel(json: Data("{\"version\":1}".utf8), source: "m.json")) { e in
            XCTAssertTrue("\(e)".contains("m.json"), "\(e)")
        }
    }
}
