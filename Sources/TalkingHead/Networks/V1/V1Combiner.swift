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
        var finalImage: Tensor          // 0
        var combinedImage: Tensor       // 1
        var combineAlphaMask: Tensor    // 2
        var retouchAlphaMask: Tensor    // 3
        var retouchColorChange: Tensor  // 4
        var all: [Tensor] { [finalImage, combinedImage, combineAlphaMask, retouchAlphaMask, retouchColorChange] }
    }

    let body: V1UNet
    /// combine_alpha_mask, retouch_alpha_mask, retouch_color_change, stacked.
    let heads: ConvHeads
    let imageChannels: Int
    let poseSize: Int

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        body = try V1UNet(store, "main_body")
        imageChannels = try v1FirstConvolution(store, "combine_alpha_mask.0.weight")[0]
        poseSize = body.inputChannels - 2 * imageChannels
        guard poseSize >= 0 else {
            throw TalkingHeadError.invalidWeights(
                path: store.path, key: "main_body.downward_modules.0.0.weight",
                reason: "\(body.inputChannels) input channels, fewer than twice the \(imageChannels) image channels of combine_alpha_mask")
        }
        let (c, ic) = (body.outputChannels, imageChannels)
        heads = ConvHeads([
            try Conv2d(store, "combine_alpha_mask.0", cin: c, cout: ic, kernel: 7, padding: 3, bias: false, activation: .sigmoid),
            try Conv2d(store, "retouch_alpha_mask.0", cin: c, cout: ic, kernel: 7, padding: 3, bias: false, activation: .sigmoid),
            try Conv2d(store, "retouch_color_change.0", cin: c, cout: ic, kernel: 7, padding: 3, bias: false, activation: .tanh),
        ])
        try store.finish()
    }

    /// first, second [imageChannels, h, w], pose [poseSize]
    func callAsFunction<P: Collection>(_ first: Tensor, _ second: Tensor, pose: P) -> Output where P.Element == Float {
        precondition(first.channels == imageChannels && second.channels == imageChannels && pose.count == poseSize,
                     "V1Combiner: input shape")
        let (c, h, w, plane) = (imageChannels, first.height, first.width, first.plane)
        let x = Tensor.concat([first, second, context.broadcast(pose, height: h, width: w)])
        let out = heads(body(x))
        let (combineAlpha, retouchAlpha, retouchColor) = (out[0], out[1], out[2])
        let combined = context.tensor(uninitializedChannels: c, height: h, width: w)
        let final = context.tensor(uninitializedChannels: c, height: h, width: w)
        Profile.measure(.elementwise) {
            // applyColorChange computes first * alpha + second * (1 - alpha).
            context.applyColorChange(alpha: combineAlpha.data, alphaChannels: c, colorChange: first.data, image: second.data,
                             channels: c, plane: plane, output: combined.data)
            context.applyColorChange(alpha: retouchAlpha.data, alphaChannels: c, colorChange: combined.data, image: retouchColor.data,
                             channels: c, plane: plane, output: final.data)
        }
        return Output(finalImage: final, combinedImage: combined, combineAlphaMask: combineAlpha,
                      retouchAlphaMask: retouchAlpha, retouchColorChange: retouchColor)
    }
}
