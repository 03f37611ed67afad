/// Port of `tha3/nn/editor/editor_07.py` (Editor07, with its `tha3/nn/common/resize_conv_unet.py`
/// body), hyper-parameters of `load_editor` in `tha3/poser/modes/separable_float.py`.
/// Refines the rotator's upscaled warp at 512x512: a further grid change, then a colour change.
struct Editor {
    /// Input: original and warped image, grid change, pose planes.
    static let args = EncoderDecoderArgs(
        imageSize: 512, inputChannels: 2 * 4 + 2 + 6, startChannels: 32, numPoseParameters: 6, bottleneckImageSize: 64,
        numBottleneckBlocks: 6, maxChannels: 512, activation: .leakyReLU(0.1))

    /// Upstream output order (output 0 is the posed image).
    struct Output {
        var colorChanged, colorChangeAlpha, colorChange, warpedImage, gridChange: Tensor
        var all: [Tensor] { [colorChanged, colorChangeAlpha, colorChange, warpedImage, gridChange] }
    }

    let body: EncoderDecoder
    let heads: ConvHeads
    var context: KernelContext { body.context }

    init(_ store: WeightStore) throws {
        body = try EncoderDecoder(store, "body", .unet, Self.args)
        heads = try ConvHeads(store, cin: Self.args.startChannels, kernel: 3, [
            ("color_change_creator.0", 4, true, .tanh),
            ("alpha_creator.0", 4, true, .sigmoid),
            ("grid_change_creator", 2, false, .identity),
        ])
        try store.finish()
    }

    /// originalImage, warpedImage [4, 512, 512], gridChange [2, 512, 512], pose [6]
    func callAsFunction<P: Collection>(originalImage: Tensor, warpedImage: Tensor, gridChange: Tensor, pose: P) -> Output
    where P.Element == Float {
        // The body reads the concatenation of its inputs and the pose planes in place.
        let h = heads(body(concatenating: [originalImage, warpedImage, gridChange], pose: pose))
        let (change, alpha, delta) = (h[0], h[1], h[2])
        let grid = context.sum(gridChange, delta)
        let warped = Profile.measure(.gridSample) { context.applyGridChange(originalImage, gridChange: grid, alignCorners: false) }
        let out = context.applyColorChange(alpha: alpha, colorChange: change, image: warped)
        return Output(colorChanged: out, colorChangeAlpha: alpha, colorChange: change, warpedImage: warped, gridChange: grid)
    }
}
