/// A full convolution (`torch.nn.Conv2d`, groups = 1) with optional bias and activation.
/// Checkpoint keys: `<key>.weight` [cout, cin, k, k], `<key>.bias` [cout] when `bias`.
struct Conv2d {
    let cin, cout, kernel, stride, padding: Int
    let weight: Tensor
    let bias: Tensor?
    let activation: Activation
    /// The weights regrouped for the direct loops where this geometry runs them (output heads).
    let heads: HeadWeights?
    /// The kernels' vector level, threads, buffers and tuning (from the weights' store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, cin: Int, cout: Int, kernel: Int, stride: Int = 1,
         padding: Int, bias: Bool, activation: Activation = .identity) throws {
        self.cin = cin
        self.cout = cout
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.activation = activation
        context = store.context
        weight = try store.take("\(key).weight", shape: [cout, cin, kernel, kernel])
        self.bias = bias ? try store.take("\(key).bias", shape: [cout]) : nil
        heads = Self.regrouped(weight, cin: cin, cout: cout, kernel: kernel, stride: stride, padding: padding, context: context)
    }

    /// The weights for `th_conv_rows` when `conv2d` runs it for this geometry, else nil.
    static func regrouped(_ weight: Tensor, cin: Int, cout: Int, kernel: Int, stride: Int, padding: Int,
                          context: KernelContext) -> HeadWeights? {
        guard context.conv2dAppliesNorm(cout: cout, kernel: kernel, stride: stride, padding: padding) else { return nil }
        return HeadWeights.regrouped(weight, cin: cin, cout: cout, kernel: kernel, context: context)
    }

    /// A convolution from given tensors (used to stack heads).
    init(cin: Int, cout: Int, kernel: Int, stride: Int, padding: Int, weight: Tensor, bias: Tensor?,
         activation: Activation, context: KernelContext) {
        self.context = context
        (self.cin, self.cout, self.kernel, self.stride, self.padding) = (cin, cout, kernel, stride, padding)
        (self.weight, self.bias, self.activation) = (weight, bias, activation)
        heads = Self.regrouped(weight, cin: cin, cout: cout, kernel: kernel, stride: stride, padding: padding, context: context)
    }

    /// x [cin, h, w] -> [cout, ho, wo]
    func callAsFunction(_ x: Tensor) -> Tensor { self(DeferredTensor(x)) }

    /// x [cin, h, w] -> [cout, ho, wo], a deferred norm of `x` applied as `conv2d` copies it
    /// where it can (`conv2dAppliesNorm`), else first, in place.
    func callAsFunction(_ input: DeferredTensor) -> Tensor {
        precondition(input.channels == cin, "Conv2d: \(input.channels) input channels, expected \(cin)")
        let applies = context.conv2dAppliesNorm(cout: cout, kernel: kernel, stride: stride, padding: padding)
        let x = applies ? input.raw : input.materialized()
        let ho = convOutputSize(x.height, kernel: kernel, stride: stride, padding: padding)
        let wo = convOutputSize(x.width, kernel: kernel, stride: stride, padding: padding)
        let y = context.tensor(uninitializedChannels: cout, height: ho, width: wo)
        Profile.measure(.im2col, "\(cin)->\(cout) k\(kernel) @\(ho)x\(wo)", flops: Double(2 * cin * cout * kernel * kernel * ho * wo)) {
            context.conv2d(x, weight: weight, bias: bias, cout: cout, kernel: kernel, stride: stride, padding: padding,
                           into: y, norm: applies ? input.norm : nil, heads: heads)
        }
        Profile.measure(.elementwise) { context.activate(y, activation) }
        return y
    }
}

/// Several convolutions over the same input (the output heads of a network) run as one:
/// their weights are stacked so the input is unfolded (im2col) once, then the result is split
/// and each head gets its own activation.
struct ConvHeads {
    let heads: [Conv2d]
    private let stacked: Conv2d

    init(_ heads: [Conv2d]) {
        precondition(!heads.isEmpty)
        let first = heads[0]
        precondition(heads.allSatisfy {
            $0.cin == first.cin && $0.kernel == first.kernel && $0.stride == first.stride && $0.padding == first.padding
        }, "ConvHeads: heads differ in input or geometry")
        self.heads = heads
        let cout = heads.reduce(0) { $0 + $1.cout }
        let perOutput = first.cin * first.kernel * first.kernel
        let weight = Tensor(stacking: heads.map(\.weight))
        precondition(weight.count == cout * perOutput)
        let bias = Tensor(stacking: heads.map { $0.bias ?? Tensor(channels: 1, height: 1, width: $0.cout) })
        stacked = Conv2d(cin: first.cin, cout: cout, kernel: first.kernel, stride: first.stride,
                         padding: first.padding, weight: weight,
                         bias: heads.contains { $0.bias != nil } ? bias : nil, activation: .identity, context: first.context)
    }

    /// x [cin, h, w] -> one tensor per head, in order.
    func callAsFunction(_ x: Tensor) -> [Tensor] { self(DeferredTensor(x)) }

    /// The heads of x, a deferred norm of `x` applied as the direct loops copy their input, or
    /// first when they do not run.
    func callAsFunction(_ x: DeferredTensor) -> [Tensor] {
        let y = stacked(x)
        var start = 0
        return heads.map { h in
            let part = y.channels(start..<start + h.cout)
            start += h.cout
            Profile.measure(.elementwise) { h.context.activate(part, h.activation) }
            return part
        }
    }
}

extension ConvHeads {
    /// A head: checkpoint key (where its weight and bias are), outputs, bias, activation.
    typealias Head = (key: String, outputs: Int, bias: Bool, activation: Activation)

    /// `kernel` x `kernel` heads ('same' padding) over a `cin`-channel feature, stacked.
    init(_ store: WeightStore, cin: Int, kernel: Int, _ heads: [Head]) throws {
        self.init(try heads.map {
            try Conv2d(store, $0.key, cin: cin, cout: $0.outputs, kernel: kernel, padding: kernel / 2, bias: $0.bias,
                       activation: $0.activation)
        })
    }
}
