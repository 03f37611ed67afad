/// The hyper-parameters of THA3's three encoder-decoder bodies (upstream
/// `PoserEncoderDecoder00Args`, `ResizeConvEncoderDecoderArgs`, `ResizeConvUNetArgs`) and the
/// block lists they build alike: an encoder halving the image down to the bottleneck, residual
/// blocks there, a decoder doubling it back. Channels at a size: `channels(atImageSize:)`.
struct EncoderDecoderArgs {
    var imageSize, inputChannels, startChannels: Int
    /// The pose planes: `EncoderDecoder.poser` concatenates them at the bottleneck, the other
    /// kinds after the input (where `inputChannels` counts them).
    var numPoseParameters = 0
    var bottleneckImageSize, numBottleneckBlocks, maxChannels: Int
    var activation: Activation

    /// Upstream `get_num_output_channels_from_image_size` (also ResizeConvUNet's doubling, capped).
    func channels(atImageSize size: Int) -> Int {
        min(startChannels * (imageSize / size), maxChannels)
    }

    /// The encoder's image sizes, halving: imageSize ... bottleneckImageSize.
    var sizes: [Int] { Array(sequence(first: imageSize) { $0 > bottleneckImageSize ? $0 / 2 : nil }) }

    var bottleneckChannels: Int { channels(atImageSize: sizes.last!) }

    /// `<key>.0` = first(inputChannels -> startChannels), then `<key>.<l>` a separable
    /// downsample block per halving (upstream `downsample_blocks`).
    func encoder(_ store: WeightStore, _ key: String,
                 first: (WeightStore, String, Int, Int, Activation) throws -> SeparableConvBlock) throws -> [SeparableConvBlock] {
        var blocks = [try first(store, "\(key).0", inputChannels, startChannels, activation)]
        for size in sizes.dropFirst() {
            blocks.append(try .downsample(store, "\(key).\(blocks.count)", cin: channels(atImageSize: 2 * size),
                                          cout: channels(atImageSize: size), activation: activation))
        }
        return blocks
    }

    /// `<key>.<i>` for i in `indices`: residual blocks at the bottleneck (upstream `bottleneck_blocks`).
    func residualBlocks(_ store: WeightStore, _ key: String, _ indices: Range<Int>) throws -> [ResnetBlockSeparable] {
        try indices.map { try ResnetBlockSeparable(store, "\(key).\($0)", channels: bottleneckChannels, activation: activation) }
    }

    /// One block per doubling from the bottleneck back to imageSize (upstream `upsample_blocks`):
    /// `make(index, channels at the smaller size, channels at the larger)`.
    func decoder(_ make: (Int, Int, Int) throws -> SeparableConvBlock) throws -> [SeparableConvBlock] {
        let up = Array(sizes.reversed())
        return try zip(up, up.dropFirst()).enumerated().map { i, step in
            try make(i, channels(atImageSize: step.0), channels(atImageSize: step.1))
        }
    }
}
