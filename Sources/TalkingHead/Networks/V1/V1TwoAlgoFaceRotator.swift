/// Port of `tha/two_algo_face_rotator.py` (TwoAlgoFaceRotator) of THA v1 (talking-head-anime-demo):
/// turns the head for (head_x, head_y, neck_z) by two algorithms whose results the combiner merges.
///
/// image ++ pose (broadcast) -> EncoderDecoderModule, then
/// - Pumarola: color_change (Conv7, tanh), alpha_mask (Conv7, sigmoid);
///   color_changed = alpha * image + (1 - alpha) * color_change;
/// - Zhou: grid_change (Conv7, 2 channels, no activation); grid = affine_grid(identity) +
///   grid_change; resampled = grid_sample(image, grid, bilinear, border, align_corners=True).
/// The configuration is read from the checkpoint.
struct V1TwoAlgoFaceRotator {
    /// Upstream output order. `gridChange` and `grid` are planar [2, h, w] (x then y) here;
    /// upstream returns them as [h, w, 2].
    struct Output {
        var colorChanged, resampled, colorChange, alphaMask, gridChange, grid: Tensor
        var all: [Tensor] { [colorChanged, resampled, colorChange, alphaMask, gridChange, grid] }
    }

    let body: V1EncoderDecoder
    /// pumarola_color_change, pumarola_alpha_mask, zhou_grid_change.
    let heads: V1Heads
    var imageChannels: Int { heads.imageChannels }
    var poseSize: Int { heads.poseSize }
    var context: KernelContext { heads.context }

    init(_ store: WeightStore) throws {
        body = try V1EncoderDecoder(store, "main_body.module_list")
        heads = try V1Heads(store, body: (body.inputChannels, body.outputChannels, "main_body.module_list.0.0.weight"), images: 1, [
            ("pumarola_color_change.0", nil, .tanh),
            ("pumarola_alpha_mask.0", nil, .sigmoid),
            ("zhou_grid_change", 2, .identity),
        ])
        try store.finish()
    }

    /// image [imageChannels, h, w], pose [poseSize]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        precondition(image.channels == imageChannels && pose.count == poseSize, "V1TwoAlgoFaceRotator: input shape")
        let x = Tensor.concat([image, context.broadcast(pose, height: image.height, width: image.width)])
        let out = heads(body(x))
        let (colorChange, alpha, gridChange) = (out[0], out[1], out[2])
        // applyColorChange computes first * alpha + second * (1 - alpha).
        let colorChanged = Profile.measure(.elementwise) { context.applyColorChange(alpha: alpha, colorChange: image, image: colorChange) }
        let resampled = Profile.measure(.gridSample) { context.applyGridChange(image, gridChange: gridChange, alignCorners: true) }
        // The grid itself (upstream output 5): identity affine_grid (align_corners=True) + change.
        let grid = context.identityGrid(plus: gridChange, alignCorners: true)
        return Output(colorChanged: colorChanged, resampled: resampled, colorChange: colorChange, alphaMask: alpha,
                      gridChange: gridChange, grid: grid)
    }
}
