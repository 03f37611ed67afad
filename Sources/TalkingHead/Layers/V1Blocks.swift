/// The THA v1 building blocks of `nn/conv.py` (talking-head-anime-demo): a bias-free
/// convolution, `InstanceNorm2d(affine=True)`, then ReLU.
///
/// - `conv7`: `Conv7Block`, `Conv2d(cin, cout, 7, stride 1, padding 3)`;
/// - `downsample`: `DownsampleBlock`, `Conv2d(cin, cout, 4, stride 2, padding 1)` (cout = 2 cin upstream);
/// - `upsample`: `UpsampleBlock`, `ConvTranspose2d(cin, cout, 4, stride 2, padding 1)`.
///
/// Checkpoint keys: `<key>.0.weight` ([cout, cin, k, k]; for `upsample` PyTorch's transposed
/// layout [cin, cout, 4, 4]), `<key>.1.weight` and `<key>.1.bias` [cout].
struct ConvNormReLUBlock {
    enum Kind: Equatable { case conv7, downsample, upsample }

    let kind: Kind
    let cin, cout: Int
    let weight: Tensor
    let norm: InstanceNorm2d
    /// The kernels' vector level, threads, buffers and tuning (from the weights' store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, kind: Kind, cin: Int, cout: Int) throws {
        context = store.context
        self.kind = kind
        self.cin = cin
        self.cout = cout
        switch kind {
        case .conv7: weight = try store.take("\(key).0.weight", shape: [cout, cin, 7, 7])
        case .downsample: weight = try store.take("\(key).0.weight", shape: [cout, cin, 4, 4])
        case .upsample: weight = try store.take("\(key).0.weight", shape: [cin, cout, 4, 4])
        }
        norm = try InstanceNorm2d(store, "\(key).1", channels: cout, activation: .relu)
    }

    /// x [cin, h, w] -> [cout, h, w] (conv7), [cout, h/2, w/2] (downsample), [cout, 2h, 2w] (upsample).
    func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.channels == cin, "ConvNormReLUBlock: \(x.channels) input channels, expected \(cin)")
        let y: Tensor
        switch kind {
        case .conv7, .downsample:
            let (k, s, p) = kind == .conv7 ? (7, 1, 3) : (4, 2, 1)
            y = context.tensor(uninitializedChannels: cout, height: convOutputSize(x.height, kernel: k, stride: s, padding: p),
                       width: convOutputSize(x.width, kernel: k, stride: s, padding: p))
            Profile.measure(.im2col) {
                context.conv2d(x, weight: weight, bias: nil, cout: cout, kernel: k, stride: s, padding: p, into: y)
            }
        case .upsample:
            y = context.tensor(uninitializedChannels: cout, height: 2 * x.height, width: 2 * x.width)
            Profile.measure(.transposedFull) {
                context.convTranspose2d(x, weight: weight, kernel: 4, stride: 2, padding: 1, into: y)
            }
        }
        norm(y)
        return y
    }
}

/// Upstream `ResNetBlock` of THA v1 (`nn/resnet_block.py`):
/// x + IN2(conv3(relu(IN1(conv3(x))))), bias-free 3x3 convolutions (padding 1), affine instance norms.
/// Checkpoint keys: `<key>.conv1.weight`, `<key>.conv2.weight` [c, c, 3, 3],
/// `<key>.norm1.{weight,bias}`, `<key>.norm2.{weight,bias}` [c].
struct ResNetBlock {
    let conv1: Conv2d
    let norm1: InstanceNorm2d
    let conv2: Conv2d
    let norm2: InstanceNorm2d
    /// The kernels' vector level, threads, buffers and tuning (from the weights' store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, channels c: Int) throws {
        context = store.context
        conv1 = try Conv2d(store, "\(key).conv1", cin: c, cout: c, kernel: 3, padding: 1, bias: false)
        norm1 = try InstanceNorm2d(store, "\(key).norm1", channels: c, activation: .relu)
        conv2 = try Conv2d(store, "\(key).conv2", cin: c, cout: c, kernel: 3, padding: 1, bias: false)
        norm2 = try InstanceNorm2d(store, "\(key).norm2", channels: c, activation: .identity)
    }

    /// x [c, h, w] -> [c, h, w]
    func callAsFunction(_ x: Tensor) -> Tensor {
        let a = conv1(x)
        norm1(a)
        let b = conv2(a)
        norm2(b)
        Profile.measure(.elementwise) { context.add(x, into: b) }
        return b
    }
}
