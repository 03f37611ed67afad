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
        var colorChanged: Tensor  // 0
        var resampled: Tensor     // 1
        var colorChange: Tensor   // 2
        var alphaMask: Tensor     // 3
        var gridChange: Tensor    // 4
        var grid: Tensor          // 5
        var all: [Tensor] { [colorChanged, resampled, colorChange, alphaMask, gridChange, grid] }
    }

    let body: V1EncoderDecoder
    /// pumarola_color_change, pumarola_alpha_mask, zhou_grid_change, stacked.
    let heads: ConvHeads
    let imageChannels: Int
    let poseSize: Int

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        body = try V1EncoderDecoder(store, "main_body.module_list")
        imageChannels = try v1FirstConvolution(store, "pumarola_color_change.0.weight")[0]
        poseSize = body.inputChannels - imageChannels
        guard poseSize >= 0 else {
            throw TalkingHeadError.invalidWeights(
                path: store.path, key: "main_body.module_list.0.0.weight",
                reason: "\(body.inputChannels) input channels, fewer than the \(imageChannels) image channels of pumarola_color_change")
        }
        let c = body.outputChannels
        heads = ConvHeads([
            try Conv2d(store, "pumarola_color_change.0", cin: c, cout: imageChannels, kernel: 7, padding: 3, bias: false,
                       activation: .tanh),
            try Conv2d(store, "pumarola_alpha_mask.0", cin: c, cout: imageChannels, kernel: 7, padding: 3, bias: false,
                       activation: .sigmoid),
            try Conv2d(store, "zhou_grid_change", cin: c, cout: 2, kernel: 7, padding: 3, bias: false),
        ])
        try store.finish()
    }

    /// image [imageChannels, h, w], pose [poseSize]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        precondition(image.channels == imageChannels && pose.count == poseSize, "V1TwoAlgoFaceRotator: input shape")
        let (c, h, w) = (imageChannels, image.height, image.width)
        let x = Tensor.concat([image, context.broadcast(pose, height: h, width: w)])
        let out = heads(body(x))
        let (colorChange, alpha, gridChange) = (out[0], out[1], out[2])
        let colorChanged = context.tensor(uninitializedChannels: c, height: h, width: w)
        Profile.measure(.elementwise) {
            // applyColorChange computes first * alpha + second * (1 - alpha).
            context.applyColorChange(alpha: alpha.data, alphaChannels: c, colorChange: image.data, image: colorChange.data,
                             channels: c, plane: image.plane, output: colorChanged.data)
        }
        let resampled = context.tensor(uninitializedChannels: c, height: h, width: w)
        Profile.measure(.gridSample) {
            context.applyGridChange(image: image.data, channels: c, height: h, width: w, gridChange: gridChange.data,
                            alignCorners: true, output: resampled.data)
        }
        // The grid itself (upstream output 5): identity affine_grid (align_corners=True) + change.
        let grid = context.tensor(uninitializedChannels: 2, height: h, width: w)
        let bx = identityGridCoordinates(w, alignCorners: true)
        let by = identityGridCoordinates(h, alignCorners: true)
        for y in 0..<h {
            for x in 0..<w {
                grid.data[y * w + x] = bx[x] + gridChange.data[y * w + x]
                grid.data[h * w + y * w + x] = by[y] + gridChange.data[h * w + y * w + x]
            }
        }
        return Output(colorChanged: colorChanged, resampled: resampled, colorChange: colorChange, alphaMask: alpha,
                      gridChange: gridChange, grid: grid)
    }
}
