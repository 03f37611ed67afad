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

    let cin, cout: Int
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
    /// kinds only. The statistics, when gathered, are the output's per-channel mean and variance
    /// (2 x cout, see `separableConv2d`).
    func callAsFunction(upsampling low: DeferredTensor, concatenatedWith full: DeferredTensor?,
                        gatheringStatistics: Bool = false) -> (output: Tensor, statistics: [Double]?) {
        guard case .depthwise(_, 1, _) = kind else { preconditionFailure("upsampling concat needs a stride-1 depthwise conv") }
        let (h, w) = (2 * low.height, 2 * low.width)
        precondition(low.channels + (full?.channels ?? 0) == cin && (full == nil || (full!.height == h && full!.width == w)),
                     "SeparableConv: upsampling concat of \(low.channels)x\(low.height)x\(low.width) and \(String(describing: full.map { [$0.channels, $0.height, $0.width] }))")
        var inputs = [SeparableInput(tensor: low.raw, upsampled: true, norm: low.norm)]
        if let full { inputs.append(SeparableInput(tensor: full.raw, upsampled: false, norm: full.norm)) }
        return convolved(inputs, height: h, width: w, detail: "up ", gatheringStatistics: gatheringStatistics)
    }

    /// x [cin, h, w] -> [cout, ho, wo], a deferred norm of `x` applied as its rows are read. The
    /// statistics, when gathered, are the output's per-channel mean and variance (2 x cout).
    func callAsFunction(_ input: DeferredTensor, gatheringStatistics: Bool = false) -> (output: Tensor, statistics: [Double]?) {
        precondition(input.channels == cin, "SeparableConv: \(input.channels) input channels, expected \(cin)")
        return convolved([SeparableInput(tensor: input.raw, upsampled: false, norm: input.norm)],
                         height: input.height, width: input.width, gatheringStatistics: gatheringStatistics)
    }

    /// The convolution of cat(parts) (each [c_i, h, w], sum of c_i = cin) read in place: the
    /// concatenation is not built (the first blocks of the editor and the rotator, whose input
    /// is images, a grid and the pose broadcast to planes). Depthwise kinds only.
    func callAsFunction(concatenating parts: [Tensor], gatheringStatistics: Bool = false) -> (output: Tensor, statistics: [Double]?) {
        let (h, w) = (parts[0].height, parts[0].width)
        precondition(parts.allSatisfy { $0.height == h && $0.width == w } && parts.reduce(0) { $0 + $1.channels } == cin,
                     "SeparableConv: concatenation of \(parts.map { [$0.channels, $0.height, $0.width] }), expected \(cin) channels")
        return convolved(parts.map { SeparableInput(tensor: $0, upsampled: false) }, height: h, width: w,
                         gatheringStatistics: gatheringStatistics)
    }

    /// Fused and banded: the depthwise result exists only a band of rows at a time (see
    /// `separableConv2d`); the transposed kind likewise.
    private func convolved(_ inputs: [SeparableInput], height h: Int, width w: Int, detail: String = "",
                           gatheringStatistics: Bool) -> (output: Tensor, statistics: [Double]?) {
        let (k, s, p, transposed): (Int, Int, Int, Bool)
        switch kind {
        case .depthwise(let kernel, let stride, let padding): (k, s, p, transposed) = (kernel, stride, padding, false)
        case .transposed: (k, s, p, transposed) = (4, 2, 1, true)
        }
        let (ho, wo) = transposed ? (2 * h, 2 * w)
            : (convOutputSize(h, kernel: k, stride: s, padding: p), convOutputSize(w, kernel: k, stride: s, padding: p))
        let y = context.tensor(uninitializedChannels: cout, height: ho, width: wo)
        var statistics: [Double]?
        Profile.measure(.separable, "\(detail)\(cin)->\(cout) \(transposed ? "transposed" : "k\(k) s\(s)") @\(ho)x\(wo)",
                        flops: Double(2 * (cin * cout + (transposed ? 4 : k * k) * cin) * y.plane)) {
            statistics = context.separableConv2d(inputs, height: h, width: w, depthwise: depthwise, kernel: k, stride: s,
                                                 padding: p, transposed: transposed, pointwise: pointwise, bias: bias,
                                                 into: y, gatheringStatistics: gatheringStatistics)
        }
        return (y, statistics)
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
        let (y, statistics) = conv(concatenating: parts, gatheringStatistics: true)
        return norm.deferred(y, statistics: statistics!)
    }

    /// The block on cat([nearest2x(low), full]) (or nearest2x(low) alone when `full` is nil),
    /// built by neither (see `SeparableConv`); its norm is left deferred.
    func callAsFunction(upsampling low: DeferredTensor, concatenatedWith full: DeferredTensor? = nil) -> DeferredTensor {
        let (y, statistics) = conv(upsampling: low, concatenatedWith: full, gatheringStatistics: true)
        return norm.deferred(y, statistics: statistics!)
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
    let (y, statistics) = conv(x, gatheringStatistics: true)
    return norm.deferred(y, statistics: statistics!)
}
