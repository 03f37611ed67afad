/// Port of `tha/combiner.py` (Combiner) of THA v1 (talking-head-anime-demo): merges the rotator's
/// two results and retouches them.
///
/// first ++ second ++ pose (broadcast) -> UNetModule, then combine_alpha_mask (Conv7, sigmoid),
/// retouch_alpha_mask (Conv7, sigmoid), retouch_color_change (Conv7, tanh);
/// combined = ca * first + (1 - ca) * second; final = ra * combined + (1 - ra) * retouch_color.
/// The configuration is read from the checkpoint.
struct V1Combiner {
    /// Upstream output order.
    struct Output {
        var finalImage, combinedImage, combineAlphaMask, retouchAlphaMask, retouchColorChange: Tensor
        var all: [Tensor] { [finalImage, combinedImage, combineAlphaMask, retouchAlphaMask, retouchColorChange] }
    }

    let body: V1UNet
    /// combine_alpha_mask, retouch_alpha_mask, retouch_color_change.
    let heads: V1Heads
    var imageChannels: Int { heads.imageChannels }
    var poseSize: Int { heads.poseSize }
    var context: KernelContext { heads.context }

    init(_ store: WeightStore) throws {
        body = try V1UNet(store, "main_body")
        heads = try V1Heads(store, body: (body.inputChannels, body.outputChannels, "main_body.downward_modules.0.0.weight"), images: 2, [
            ("combine_alpha_mask.0", nil, .sigmoid),
            ("retouch_alpha_mask.0", nil, .sigmoid),
            ("retouch_color_change.0", nil, .tanh),
        ])
        try store.finish()
    }

    /// first, second [imageChannels, h, w], pose [poseSize]
    func callAsFunction<P: Collection>(_ first: Tensor, _ second: Tensor, pose: P) -> Output where P.Element == Float {
        precondition(first.channels == imageChannels && second.channels == imageChannels && pose.count == poseSize,
                     "V1Combiner: input shape")
        let x = Tensor.concat([first, second, context.broadcast(pose, height: first.height, width: first.width)])
        let out = heads(body(x))
        let (combineAlpha, retouchAlpha, retouchColor) = (out[0], out[1], out[2])
        // applyColorChange computes first * alpha + second * (1 - alpha).
        let (combined, final) = Profile.measure(.elementwise) {
            let combined = context.applyColorChange(alpha: combineAlpha, colorChange: first, image: second)
            return (combined, context.applyColorChange(alpha: retouchAlpha, colorChange: combined, image: retouchColor))
        }
        return Output(finalImage: final, combinedImage: combined, combineAlphaMask: combineAlpha,
                      retouchAlphaMask: retouchAlpha, retouchColorChange: retouchColor)
    }
}
