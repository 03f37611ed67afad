/// Port of `nn/encoder_decoder_module.py` (EncoderDecoderModule) of THA v1: the body of the face
/// morpher and of the two-algorithm face rotator.
///
/// `module_list` = [Conv7Block(cin, c), DownsampleBlock x L (channels doubling), ResNetBlock x B,
/// UpsampleBlock x L (channels halving)]; the output has c channels at the input size.
/// Upstream derives L from `image_size` and `bottleneck_image_size`; neither is stored in a
/// checkpoint, so the structure is read from the keys and shapes instead: c and cin from
/// `<key>.0.0.weight`, B from the modules that have `conv1`, L from the rest. Every block then
/// takes its tensors with the shapes that structure implies (strict).
struct V1EncoderDecoder {
    enum Block {
        case convNorm(ConvNormReLUBlock)
        case resnet(ResNetBlock)
    }

    let inputChannels: Int
    let outputChannels: Int
    /// Number of downsampling (and upsampling) blocks: inputs must be divisible by 2^levels.
    let levels: Int
    let blocks: [Block]

    /// Checkpoint keys `<key>.<i>.…` (upstream `main_body.module_list`).
    init(_ store: WeightStore, _ key: String) throws {
        let first = try v1FirstConvolution(store, "\(key).0.0.weight")
        outputChannels = first[0]
        inputChannels = first[1]
        let indices = store.moduleIndices(under: key)
        let count = (indices.last ?? -1) + 1
        let resnets = indices.filter { store.shape("\(key).\($0).conv1.weight") != nil }.count
        let rest = count - 1 - resnets
        guard rest >= 0, rest % 2 == 0 else {
            throw TalkingHeadError.invalidWeights(
                path: store.path, key: nil,
                reason: "\(key) has \(count) modules of which \(resnets) residual blocks: not Conv7Block + L down + residual + L up blocks")
        }
        levels = rest / 2
        var blocks: [Block] = [.convNorm(try ConvNormReLUBlock(store, "\(key).0", kind: .conv7, cin: inputChannels,
                                                                cout: outputChannels))]
        var c = outputChannels
        for _ in 0..<levels {
            blocks.append(.convNorm(try ConvNormReLUBlock(store, "\(key).\(blocks.count)", kind: .downsample, cin: c, cout: 2 * c)))
            c *= 2
        }
        for _ in 0..<resnets {
            blocks.append(.resnet(try ResNetBlock(store, "\(key).\(blocks.count)", channels: c)))
        }
        for _ in 0..<levels {
            blocks.append(.convNorm(try ConvNormReLUBlock(store, "\(key).\(blocks.count)", kind: .upsample, cin: c, cout: c / 2)))
            c /= 2
        }
        self.blocks = blocks
    }

    /// x [inputChannels, h, w] -> [outputChannels, h, w]; h and w divisible by 2^levels.
    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.height % (1 << levels) == 0 && input.width % (1 << levels) == 0,
                     "V1EncoderDecoder: \(input.height)x\(input.width) is not divisible by \(1 << levels)")
        var x = input
        for block in blocks {
            switch block {
            case .convNorm(let b): x = b(x)
            case .resnet(let b): x = b(x)
            }
        }
        return x
    }
}

extension WeightStore {
    /// The module indices i (ascending) for which some key starts with `<prefix>.<i>.`.
    func moduleIndices(under prefix: String) -> [Int] {
        let head = prefix + "."
        var found = Set<Int>()
        for key in keys where key.hasPrefix(head) {
            let rest = key.dropFirst(head.count)
            if let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0 { found.insert(i) }
        }
        return found.sorted()
    }
}

/// The shape [cout, cin, k, k] of a THA v1 network's first convolution (or head), which the
/// structure is read from. Missing: the usual missing-tensor error.
func v1FirstConvolution(_ store: WeightStore, _ key: String) throws -> [Int] {
    guard let shape = store.shape(key) else { throw TalkingHeadError.missingTensor(path: store.path, key: key) }
    guard shape.count == 4, shape[0] > 0, shape[1] > 0 else {
        throw TalkingHeadError.invalidWeights(path: store.path, key: key,
                                              reason: "shape \(shape) is not a convolution weight [cout, cin, k, k]")
    }
    return shape
}
