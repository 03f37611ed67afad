import Foundation

/// The nonlinearities THA3 uses.
enum Activation: Equatable, Sendable {
    case identity
    case relu
    case leakyReLU(Float)
    case sigmoid
    case tanh

    /// Applies the activation to one value (PyTorch's formulas).
    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return x > 0 ? x : 0
        case .leakyReLU(let slope): return x > 0 ? x : x * slope
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        }
    }
}

/// x[count] = activation(x) in place.
func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
    switch activation {
    case .identity:
        return
    case .relu:
        parallelRanges(count) { r in for i in r { x[i] = x[i] > 0 ? x[i] : 0 } }
    case .leakyReLU(let slope):
        parallelRanges(count) { r in for i in r { x[i] = x[i] > 0 ? x[i] : x[i] * slope } }
    case .sigmoid:
        parallelRanges(count) { r in for i in r { x[i] = 1 / (1 + expf(-x[i])) } }
    case .tanh:
        parallelRanges(count) { r in for i in r { x[i] = tanhf(x[i]) } }
    }
}
