/// Port of `tha/face_morpher.py` (FaceMorpher) of THA v1 (talking-head-anime-demo): closes the
/// eyes and opens the mouth of the 256x256 input for (left_eye, right_eye, mouth).
///
/// image ++ pose (broadcast) -> EncoderDecoderModule -> color_change (Conv7, tanh) and
/// alpha_mask (Conv7, sigmoid), both with image-channels outputs;
/// output = alpha * image + (1 - alpha) * color.
/// The configuration (channels, levels, residual blocks, pose size) is read from the checkpoint.
struct V1FaceMorpher {
    /// Upstream output order.
    struct Output {
        var outputImage: Tensor  // 0
        var alphaMask: Tensor    // 1
        var colorChange: Tensor  // 2
        var all: [Tensor] { [outputImage, alphaMask, colorChange] }
    }

    let body: V1EncoderDecoder
    /// color_change, alpha_mask, stacked.
    let heads: ConvHeads
    let imageChannels: Int
    let poseSize: Int

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        body = try V1EncoderDecoder(store, "main_body.module_list")
        imageChannels = try v1FirstConvolution(store, "color_change.0.weight")[0]
        poseSize = body.inputChannels - imageChannels
        guard poseSize >= 0 else {
            throw TalkingHeadError.invalidWeights(
                path: store.path, key: "main_body.module_list.0.0.weight",
                reason: "\(body.inputChannels) input channels, fewer than the \(imageChannels) image channels of color_change")
        }
        let c = body.outputChannels
        heads = ConvHeads([
            try Conv2d(store, "color_change.0", cin: c, cout: imageChannels, kernel: 7, padding: 3, bias: false, activation: .tanh),
            try Conv2d(store, "alpha_mask.0", cin: c, cout: imageChannels, kernel: 7, padding: 3, bias: false, activation: .sigmoid),
        ])
        try store.finish()
    }

    /// image [imageChannels, h, w], pose [poseSize]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        precondition(image.channels == imageChannels && pose.count == poseSize, "V1FaceMorpher: input shape")
        let x = Tensor.concat([image, context.broadcast(pose, height: image.height, width: image.width)])
        let out = heads(body(x))
        let (color, alpha) = (out[0], out[1])
        let output = context.tensor(uninitializedChannels: imageChannels, height: image.height, width: image.width)
        Profile.measure(.elementwise) {
            // applyColorChange computes first * alpha + second * (1 - alpha).
            context.applyColorChange(alpha: alpha.data, alphaChannels: imageChannels, colorChange: image.data, image: color.data,
                             channels: imageChannels, plane: image.plane, output: output.data)
        }
        return Output(outputImage: output, alphaMask: alpha, colorChange: color)
    }
}
