/// Depthwise k x k convolution (or depthwise 4x4 stride-2 transposed convolution) followed by a
/// pointwise 1x1 convolution: upstream `create_separable_conv3/7` and the first two modules of
/// the separable blocks in `tha3/nn/separable_conv.py`.
/// Checkpoint keys: `<key>.0.weight` [cin, 1, k, k], `<key>.1.weight` [cout, cin, 1, 1],
/// `<key>.1.bias` [cout] when `bias`.
struct SeparableConv {
    enum Kind: Equatable {
        /// `Conv2d(cin, cin, k, stride, padding, groups=cin)`
        case depthwise(kernel: Int, stride: Int, padding: Int)
        /// `ConvTranspose2d(cin, cin, 4, stride=2, padding=1, groups=cin)`
        case transposed
    }

    let cin: Int
    let cout: Int
    let kind: Kind
    let depthwise: Tensor
    let pointwise: PointwiseWeights
    let bias: Tensor?
    /// The kernels' vector level, threads, buffers and tuning (from the weights' store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, cin: Int, cout: Int, kind: Kind, bias: Bool = false) throws {
        context = store.context
        self.cin = cin
        self.cout = cout
        self.kind = kind
        let k: Int
        switch kind {
        case .depthwise(let kernel, _, _): k = kernel
        case .transposed: k = 4
        }
        depthwise = try store.take("\(key).0.weight", shape: [cin, 1, k, k])
        pointwise = PointwiseWeights(try store.take("\(key).1.weight", shape: [cout, cin, 1, 1]), rows: cout, columns: cin, context: store.context)
        self.bias = bias ? try store.take("\(key).1.bias", shape: [cout]) : nil
    }

    /// The convolution of cat([nearest2x(low), full]) without building either tensor (the
    /// editor's decoder blocks), or of nearest2x(low) alone when `full` is nil (the rotator's),
    /// each with its deferred norm applied as it is read.
    /// low [c1, h/2, w/2], full [c2, h, w], c1 + c2 = cin -> [cout, h, w]. Depthwise stride-1
    /// kinds only. `statistics`, when given, receives the output's per-channel mean and variance
    /// (2 x cout, see `separableConv2d`).
    func callAsFunction(upsampling low: DeferredTensor, concatenatedWith full: DeferredTensor?,
                        statistics: UnsafeMutablePointer<Double>? = nil) -> Tensor {
        guard case .depthwise(let k, 1, let p) = kind else { preconditionFailure("upsampling concat needs a stride-1 depthwise conv") }
        let (h, w) = (2 * low.height, 2 * low.width)
        precondition(low.channels + (full?.channels ?? 0) == cin && (full == nil || (full!.height == h && full!.width == w)),
                     "SeparableConv: upsampling concat of \(low.channels)x\(low.height)x\(low.width) and \(String(describing: full.map { [$0.channels, $0.height, $0.width] }))")
        var sources = [ChannelSource(data: low.raw.data, channels: low.channels, upsampled: true, norm: low.norm)]
        if let full {
            sources.append(ChannelSource(data: full.raw.data, channels: full.channels, upsampled: false, norm: full.norm))
        }
        let y = context.tensor(uninitializedChannels: cout, height: convOutputSize(h, kernel: k, stride: 1, padding: p),
                       width: convOutputSize(w, kernel: k, stride: 1, padding: p))
        Profile.measure(.separable, "up \(cin)->\(cout) k\(k) @\(y.height)x\(y.width)",
                        flops: Double(2 * (cin * cout + k * k * cin) * y.plane)) {
            context.separableConv2d(sources: sources, height: h, width: w, depthwise: depthwise.data, kernel: k, stride: 1, padding: p,
                            pointwise: pointwise, cout: cout, bias: bias?.data, output: y.data,
                            statistics: statistics)
        }
        return y
    }

    /// x [cin, h, w] -> [cout, ho, wo]. `statistics`, when given, receives the output's
    /// per-channel mean and variance (2 x cout, see `separableConv2d`). A deferred norm of `x`
    /// is applied as its rows are read.
    func callAsFunction(_ input: DeferredTensor, statistics: UnsafeMutablePointer<Double>? = nil) -> Tensor {
        precondition(input.channels == cin, "SeparableConv: \(input.channels) input channels, expected \(cin)")
        switch kind {
        case .depthwise:
            let x = input.raw
            return withExtendedLifetime(x) {
                convolved([ChannelSource(data: x.data, channels: cin, upsampled: false, norm: input.norm)],
                          height: x.height, width: x.width, statistics: statistics)
            }
        case .transposed:
            // Fused and banded like the depthwise kinds (see `separableConv2d`).
            let x = input.raw
            let y = context.tensor(uninitializedChannels: cout, height: 2 * x.height, width: 2 * x.width)
            Profile.measure(.separable, "\(cin)->\(cout) transposed @\(y.height)x\(y.width)",
                            flops: Double(2 * (cin * cout + 4 * cin) * y.plane)) {
                context.separableConv2d(sources: [ChannelSource(data: x.data, channels: cin, upsampled: false, norm: input.norm)],
                                height: x.height, width: x.width, depthwise: depthwise.data, kernel: 4, stride: 2,
                                padding: 1, transposed: true, pointwise: pointwise, cout: cout, bias: bias?.data,
                                output: y.data, statistics: statistics)
            }
            return y
        }
    }
}

