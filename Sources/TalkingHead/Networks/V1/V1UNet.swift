/// Port of `nn/u_net_module.py` (UNetModule) of THA v1: the body of the combiner.
///
/// - `downward_modules` = [Conv7Block(cin, c), DownsampleBlock x L]: level l has c·2^l channels;
/// - `bottleneck_modules` = ResNetBlock x B at c·2^L channels;
/// - `upsampling_modules` = [Conv7Block(2c, c), UpsampleBlock_1 … UpsampleBlock_L], run from L
///   down to 0: block L takes the bottleneck (c·2^L -> c·2^(L-1)); block i < L takes
///   cat(x, downward output i) (2·c·2^i channels; block 0 is the Conv7Block).
///
/// The structure is read from the keys and shapes (c and cin from the first convolution, L and B
/// from the module counts); every block then takes its tensors strictly.
struct V1UNet {
    let inputChannels: Int
    let outputChannels: Int
    let levels: Int
    let downward: [ConvNormReLUBlock]
    let bottleneck: [ResNetBlock]
    /// Upstream order: index 0 is the final Conv7Block, index L the first (bottleneck) upsampling.
    let upsampling: [ConvNormReLUBlock]

    /// Checkpoint keys `<key>.downward_modules.<i>`, `<key>.bottleneck_modules.<i>`,
    /// `<key>.upsampling_modules.<i>` (upstream `main_body`).
    init(_ store: WeightStore, _ key: String) throws {
        let first = try v1FirstConvolution(store, "\(key).downward_modules.0.0.weight")
        let c = first[0]
        outputChannels = c
        inputChannels = first[1]
        let downCount = (store.moduleIndices(under: "\(key).downward_modules").last ?? 0) + 1
        levels = downCount - 1
        guard levels >= 1 else {
            throw TalkingHeadError.invalidWeights(
                path: store.path, key: nil, reason: "\(key).downward_modules has no downsampling block (a U-Net needs at least one)")
        }
        var down = [try ConvNormReLUBlock(store, "\(key).downward_modules.0", kind: .conv7, cin: inputChannels, cout: c)]
        for l in 1...levels {
            down.append(try ConvNormReLUBlock(store, "\(key).downward_modules.\(l)", kind: .downsample,
                                              cin: c << (l - 1), cout: c << l))
        }
        downward = down
        let bottleneckCount = (store.moduleIndices(under: "\(key).bottleneck_modules").last ?? -1) + 1
        let (deepest, levels) = (c << levels, levels)
        bottleneck = try (0..<bottleneckCount).map {
            try ResNetBlock(store, "\(key).bottleneck_modules.\($0)", channels: deepest)
        }
        var up = [try ConvNormReLUBlock(store, "\(key).upsampling_modules.0", kind: .conv7, cin: 2 * c, cout: c)]
        for i in 1...levels {
            // Input of block i: the level-(i+1) result (c·2^i channels), plus for i < L the skip of level i.
            let cin = i == levels ? c << levels : 2 * (c << i)
            up.append(try ConvNormReLUBlock(store, "\(key).upsampling_modules.\(i)", kind: .upsample,
                                            cin: cin, cout: c << (i - 1)))
        }
        upsampling = up
    }

    /// x [inputChannels, h, w] -> [outputChannels, h, w]; h and w divisible by 2^levels.
    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.height % (1 << levels) == 0 && input.width % (1 << levels) == 0,
                     "V1UNet: \(input.height)x\(input.width) is not divisible by \(1 << levels)")
        var outputs: [Tensor] = []
        var x = input
        for block in downward {
            x = block(x)
            outputs.append(x)
        }
        for block in bottleneck { x = block(x) }
        x = upsampling[levels](x)
        for i in stride(from: levels - 1, through: 0, by: -1) {
            let y = Tensor.concat([x, outputs[i]])
            outputs.removeLast(outputs.count - i)  // skips below level i are no longer needed
            x = upsampling[i](y)
        }
        return x
    }
}
