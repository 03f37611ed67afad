/// Per channel c: y = activation(x * scale[c] + shift[c]), an instance norm (and its
/// activation) reduced to what applying it needs.
struct ChannelScaleShift: Sendable {
    let scale: [Float]
    let shift: [Float]
    let activation: Activation
}

/// A tensor whose instance norm is still to be applied (`norm`), or an ordinary one (`norm` nil).
/// The separable convolutions copy their input rows into a padded scratch anyway and apply the
/// norm on the way (`ChannelSource`); a residual sum applies it with the addition. That saves
/// a pass over the tensor (read and write) per norm, which at 512x512 is 32 MB each way.
/// Results are bit for bit those of applying the norm first (`scaleShift` in both places).
///
/// A reference: the pending norm is state this object owns, applied once, by whichever consumer
/// materialises it first, after which every holder reads `norm` nil and the normalised `raw`;
/// no alias can still see the tensor as pending once it was applied in place.
final class DeferredTensor {
    let raw: Tensor
    /// The norm still to apply to `raw`; nil once applied (or when there was none).
    private(set) var norm: ChannelScaleShift?
    /// The kernels that apply `norm` (nil without one).
    private let context: KernelContext?

    init(raw: Tensor, norm: ChannelScaleShift? = nil, context: KernelContext? = nil) {
        precondition(norm == nil || (norm!.scale.count == raw.channels && context != nil))
        self.raw = raw
        self.norm = norm
        self.context = context
    }

    convenience init(_ tensor: Tensor) { self.init(raw: tensor) }

    var channels: Int { raw.channels }
    var height: Int { raw.height }
    var width: Int { raw.width }

    /// The tensor with its norm applied, in place in `raw` (once: afterwards `norm` is nil).
    func materialized() -> Tensor {
        guard let norm, let context else { return raw }
        Profile.measure(.norm, "\(raw.channels) @\(raw.height)x\(raw.width) (deferred, applied)") {
            context.apply(norm, to: raw)
        }
        self.norm = nil
        return raw
    }

    /// `residual` + the normalised tensor, in place in `raw` (a residual block's sum, the norm
    /// applied with the addition); afterwards `raw` holds the sum and `norm` is nil.
    func materialized(adding residual: Tensor, context: KernelContext) -> Tensor {
        precondition(residual.count == raw.count, "residual of \(residual.count) values for \(raw.count)")
        guard let norm else {
            Profile.measure(.elementwise) { context.add(residual, into: raw) }
            return raw
        }
        Profile.measure(.norm, "\(raw.channels) @\(raw.height)x\(raw.width) (residual)") {
            context.apply(norm, to: raw, adding: residual)
        }
        self.norm = nil
        return raw
    }

    /// Channel `c`'s scale, shift and activation, when deferred.
    func channelNorm(_ c: Int) -> (scale: Float, shift: Float, activation: Activation)? {
        norm.map { ($0.scale[c], $0.shift[c], $0.activation) }
    }
}
