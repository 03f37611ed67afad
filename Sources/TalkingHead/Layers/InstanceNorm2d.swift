/// `torch.nn.InstanceNorm2d(channels, affine=True)` followed by an activation, in place.
/// Checkpoint keys: `<key>.weight` [channels], `<key>.bias` [channels].
struct InstanceNorm2d {
    let channels: Int
    let gamma, beta: Tensor
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
            context.instanceNorm(x, gamma: gamma, beta: beta, activation: activation, statistics: statistics)
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
        let (g, b) = (gamma.array, beta.array)
        for c in 0..<channels {
            (scale[c], shift[c]) = normScaleShift(mean: statistics[c], variance: statistics[channels + c],
                                                  gamma: g[c], beta: b[c], eps: 1e-5)
        }
        let pending = DeferredTensor(raw: y, norm: ChannelScaleShift(scale: scale, shift: shift, activation: activation), context: context)
        return context.tuning.deferredNorms ? pending : DeferredTensor(pending.materialized())
    }
}
