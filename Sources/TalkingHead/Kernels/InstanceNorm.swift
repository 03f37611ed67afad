import Foundation

/// Instance normalisation with affine parameters, fused with an activation, in place:
/// x[c, plane] = act((x - mean_c) / sqrt(var_c + eps) * gamma[c] + beta[c]),
/// biased variance over the plane, as `torch.nn.InstanceNorm2d(affine=True)` (eps 1e-5).
/// Statistics are accumulated in double, two passes (no cancellation on offset inputs).
func instanceNorm(
    _ x: UnsafeMutablePointer<Float>, channels: Int, plane: Int,
    gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
    eps: Float = 1e-5, activation: Activation = .identity
) {
    parallelFor(channels) { c in
        let p = x + c * plane
        let mean = blockSum(p, count: plane) / Double(plane)
        let m = Float(mean)
        // Second pass on deviations from the float mean, corrected for its rounding.
        let (acc, corr) = blockSquaredDeviations(p, count: plane, mean: m)
        let variance = max(0, (acc - corr * corr / Double(plane)) / Double(plane))
        let invStd = 1 / (variance + Double(eps)).squareRoot()
        let scale = Float(invStd * Double(gamma[c]))
        let shift = Float(Double(beta[c]) - mean * invStd * Double(gamma[c]))
        switch activation {
        case .identity:
            for j in 0..<plane { p[j] = p[j] * scale + shift }
        case .relu:
            for j in 0..<plane { let v = p[j] * scale + shift; p[j] = v > 0 ? v : 0 }
        case .leakyReLU(let slope):
            for j in 0..<plane { let v = p[j] * scale + shift; p[j] = v > 0 ? v : v * slope }
        default:
            for j in 0..<plane { p[j] = activation.apply(p[j] * scale + shift) }
        }
    }
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
