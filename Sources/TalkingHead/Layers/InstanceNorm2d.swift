/// `torch.nn.InstanceNorm2d(channels, affine=True)` followed by an activation, in place.
/// Checkpoint keys: `<key>.weight` [channels], `<key>.bias` [channels].
struct InstanceNorm2d {
    let channels: Int
    let gamma: Tensor
    let beta: Tensor
    let activation: Activation
    /// The kernels' vector level, threads, buffers and tuning (from the weights' store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, channels: Int, activation: Activation) throws {
        self.channels = channels
        self.activation = activation
        context = store.context
        gamma = try store.take("\(key).weight", shape: [channels])
        beta = try store.take("\(key).bias", shape: [channels])
    }

    /// `statistics`: each channel's mean and variance when already known (see `instanceNorm`).
    func callAsFunction(_ x: Tensor, statistics: [Double]? = nil) {
        precondition(x.channels == channels, "InstanceNorm2d: \(x.channels) channels, expected \(channels)")
        precondition(statistics == nil || statistics!.count == 2 * channels)
        Profile.measure(.norm, "\(channels) @\(x.height)x\(x.width)\(statistics == nil ? "" : " (stats given)")") {
            if let statistics {
                statistics.withUnsafeBufferPointer {
                    context.instanceNorm(x.data, channels: channels, plane: x.plane, gamma: gamma.data, beta: beta.data,
                                 activation: activation, statistics: $0.baseAddress)
                }
            } else {
                context.instanceNorm(x.data, channels: channels, plane: x.plane, gamma: gamma.data, beta: beta.data,
                             activation: activation)
            }
        }
    }
}

extension InstanceNorm2d {
    /// The norm of `y` (with its activation), not applied: `y` with each channel's scale and
    /// shift from `statistics` (the output statistics `SeparableConv` gathered), for a consumer
    /// that applies it while copying its input.
    func deferred(_ y: Tensor, statistics: [Double]) -> DeferredTensor {
        precondition(y.channels == channels && statistics.count == 2 * channels)
        var scale = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            (scale[c], shift[c]) = normScaleShift(mean: statistics[c], variance: statistics[channels + c],
                                                  gamma: gamma.data[c], beta: beta.data[c], eps: 1e-5)
        }
        let pending = DeferredTensor(raw: y, norm: ChannelScaleShift(scale: scale, shift: shift, activation: activation), context: context)
        return context.tuning.deferredNorms ? pending : DeferredTensor(pending.materialized())
    }
}

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
        let (x, plane) = (raw.data, raw.plane)
        Profile.measure(.norm, "\(raw.channels) @\(raw.height)x\(raw.width) (deferred, applied)") {
            context.parallelFor(raw.channels) { c in
                context.scaleShift(x + c * plane, x + c * plane, count: plane, scale: norm.scale[c], shift: norm.shift[c],
                                   activation: norm.activation)
            }
        }
        self.norm = nil
        return raw
    }

    /// `residual` + the normalised tensor, in place in `raw` (a residual block's sum, the norm
    /// applied with the addition); afterwards `raw` holds the sum and `norm` is nil.
    func materialized(adding residual: Tensor, context: KernelContext) -> Tensor {
        precondition(residual.count == raw.count, "residual of \(residual.count) values for \(raw.count)")
        let (bp, xp, plane) = (raw.data, residual.data, raw.plane)
        guard let norm else {
            let n = raw.count
            Profile.measure(.elementwise) { context.parallelRanges(n) { r in for i in r { bp[i] = xp[i] + bp[i] } } }
            return raw
        }
        Profile.measure(.norm, "\(raw.channels) @\(raw.height)x\(raw.width) (residual)") {
            context.parallelFor(raw.channels) { c in
                context.scaleShift(bp + c * plane, bp + c * plane, count: plane, scale: norm.scale[c], shift: norm.shift[c],
                                   activation: norm.activation, residual: xp + c * plane)
            }
        }
        self.norm = nil
        return raw
    }

    /// Channel `c`'s scale, shift and activation, when deferred.
    func channelNorm(_ c: Int) -> (scale: Float, shift: Float, activation: Activation)? {
        norm.map { ($0.scale[c], $0.shift[c], $0.activation) }
    }
}