extension SeparableConv {
    /// The convolution of cat(parts) (each [c_i, h, w], sum of c_i = cin) read in place: the
    /// concatenation is not built (the first blocks of the editor and the rotator, whose input
    /// is images, a grid and the pose broadcast to planes). Depthwise kinds only.
    func callAsFunction(concatenating parts: [Tensor], statistics: UnsafeMutablePointer<Double>? = nil) -> Tensor {
        let (h, w) = (parts[0].height, parts[0].width)
        precondition(parts.allSatisfy { $0.height == h && $0.width == w } && parts.reduce(0) { $0 + $1.channels } == cin,
                     "SeparableConv: concatenation of \(parts.map { [$0.channels, $0.height, $0.width] }), expected \(cin) channels")
        return withExtendedLifetime(parts) {
            convolved(parts.map { ChannelSource(data: $0.data, channels: $0.channels, upsampled: false) },
                      height: h, width: w, statistics: statistics)
        }
    }

    /// The depthwise kinds on full-size sources: fused and banded, the depthwise result exists
    /// only a band of rows at a time.
    fileprivate func convolved(_ sources: [ChannelSource], height h: Int, width w: Int,
                               statistics: UnsafeMutablePointer<Double>?) -> Tensor {
        guard case .depthwise(let k, let s, let p) = kind else { preconditionFailure("SeparableConv: not a depthwise kind") }
        let y = context.tensor(uninitializedChannels: cout, height: convOutputSize(h, kernel: k, stride: s, padding: p),
                       width: convOutputSize(w, kernel: k, stride: s, padding: p))
        Profile.measure(.separable, "\(cin)->\(cout) k\(k) s\(s) @\(y.height)x\(y.width)",
                        flops: Double(2 * (cin * cout + k * k * cin) * y.plane)) {
            context.separableConv2d(sources: sources, height: h, width: w, depthwise: depthwise.data, kernel: k, stride: s,
                            padding: p, pointwise: pointwise, cout: cout, bias: bias?.data, output: y.data,
                            statistics: statistics)
        }
        return y
    }
}

/// Separable convolution, instance norm and activation: upstream
/// `create_separable_conv3_block`, `create_separable_conv7_block`,
/// `create_separable_downsample_block` and `create_separable_upsample_block`.
/// Checkpoint keys: `<key>.0`, `<key>.1` (the convolutions), `<key>.2` (the norm).
struct SeparableConvBlock {
    let conv: SeparableConv
    let norm: InstanceNorm2d

    init(_ store: WeightStore, _ key: String, cin: Int, cout: Int, kind: SeparableConv.Kind,
         activation: Activation) throws {
        conv = try SeparableConv(store, key, cin: cin, cout: cout, kind: kind)
        norm = try InstanceNorm2d(store, "\(key).2", channels: cout, activation: activation)
    }

    /// 3x3, stride 1 (`create_separable_conv3_block`).
    static func conv3(_ store: WeightStore, _ key: String, cin: Int, cout: Int, activation: Activation) throws -> Self {
        try Self(store, key, cin: cin, cout: cout, kind: .depthwise(kernel: 3, stride: 1, padding: 1), activation: activation)
    }

