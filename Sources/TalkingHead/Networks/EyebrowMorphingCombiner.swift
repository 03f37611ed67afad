/// Port of `tha3/nn/eyebrow_morphing_combiner/eyebrow_morphing_combiner_03.py`
/// (EyebrowMorphingCombiner03) with the hyper-parameters of `load_eyebrow_morphing_combiner`
/// in `tha3/poser/modes/separable_float.py`. Warps and recolours the eyebrow layer for the 12
/// eyebrow parameters and lays it back over the background layer.
struct EyebrowMorphingCombiner {
    static let args = EncoderDecoderArgs(
        imageSize: 128, inputChannels: 8, startChannels: 64, numPoseParameters: 12,
        bottleneckImageSize: 16, numBottleneckBlocks: 6, maxChannels: 512, activation: .relu)

    /// Upstream output order (output 2 is the one the poser uses).
    struct Output {
        var eyebrowImage, combineAlpha, eyebrowImageNoCombineAlpha, morphedEyebrowLayer: Tensor
        var morphedEyebrowLayerAlpha, morphedEyebrowLayerColorChange, warpedEyebrowLayer: Tensor
        var morphedEyebrowLayerGridChange: Tensor
        var all: [Tensor] {
            [eyebrowImage, combineAlpha, eyebrowImageNoCombineAlpha, morphedEyebrowLayer,
             morphedEyebrowLayerAlpha, morphedEyebrowLayerColorChange, warpedEyebrowLayer,
             morphedEyebrowLayerGridChange]
        }
    }

    let body: EncoderDecoder
    let heads: ConvHeads
    var context: KernelContext { body.context }

    init(_ store: WeightStore) throws {
        body = try EncoderDecoder(store, "body", .poser, Self.args)
        heads = try ConvHeads(store, cin: Self.args.startChannels, kernel: 3, [
            ("morphed_eyebrow_layer_grid_change", 2, false, .identity),
            ("morphed_eyebrow_layer_alpha.0", 1, true, .sigmoid),
            ("morphed_eyebrow_layer_color_change.0", 4, true, .tanh),
            ("combine_alpha.0", 1, true, .sigmoid),
        ])
        try store.finish()
    }

    /// backgroundLayer, eyebrowLayer [4, 128, 128], pose [12]
    func callAsFunction<P: Collection>(backgroundLayer: Tensor, eyebrowLayer: Tensor, pose: P) -> Output
    where P.Element == Float {
        let h = heads(body(concatenating: [Tensor.concat([backgroundLayer, eyebrowLayer])], pose: pose))
        let (grid, alpha, change, combine) = (h[0], h[1], h[2], h[3])
        let warped = Profile.measure(.gridSample) { context.applyGridChange(eyebrowLayer, gridChange: grid, alignCorners: false) }
        let morphed = context.applyColorChange(alpha: alpha, colorChange: change, image: warped)
        let eyebrowImage = context.applyRGBChange(alpha: combine, colorChange: morphed, image: backgroundLayer)
        // (morphed alpha + 1) / 2 as the blending alpha.
        let morphedAlpha = context.unitAlpha(morphed, channel: 3)
        let noCombine = context.applyRGBChange(alpha: morphedAlpha, colorChange: morphed, image: backgroundLayer)
        return Output(eyebrowImage: eyebrowImage, combineAlpha: combine, eyebrowImageNoCombineAlpha: noCombine,
                      morphedEyebrowLayer: morphed, morphedEyebrowLayerAlpha: alpha,
                      morphedEyebrowLayerColorChange: change, warpedEyebrowLayer: warped,
                      morphedEyebrowLayerGridChange: grid)
    }
}
