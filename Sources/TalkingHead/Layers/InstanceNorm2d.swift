/// `torch.nn.InstanceNorm2d(channels, affine=True)` followed by an activation, in place.
/// Checkpoint keys: `<key>.weight` [channels], `<key>.bias` [channels].
struct InstanceNorm2d {
    let channels: Int
    let gamma: Tensor
    let beta: Tensor
    let activation: Activation

    init(_ store: WeightStore, _ key: String, channels: Int, activation: Activation) throws {
        self.channels = channels
        self.activation = activation
        gamma = try store.take("\(key).weight", shape: [channels])
        beta = try store.take("\(key).bias", shape: [channels])
    }

    /// `statistics`: each channel's mean and variance when already known (see `instanceNorm`).
    func callAsFunction(_ x: Tensor, statistics: [Double]? = nil) {
        precondition(x.channels == channels, "InstanceNorm2d: \(x.channels) channels, expected \(channels)")
        precondition(statistics == nil || statistics!.count == 2 * channels)
        Profile.measure(.norm) {
            if let statistics {
                statistics.withUnsafeBufferPointer {
                    instanceNorm(x.data, channels: channels, plane: x.plane, gamma: gamma.data, beta: beta.data,
                                 activation: activation, statistics: $0.baseAddress)
                }
            } else {
                instanceNorm(x.data, channels: channels, plane: x.plane, gamma: gamma.data, beta: beta.data,
                             activation: activation)
            }
        }
    }
}
