/// Port of `tha3/nn/eyebrow_morphing_combiner/eyebrow_morphing_combiner_03.py`
/// (EyebrowMorphingCombiner03) with the hyper-parameters of `load_eyebrow_morphing_combiner`
/// in `tha3/poser/modes/separable_float.py`. Warps and recolours the eyebrow layer for the 12
/// eyebrow parameters and lays it back over the background layer.
struct EyebrowMorphingCombiner {
    static let configuration = PoserEncoderDecoder.Configuration(
        imageSize: 128, inputChannels: 8, startChannels: 64, numPoseParameters: 12,
        bottleneckImageSize: 16, numBottleneckBlocks: 6, maxChannels: 512, activation: .relu)

    /// Upstream output order.
    struct Output {
        var eyebrowImage: Tensor                 // 0
        var combineAlpha: Tensor                 // 1
        var eyebrowImageNoCombineAlpha: Tensor   // 2 (the one the poser uses)
        var morphedEyebrowLayer: Tensor          // 3
        var morphedEyebrowLayerAlpha: Tensor     // 4
        var morphedEyebrowLayerColorChange: Tensor // 5
        var warpedEyebrowLayer: Tensor           // 6
        var morphedEyebrowLayerGridChange: Tensor // 7
        var all: [Tensor] {
            [eyebrowImage, combineAlpha, eyebrowImageNoCombineAlpha, morphedEyebrowLayer,
             morphedEyebrowLayerAlpha, morphedEyebrowLayerColorChange, warpedEyebrowLayer,
             morphedEyebrowLayerGridChange]
        }
    }

    let body: PoserEncoderDecoder
    /// morphed_eyebrow_layer_grid_change, _alpha, _color_change and combine_alpha, stacked.
    let heads: ConvHeads

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        let c = Self.configuration
        body = try PoserEncoderDecoder(store, "body", c)
        let s = c.startChannels
        heads = ConvHeads([
            try Conv2d(store, "morphed_eyebrow_layer_grid_change", cin: s, cout: 2, kernel: 3, padding: 1, bias: false),
            try Conv2d(store, "morphed_eyebrow_layer_alpha.0", cin: s, cout: 1, kernel: 3, padding: 1, bias: true,
                       activation: .sigmoid),
            try Conv2d(store, "morphed_eyebrow_layer_color_change.0", cin: s, cout: 4, kernel: 3, padding: 1, bias: true,
                       activation: .tanh),
            try Conv2d(store, "combine_alpha.0", cin: s, cout: 1, kernel: 3, padding: 1, bias: true, activation: .sigmoid),
        ])
        try store.finish()
    }

    /// backgroundLayer, eyebrowLayer [4, 128, 128], pose [12]
    func callAsFunction<P: Collection>(backgroundLayer: Tensor, eyebrowLayer: Tensor, pose: P) -> Output
    where P.Element == Float {
        let (h, w, plane) = (eyebrowLayer.height, eyebrowLayer.width, eyebrowLayer.plane)
        let feature = body(Tensor.concat([backgroundLayer, eyebrowLayer]), pose: pose)
        let out4 = heads(feature)
        let (grid, a, change, combine) = (out4[0], out4[1], out4[2], out4[3])
        let warped = context.tensor(uninitializedChannels: 4, height: h, width: w)
        Profile.measure(.gridSample) {
            context.applyGridChange(image: eyebrowLayer.data, channels: 4, height: h, width: w, gridChange: grid.data,
                            alignCorners: false, output: warped.data)
        }
        let morphed = context.tensor(uninitializedChannels: 4, height: h, width: w)
        context.applyColorChange(alpha: a.data, alphaChannels: 1, colorChange: change.data, image: warped.data,
                         channels: 4, plane: plane, output: morphed.data)
        let eyebrowImage = context.tensor(uninitializedChannels: 4, height: h, width: w)
        context.applyRGBChange(alpha: combine.data, colorChange: morphed.data, image: backgroundLayer.data,
                       plane: plane, output: eyebrowImage.data)
        // (morphed alpha + 1) / 2 as the blending alpha.
        let morphedAlpha = context.tensor(uninitializedChannels: 1, height: h, width: w)
        let src = morphed.channel(3)
        for i in 0..<plane { morphedAlpha.data[i] = (src[i] + 1) / 2 }
        let noCombine = context.tensor(uninitializedChannels: 4, height: h, width: w)
        withExtendedLifetime(morphedAlpha) {
            context.applyRGBChange(alpha: morphedAlpha.data, colorChange: morphed.data, image: backgroundLayer.data,
                           plane: plane, output: noCombine.data)
        }
        return Output(eyebrowImage: eyebrowImage, combineAlpha: combine, eyebrowImageNoCombineAlpha: noCombine,
                      morphedEyebrowLayer: morphed, morphedEyebrowLayerAlpha: a,
                      morphedEyebrowLayerColorChange: change, warpedEyebrowLayer: warped,
                      morphedEyebrowLayerGridChange: grid)
    }
}
