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
        var outputImage, alphaMask, colorChange: Tensor
        var all: [Tensor] { [outputImage, alphaMask, colorChange] }
    }

    let body: V1EncoderDecoder
    /// color_change, alpha_mask.
    let heads: V1Heads
    var imageChannels: Int { heads.imageChannels }
    var poseSize: Int { heads.poseSize }
    var context: KernelContext { heads.context }

    init(_ store: WeightStore) throws {
        body = try V1EncoderDecoder(store, "main_body.module_list")
        heads = try V1Heads(store, body: (body.inputChannels, body.outputChannels, "main_body.module_list.0.0.weight"), images: 1, [
            ("color_change.0", nil, .tanh),
            ("alpha_mask.0", nil, .sigmoid),
        ])
        try store.finish()
    }

    /// image [imageChannels, h, w], pose [poseSize]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        precondition(image.channels == imageChannels && pose.count == poseSize, "V1FaceMorpher: input shape")
        let x = Tensor.concat([image, context.broadcast(pose, height: image.height, width: image.width)])
        let out = heads(body(x))
        let (color, alpha) = (out[0], out[1])
        // applyColorChange computes first * alpha + second * (1 - alpha).
        let output = Profile.measure(.elementwise) { context.applyColorChange(alpha: alpha, colorChange: image, image: color) }
        return Output(outputImage: output, alphaMask: alpha, colorChange: color)
    }
}
