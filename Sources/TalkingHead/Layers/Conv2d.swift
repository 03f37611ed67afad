/// A full convolution (`torch.nn.Conv2d`, groups = 1) with optional bias and activation.
/// Checkpoint keys: `<key>.weight` [cout, cin, k, k], `<key>.bias` [cout] when `bias`.
struct Conv2d {
    let cin: Int
    let cout: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let weight: Tensor
    let bias: Tensor?
    let activation: Activation

    init(_ store: WeightStore, _ key: String, cin: Int, cout: Int, kernel: Int, stride: Int = 1,
         padding: Int, bias: Bool, activation: Activation = .identity) throws {
        self.cin = cin
        self.cout = cout
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.activation = activation
        weight = try store.take("\(key).weight", shape: [cout, cin, kernel, kernel])
        self.bias = bias ? try store.take("\(key).bias", shape: [cout]) : nil
    }

    /// x [cin, h, w] -> [cout, ho, wo]
    func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.channels == cin, "Conv2d: \(x.channels) input channels, expected \(cin)")
        let ho = convOutputSize(x.height, kernel: kernel, stride: stride, padding: padding)
        let wo = convOutputSize(x.width, kernel: kernel, stride: stride, padding: padding)
        let y = Tensor(uninitializedChannels: cout, height: ho, width: wo)
        conv2d(input: x.data, cin: cin, height: x.height, width: x.width, weight: weight.data, cout: cout,
               kernel: kernel, stride: stride, padding: padding, bias: bias?.data, output: y.data)
        activate(y.data, count: y.count, activation)
        return y
    }
}
