import CKernels
import Foundation

extension Activation {
    /// The activation as th_scale_shift and th_depthwise_band take it: 0 identity, 1 relu,
    /// 2 leaky relu (with its slope), -1 none of these.
    var scaleShiftCode: (act: Int32, slope: Float) {
        switch self {
        case .identity: return (0, 0)
        case .relu: return (1, 0)
        case .leakyReLU(let s): return (2, s)
        default: return (-1, 0)
        }
    }
}

/// The instance norm of a channel as y = x * scale + shift (before the activation).
@inline(__always)
func normScaleShift(mean: Double, variance: Double, gamma: Float, beta: Float, eps: Float) -> (scale: Float, shift: Float) {
    let invStd = 1 / (variance + Double(eps)).squareRoot()
    return (Float(invStd * Double(gamma)), Float(Double(beta) - mean * invStd * Double(gamma)))
}

extension KernelContext {
    /// Instance normalisation with affine parameters, fused with an activation, in place:
    /// x[c, plane] = act((x - mean_c) / sqrt(var_c + eps) * gamma[c] + beta[c]),
    /// biased variance over the plane, as `torch.nn.InstanceNorm2d(affine=True)` (eps 1e-5).
    /// Statistics are accumulated in double, two passes (no cancellation on offset inputs).
    ///
    /// `statistics`, when given, holds each channel's mean and biased variance over the plane
    /// (`[mean_0 ..., variance_0 ...]`, 2 x channels, as `separableConv2d` gathers them while the
    /// values are in cache): then only the normalising pass runs.
    func instanceNorm(
        _ x: UnsafeMutablePointer<Float>, channels: Int, plane: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        eps: Float = 1e-5, activation: Activation = .identity, statistics: UnsafePointer<Double>? = nil
    ) {
        parallelFor(channels) { c in
            let p = x + c * plane
            let mean: Double, variance: Double
            if let statistics {
                (mean, variance) = (statistics[c], statistics[channels + c])
            } else {
                (mean, variance) = meanAndVariance(p, count: plane)
            }
            let (scale, shift) = normScaleShift(mean: mean, variance: variance, gamma: gamma[c], beta: beta[c], eps: eps)
            scaleShift(p, p, count: plane, scale: scale, shift: shift, activation: activation)
        }
    }

    /// dst[i] = act(src[i] * scale + shift) (+ residual[i]) for i < count; src may be dst. The
    /// normalising pass of `instanceNorm`, and the same arithmetic when a deferred norm is applied
    /// while copying (`DeferredTensor`), so both give the same bits.
    @inline(__always)
    func scaleShift(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float,
                    activation: Activation, residual: UnsafePointer<Float>? = nil) {
        scaleShiftRows(src, sourceStride: count, dst, destinationStride: count, rows: 1, count: count, scale: scale,
                       shift: shift, activation: activation, residual: residual)
    }

    /// `scaleShift` on `rows` rows of `count` floats, `sourceStride` (source and residual) and
    /// `destinationStride` floats apart.
    @inline(__always)
    func scaleShiftRows(_ src: UnsafePointer<Float>, sourceStride: Int, _ dst: UnsafeMutablePointer<Float>,
                        destinationStride: Int, rows: Int, count: Int, scale: Float, shift: Float,
                        activation: Activation, residual: UnsafePointer<Float>? = nil) {
        let (act, slope) = activation.scaleShiftCode
        if act >= 0 && th_scale_shift(cLevel, src, sourceStride, dst, destinationStride, rows, count,
                                      scale, shift, act, slope, residual) != 0 { return }
        for r in 0..<rows {
            let (s, d) = (src + r * sourceStride, dst + r * destinationStride)
            switch activation {
            case .identity:
                for j in 0..<count { d[j] = s[j] * scale + shift }
            case .relu:
                for j in 0..<count { let v = s[j] * scale + shift; d[j] = v > 0 ? v : 0 }
            case .leakyReLU(let slope):
                for j in 0..<count { let v = s[j] * scale + shift; d[j] = v > 0 ? v : v * slope }
            default:
                for j in 0..<count { d[j] = activation.apply(s[j] * scale + shift) }
            }
            if let residual {
                let res = residual + r * sourceStride
                for j in 0..<count { d[j] = res[j] + d[j] }
            }
        }
    }

    /// Mean and biased variance of `count` floats, two passes accumulated in double: the sum, then
    /// the squared deviations from the float mean, corrected for that mean's rounding.
    @inline(__always)
    func meanAndVariance(_ p: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double) {
        var (m, v) = (0.0, 0.0)
        if th_moments(cLevel, p, count, &m, &v) != 0 { return (m, v) }
        let mean = blockSum(p, count: count) / Double(count)
        let (acc, corr) = blockSquaredDeviations(p, count: count, mean: Float(mean))
        return (mean, max(0, (acc - corr * corr / Double(count)) / Double(count)))
    }
}

/// Merges the statistics of two disjoint parts of a sample (count, mean, biased variance each),
/// Chan et al.'s pairwise update.
@inline(__always)
func mergeStatistics(_ a: (n: Double, mean: Double, variance: Double),
                     _ b: (n: Double, mean: Double, variance: Double)) -> (n: Double, mean: Double, variance: Double) {
    let n = a.n + b.n
    guard a.n > 0 else { return b }
    let delta = b.mean - a.mean
    let m2 = a.variance * a.n + b.variance * b.n + delta * delta * a.n * b.n / n
    return (n, a.mean + delta * b.n / n, m2 / n)
}

/// Sum of `count` floats: 8-lane float partial sums over blocks of 1024, added in double.
@inline(__always)
func blockSum(_ p: UnsafePointer<Float>, count: Int) -> Double {
    let raw = UnsafeRawPointer(p)
    var total = 0.0
    var i = 0
    while i < count {
        let end = min(count, i + 1024)
        var v = SIMD8<Float>(repeating: 0)
        var j = i
        while j + 8 <= end {
            v += raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        var s = v.sum()
        while j < end { s += p[j]; j += 1 }
        total += Double(s)
        i = end
    }
    return total
}

/// (sum of (x - mean)^2, sum of (x - mean)) over `count` floats, blocks accumulated in double.
@inline(__always)
func blockSquaredDeviations(_ p: UnsafePointer<Float>, count: Int, mean: Float) -> (Double, Double) {
    let raw = UnsafeRawPointer(p)
    let m = SIMD8<Float>(repeating: mean)
    var squares = 0.0
    var deviations = 0.0
    var i = 0
    while i < count {
        let end = min(count, i + 1024)
        var sq = SIMD8<Float>(repeating: 0)
        var dv = SIMD8<Float>(repeating: 0)
        var j = i
        while j + 8 <= end {
            let d = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - m
            sq += d * d
            dv += d
            j += 8
        }
        var s = sq.sum()
        var t = dv.sum()
        while j < end { let d = p[j] - mean; s += d * d; t += d; j += 1 }
        squares += Double(s)
        deviations += Double(t)
        i = end
    }
    return (squares, deviations)
}

/// One channel's deferred instance norm: y = activation(x * scale + shift).
struct RowNorm {
    let scale: Float
    let shift: Float
    let activation: Activation
}

extension KernelContext {
    /// dst[0..<count] = src[0..<count], with `norm` applied when given.
    @inline(__always)
    func copyRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, norm: RowNorm?) {
        if let norm {
            scaleShift(src, dst, count: count, scale: norm.scale, shift: norm.shift, activation: norm.activation)
        } else {
            dst.update(from: src, count: count)
        }
    }
}
