import Foundation
import TalkingHead

/// A small time-delay network over 10 ms frames: per frame, lips open or closed and which of
/// a i u e o, from the log-mel bands and loudness of the frames around it. Trained on the
/// espeak-ng training corpus by `Benchmarks/lipsync/train_model.py` (weights in
/// Resources/lipsync_model.json); the offline model looks 80 ms both ways, the live one 20 ms ahead.
public struct FrameClassifier: Codable, Sendable, Equatable {
    /// One layer: output[t] = bias + sum over k of W_k input[clamp(t + offsets[k])], then ReLU if `relu`.
    public struct Layer: Codable, Sendable, Equatable {
        public var offsets: [Int]
        public var inputs: Int
        public var outputs: Int
        public var relu: Bool
        /// Row-major [offsets.count * inputs][outputs]: row k * inputs + i holds input i at offset k.
        public var weights: [Float]
        public var bias: [Float]
    }

    /// Inputs per frame: 26 log-mel bands and the loudness, each minus the loudness reference.
    public static let inputs = AudioFeatures.melBands + 1
    /// Outputs per frame: the logit of "open", then the logits of a i u e o.
    public static let outputs = 6

    /// Per input: subtracted, then multiplied by `inputScale`.
    public var inputMean: [Float]
    public var inputScale: [Float]
    public var layers: [Layer]
    /// P(open) at or above which a frame is open (chosen on the training part).
    public var openThreshold: Float

    /// Frames ahead of a frame that its output needs (the sum of the largest offsets).
    public var lookAheadFrames: Int { layers.map { max(0, $0.offsets.max() ?? 0) }.reduce(0, +) }

    /// The network's input for one frame (dB relative to the reference, clamped to [-60, 30]).
    static func input(logMel: [Float], loudness: Float, reference: Float) -> [Float] {
        var x = [Float](repeating: 0, count: inputs)
        for b in 0..<logMel.count { x[b] = min(30, max(-60, logMel[b] - reference)) }
        x[inputs - 1] = min(30, max(-60, loudness - reference))
        return x
    }

    /// Checks shapes and values; errors name `source` and the layer.
    func validate(source: String) throws {
        func bad(_ field: String, _ reason: String) -> TalkingHeadError {
            TalkingHeadError.invalidInput(source: source, field: field, reason: reason)
        }
        guard inputMean.count == Self.inputs, inputScale.count == Self.inputs else { throw bad("inputMean", "needs \(Self.inputs) numbers") }
        var width = Self.inputs
        for (i, l) in layers.enumerated() {
            guard !l.offsets.isEmpty, l.inputs == width, l.weights.count == l.offsets.count * l.inputs * l.outputs,
                  l.bias.count == l.outputs, l.weights.allSatisfy(\.isFinite), l.bias.allSatisfy(\.isFinite) else {
                throw bad("layers[\(i)]", "inconsistent sizes or non-finite weights")
            }
            width = l.outputs
        }
        guard width == Self.outputs, !layers.isEmpty else { throw bad("layers", "the last layer must give \(Self.outputs) outputs") }
    }
}

/// Runs a `FrameClassifier` over frames as they arrive: each layer's output for a frame is
/// computed once, as soon as the frames it reads exist (or the input has ended, when the last
/// frame stands in for those past the end, as the first does for those before the start).
final class FrameClassifierRunner {
    let model: FrameClassifier
    private var rows: [[Float]]        // per layer input (0) and outputs (1...): frames from `base[l]`
    private var base: [Int]
    private var count: [Int]           // frames computed per level
    private var ended = false
    private var acc: [Float]

    init(_ model: FrameClassifier) {
        self.model = model
        let levels = model.layers.count + 1
        rows = [[Float]](repeating: [], count: levels)
        base = [Int](repeating: 0, count: levels)
        count = [Int](repeating: 0, count: levels)
        acc = [Float](repeating: 0, count: model.layers.map(\.outputs).max() ?? 0)
    }

    /// Frames whose final output is known.
    var available: Int { count[model.layers.count] }

    /// Adds one frame's raw input (`FrameClassifier.input`), standardised here.
    func append(_ x: [Float]) {
        precondition(!ended && x.count == FrameClassifier.inputs)
        for i in 0..<x.count { rows[0].append((x[i] - model.inputMean[i]) * model.inputScale[i]) }
        count[0] += 1
        advance()
    }

    /// No more input: frames near the end read the last frame for those past it.
    func finish() {
        ended = true
        advance()
    }

    /// The outputs of frame `t` (logit of open, logits of a i u e o); t < `available`.
    func output(_ t: Int) -> ArraySlice<Float> {
        let l = model.layers.count, w = FrameClassifier.outputs
        let r = (t - base[l]) * w
        return rows[l][r..<(r + w)]
    }

