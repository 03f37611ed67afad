/// Port of `tha3/nn/eyebrow_decomposer/eyebrow_decomposer_03.py` (EyebrowDecomposer03) with the
/// hyper-parameters of `load_eyebrow_decomposer` in `tha3/poser/modes/separable_float.py`.
/// Splits the 128x128 eyebrow crop into an eyebrow layer and a background layer.
struct EyebrowDecomposer {
    static let configuration = PoserEncoderDecoder.Configuration(
        imageSize: 128, inputChannels: 4, startChannels: 64, numPoseParameters: 0,
        bottleneckImageSize: 16, numBottleneckBlocks: 6, maxChannels: 512, activation: .relu)

    /// Upstream output order.
    struct Output {
        var eyebrowLayer: Tensor            // 0
        var eyebrowLayerAlpha: Tensor       // 1
        var eyebrowLayerColorChange: Tensor // 2
        var backgroundLayer: Tensor         // 3
        var backgroundLayerAlpha: Tensor    // 4
        var backgroundLayerColorChange: Tensor // 5
        var all: [Tensor] {
            [eyebrowLayer, eyebrowLayerAlpha, eyebrowLayerColorChange,
             backgroundLayer, backgroundLayerAlpha, backgroundLayerColorChange]
        }
    }

    let body: PoserEncoderDecoder
    /// background_layer_alpha, background_layer_color_change, eyebrow_layer_alpha,
    /// eyebrow_layer_color_change, stacked.
    let heads: ConvHeads

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        let c = Self.configuration
        body = try PoserEncoderDecoder(store, "body", c)
        let s = c.startChannels
        heads = ConvHeads([
            try Conv2d(store, "background_layer_alpha.0", cin: s, cout: 1, kernel: 3, padding: 1, bias: true,
                       activation: .sigmoid),
            try Conv2d(store, "background_layer_color_change.0", cin: s, cout: 4, kernel: 3, padding: 1, bias: true,
                       activation: .tanh),
            try Conv2d(store, "eyebrow_layer_alpha.0", cin: s, cout: 1, kernel: 3, padding: 1, bias: true,
                       activation: .sigmoid),
            try Conv2d(store, "eyebrow_layer_color_change.0", cin: s, cout: 4, kernel: 3, padding: 1, bias: true,
                       activation: .tanh),
        ])
        try store.finish()
    }

    /// image [4, 128, 128]
    func callAsFunction(_ image: Tensor) -> Output {
        let feature = body(image, pose: [Float]())
        let plane = image.plane
        let out4 = heads(feature)
        let (bgAlpha, bgChange, ebAlpha, ebChange) = (out4[0], out4[1], out4[2], out4[3])
        let background = context.tensor(uninitializedChannels: 4, height: image.height, width: image.width)
        context.applyColorChange(alpha: bgAlpha.data, alphaChannels: 1, colorChange: bgChange.data, image: image.data,
                         channels: 4, plane: plane, output: background.data)
        // Upstream: apply_color_change(eyebrow_layer_alpha, image, eyebrow_layer_color_change).
        let eyebrow = context.tensor(uninitializedChannels: 4, height: image.height, width: image.width)
        context.applyColorChange(alpha: ebAlpha.data, alphaChannels: 1, colorChange: image.data, image: ebChange.data,
                         channels: 4, plane: plane, output: eyebrow.data)
        return Output(eyebrowLayer: eyebrow, eyebrowLayerAlpha: ebAlpha, eyebrowLayerColorChange: ebChange,
                      backgroundLayer: background, backgroundLayerAlpha: bgAlpha, backgroundLayerColorChange: bgChange)
    }
}
