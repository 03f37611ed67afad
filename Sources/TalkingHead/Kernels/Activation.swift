import CKernels
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

extension KernelContext {
    /// x[count] = activation(x) in place.
    func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
        switch activation {
        case .identity:
            return
        case .relu:
            parallelRanges(count) { r in for i in r { x[i] = x[i] > 0 ? x[i] : 0 } }
        case .leakyReLU(let slope):
            parallelRanges(count) { r in for i in r { x[i] = x[i] > 0 ? x[i] : x[i] * slope } }
        case .sigmoid, .tanh:
            let kind: Int32 = activation == .sigmoid ? 0 : 1
            parallelRanges(count) { r in
                if th_activate(cLevel, kind, x + r.lowerBound, r.count) == 0 {
                    for i in r { x[i] = activation.apply(x[i]) }
                }
            }
        }
    }
}