    /// Forgets frames before `t` at every level except what later frames still read.
    func discard(before t: Int) {
        var keep = t
        for l in stride(from: model.layers.count, through: 0, by: -1) {
            let from = max(base[l], min(keep, count[l]))
            let width = l == 0 ? FrameClassifier.inputs : model.layers[l - 1].outputs
            if from - base[l] > 256 {
                rows[l].removeFirst((from - base[l]) * width)
                base[l] = from
            }
            if l > 0 { keep = from + min(0, model.layers[l - 1].offsets.min() ?? 0) }
        }
    }

    private func advance() {
        for (li, layer) in model.layers.enumerated() {
            let reach = max(0, layer.offsets.max() ?? 0)
            let below = count[li]
            guard below > 0 else { return }
            while count[li + 1] < below && (ended || count[li + 1] + reach < below) {
                compute(layer: li, frame: count[li + 1])
                count[li + 1] += 1
            }
        }
    }

    private func compute(layer li: Int, frame t: Int) {
        let layer = model.layers[li]
        let last = count[li] - 1, b = base[li], inW = layer.inputs
        let starts = layer.offsets.map { (max(min(last, max(0, t + $0)), b) - b) * inW }
        let n = layer.outputs
        rows[li].withUnsafeBufferPointer { src in
            acc.withUnsafeMutableBufferPointer { a in FrameClassifier.kernel(layer, src.baseAddress!, starts, a.baseAddress!) }
        }
        rows[li + 1].append(contentsOf: acc[0..<n])
    }
}

extension FrameClassifier {
    /// The outputs (logits) of every frame of `inputs` (`input(...)` per frame), all at once.
    func run(_ inputs: [[Float]]) -> [Float] {
        let n = inputs.count
        guard n > 0 else { return [] }
        var h = [Float](repeating: 0, count: n * Self.inputs)
        for t in 0..<n { for i in 0..<Self.inputs { h[t * Self.inputs + i] = (inputs[t][i] - inputMean[i]) * inputScale[i] } }
        for layer in layers {
            var out = [Float](repeating: 0, count: n * layer.outputs)
            h.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for t in 0..<n {
                        let starts = layer.offsets.map { min(n - 1, max(0, t + $0)) * layer.inputs }
                        Self.kernel(layer, src.baseAddress!, starts, dst.baseAddress! + t * layer.outputs)
                    }
                }
            }
            h = out
        }
        return h
    }

    /// One layer at one frame: `out` = bias + sum over taps of W_k src[starts[k]...], ReLU if the
    /// layer has one. Outputs in 16-wide registers, the rest one by one.
    @inline(__always)
    static func kernel(_ layer: Layer, _ src: UnsafePointer<Float>, _ starts: [Int], _ out: UnsafeMutablePointer<Float>) {
        let n = layer.outputs, inW = layer.inputs
        let vectors = n / 16
        layer.weights.withUnsafeBufferPointer { w in
            layer.bias.withUnsafeBufferPointer { bias in
                let wp = UnsafeRawPointer(w.baseAddress!)
                for g in 0..<vectors {
                    var v = UnsafeRawPointer(bias.baseAddress!).loadUnaligned(fromByteOffset: g * 64, as: SIMD16<Float>.self)
                    for (k, row) in starts.enumerated() {
                        let wk = wp + ((k * inW) * n + g * 16) * 4
                        for i in 0..<inW {
                            let xi = src[row + i]
                            if xi == 0 { continue }          // after a ReLU most inputs are 0
                            v += xi * wk.loadUnaligned(fromByteOffset: i * n * 4, as: SIMD16<Float>.self)
                        }
                    }
                    if layer.relu { v.replace(with: 0, where: v .< 0) }
                    UnsafeMutableRawPointer(out).storeBytes(of: v, toByteOffset: g * 64, as: SIMD16<Float>.self)
                }
                for o in (vectors * 16)..<n {
                    var s = bias[o]
                    for (k, row) in starts.enumerated() {
                        for i in 0..<inW { s += src[row + i] * w[(k * inW + i) * n + o] }
                    }
                    out[o] = layer.relu ? max(0, s) : s
                }
            }
        }
    }
}

/// Per frame P(open) and P(a i u e o) from the runner's logits.
@inline(__always)
func classifierProbabilities(_ z: ArraySlice<Float>) -> (open: Float, vowels: [Float]) {
    let b = z.startIndex
    let open = 1 / (1 + exp(-z[b]))
    var mx = -Float.infinity
    for k in 1..<6 { mx = max(mx, z[b + k]) }
    var p = [Float](repeating: 0, count: 5), s: Float = 0
    for k in 0..<5 { p[k] = exp(z[b + k + 1] - mx); s += p[k] }
    for k in 0..<5 { p[k] /= s }
    return (open, p)
}
