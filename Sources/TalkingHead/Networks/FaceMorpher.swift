/// Port of `tha3/nn/face_morpher/face_morpher_09.py` (FaceMorpher09) with the hyper-parameters of
/// `load_face_morpher` in `tha3/poser/modes/separable_float.py`. Moves irises and mouth (a warp)
/// and redraws eyes and mouth (two colour changes) on the 192x192 face crop for the 27 face
/// parameters.
struct FaceMorpher {
    static let configuration = PoserEncoderDecoder.Configuration(
        imageSize: 192, inputChannels: 4, startChannels: 64, numPoseParameters: 27,
        bottleneckImageSize: 24, numBottleneckBlocks: 6, maxChannels: 512, activation: .relu)

    /// Upstream output order.
    struct Output {
        var outputImage: Tensor          // 0
        var eyeAlpha: Tensor             // 1
        var eyeColorChange: Tensor       // 2
        var irisMouthImage1: Tensor      // 3
        var irisMouthAlpha: Tensor       // 4
        var irisMouthColorChange: Tensor // 5
        var irisMouthImage0: Tensor      // 6
        var all: [Tensor] {
            [outputImage, eyeAlpha, eyeColorChange, irisMouthImage1, irisMouthAlpha,
             irisMouthColorChange, irisMouthImage0]
        }
    }

    let body: PoserEncoderDecoder
    /// iris_mouth_grid_change, iris_mouth_color_change, iris_mouth_alpha, eye_color_change,
    /// eye_alpha, stacked.
    let heads: ConvHeads

    /// The kernels\' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore) throws {
        context = store.context
        let c = Self.configuration
        let s = c.startChannels
        body = try PoserEncoderDecoder(store, "body", c)
        heads = ConvHeads([
            try Conv2d(store, "iris_mouth_grid_change", cin: s, cout: 2, kernel: 3, padding: 1, bias: false),
            try Conv2d(store, "iris_mouth_color_change.0", cin: s, cout: 4, kernel: 3, padding: 1, bias: true, activation: .tanh),
            try Conv2d(store, "iris_mouth_alpha.0", cin: s, cout: 1, kernel: 3, padding: 1, bias: true, activation: .sigmoid),
            try Conv2d(store, "eye_color_change.0", cin: s, cout: 4, kernel: 3, padding: 1, bias: true, activation: .tanh),
            try Conv2d(store, "eye_alpha.0", cin: s, cout: 1, kernel: 3, padding: 1, bias: true, activation: .sigmoid),
        ])
        try store.finish()
    }

    /// image [4, 192, 192], pose [27]
    func callAsFunction<P: Collection>(_ image: Tensor, pose: P) -> Output where P.Element == Float {
        let (h, w, plane) = (image.height, image.width, image.plane)
        let feature = body(image, pose: pose)
        let out5 = heads(feature)
        let (grid, imChange, imAlpha, eChange, eAlpha) = (out5[0], out5[1], out5[2], out5[3], out5[4])
        let image0 = context.tensor(uninitializedChannels: 4, height: h, width: w)
        Profile.measure(.gridSample) {
            context.applyGridChange(image: image.data, channels: 4, height: h, width: w, gridChange: grid.data,
                            alignCorners: false, output: image0.data)
        }
        let image1 = context.tensor(uninitializedChannels: 4, height: h, width: w)
        context.applyColorChange(alpha: imAlpha.data, alphaChannels: 1, colorChange: imChange.data, image: image0.data,
                         channels: 4, plane: plane, output: image1.data)
        let output = context.tensor(uninitializedChannels: 4, height: h, width: w)
        context.applyColorChange(alpha: eAlpha.data, alphaChannels: 1, colorChange: eChange.data, image: image1.data,
                         channels: 4, plane: plane, output: output.data)
        return Output(outputImage: output, eyeAlpha: eAlpha, eyeColorChange: eChange, irisMouthImage1: image1,
                      irisMouthAlpha: imAlpha, irisMouthColorChange: imChange, irisMouthImage0: image0)
    }
}
