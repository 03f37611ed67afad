/// What the three THA v1 networks share around their bodies: the image channels (read from the
/// first head's weight), the pose size (the rest of the body's input), and the 7x7 bias-free
/// heads (upstream `Conv2d(c, n, 7, padding=3, bias=False)` + activation) stacked.
struct V1Heads {
    /// A head: checkpoint key, outputs (nil: the image channels), activation.
    typealias Head = (key: String, outputs: Int?, activation: Activation)

    let imageChannels: Int
    let poseSize: Int
    let stacked: ConvHeads
    /// The kernels' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    /// The body takes `images` images and the pose; `firstWeight` is its first weight (errors name it).
    init(_ store: WeightStore, body: (inputs: Int, outputs: Int, firstWeight: String), images: Int, _ heads: [Head]) throws {
        imageChannels = try v1FirstConvolution(store, "\(heads[0].key).weight")[0]
        poseSize = body.inputs - images * imageChannels
        guard poseSize >= 0 else {
            throw TalkingHeadError.invalidWeights(
                path: store.path, key: body.firstWeight,
                reason: "\(body.inputs) input channels, fewer than \(images == 1 ? "the" : "\(images) x the") \(imageChannels) image channels of \(heads[0].key.split(separator: ".")[0])")
        }
        let ic = imageChannels
        stacked = try ConvHeads(store, cin: body.outputs, kernel: 7, heads.map { ($0.key, $0.outputs ?? ic, false, $0.activation) })
        context = store.context
    }

    /// The heads on the body's output, in order.
    func callAsFunction(_ feature: Tensor) -> [Tensor] { stacked(feature) }
}