    /// 7x7, stride 1 (`create_separable_conv7_block`).
    static func conv7(_ store: WeightStore, _ key: String, cin: Int, cout: Int, activation: Activation) throws -> Self {
        try Self(store, key, cin: cin, cout: cout, kind: .depthwise(kernel: 7, stride: 1, padding: 3), activation: activation)
    }

    /// 4x4, stride 2: halves the size (`create_separable_downsample_block`).
    static func downsample(_ store: WeightStore, _ key: String, cin: Int, cout: Int, activation: Activation) throws -> Self {
        try Self(store, key, cin: cin, cout: cout, kind: .depthwise(kernel: 4, stride: 2, padding: 1), activation: activation)
    }

    /// Transposed 4x4, stride 2: doubles the size (`create_separable_upsample_block`).
    static func upsample(_ store: WeightStore, _ key: String, cin: Int, cout: Int, activation: Activation) throws -> Self {
        try Self(store, key, cin: cin, cout: cout, kind: .transposed, activation: activation)
    }

    /// The block on x; its norm is left deferred where the convolution gathered the statistics.
    func callAsFunction(_ x: DeferredTensor) -> DeferredTensor { convolvedAndNormalised(conv, norm, x) }

    /// The block on cat(parts), read in place (see `SeparableConv`); its norm is left deferred.
    func callAsFunction(concatenating parts: [Tensor]) -> DeferredTensor {
        var statistics = [Double](repeating: 0, count: 2 * conv.cout)
        let y = statistics.withUnsafeMutableBufferPointer { conv(concatenating: parts, statistics: $0.baseAddress) }
        return norm.deferred(y, statistics: statistics)
    }

    /// The block on cat([nearest2x(low), full]) (or nearest2x(low) alone when `full` is nil),
    /// built by neither (see `SeparableConv`); its norm is left deferred.
    func callAsFunction(upsampling low: DeferredTensor, concatenatedWith full: DeferredTensor? = nil) -> DeferredTensor {
        var statistics = [Double](repeating: 0, count: 2 * conv.cout)
        let y = statistics.withUnsafeMutableBufferPointer {
            conv(upsampling: low, concatenatedWith: full, statistics: $0.baseAddress)
        }
        return norm.deferred(y, statistics: statistics)
    }
}

/// Upstream `ResnetBlockSeparable` (is1x1 false, no scale parameter):
/// x + IN(sep3(act(IN(sep3(x))))).
/// Checkpoint keys: `<key>.resnet_path.{0,1,3,4}`.
struct ResnetBlockSeparable {
    let conv1: SeparableConv
    let norm1: InstanceNorm2d
    let conv2: SeparableConv
    let norm2: InstanceNorm2d
    /// The kernels' vector level, threads, buffers and tuning (from the weights' store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, channels: Int, activation: Activation) throws {
        context = store.context
        let kind = SeparableConv.Kind.depthwise(kernel: 3, stride: 1, padding: 1)
        conv1 = try SeparableConv(store, "\(key).resnet_path.0", cin: channels, cout: channels, kind: kind)
        norm1 = try InstanceNorm2d(store, "\(key).resnet_path.1", channels: channels, activation: activation)
        conv2 = try SeparableConv(store, "\(key).resnet_path.3", cin: channels, cout: channels, kind: kind)
        norm2 = try InstanceNorm2d(store, "\(key).resnet_path.4", channels: channels, activation: .identity)
    }

    /// x + IN(...): the first norm is applied as the second convolution reads its input, the
    /// second with the sum.
    func callAsFunction(_ input: DeferredTensor) -> Tensor {
        let x = input.materialized()
        let a = convolvedAndNormalised(conv1, norm1, DeferredTensor(x))
        return convolvedAndNormalised(conv2, norm2, a).materialized(adding: x, context: context)
    }
}

/// norm(conv(x)), the norm's statistics gathered by the convolution while its output is in
/// cache, the norm itself left deferred to the consumer.
func convolvedAndNormalised(_ conv: SeparableConv, _ norm: InstanceNorm2d, _ x: DeferredTensor) -> DeferredTensor {
    var statistics = [Double](repeating: 0, count: 2 * conv.cout)
    let y = statistics.withUnsafeMutableBufferPointer { conv(x, statistics: $0.baseAddress) }
    return norm.deferred(y, statistics: statistics)
}
