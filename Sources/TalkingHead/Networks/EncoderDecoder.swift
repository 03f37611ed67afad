/// THA3's three U-shaped bodies, built by one builder (`EncoderDecoderArgs`): a separable
/// encoder halving the image to the bottleneck, residual blocks there, a decoder doubling it
/// back. They differ only where `Kind` says. Only the last output (the full-resolution feature,
/// `start_channels` wide) is used upstream.
/// Checkpoint keys under `<key>.downsample_blocks`, `<key>.bottleneck_blocks`, `<key>.upsample_blocks`.
struct EncoderDecoder {
    enum Kind {
        /// `tha3/nn/common/poser_encoder_decoder_00_separable.py` (PoserEncoderDecoder00Separable):
        /// a conv3 block first; bottleneck block 0 a conv3 block over cat(feature, pose planes),
        /// the rest residual; transposed-convolution upsample blocks. The eyebrow decomposer's,
        /// eyebrow morphing combiner's and face morpher's body.
        case poser
        /// `tha3/nn/common/resize_conv_encoder_decoder.py` (ResizeConvEncoderDecoder, nearest):
        /// a conv7 block first; `Sequential(Upsample, conv3 block)` upsample blocks (keys `<i>.1`).
        /// The face-body rotator's body.
        case resizeConv
        /// `tha3/nn/common/resize_conv_unet.py` (ResizeConvUNet, nearest): a conv3 block first;
        /// upsample block i a conv3 block over cat(nearest2x(feature), the encoder's output at
        /// that size). The editor's body.
        case unet
    }

    let kind: Kind
    let args: EncoderDecoderArgs
    let downsampleBlocks: [SeparableConvBlock]
    /// `.poser`: bottleneck block 0, which also reads the pose planes.
    let poseBlock: SeparableConvBlock?
    let bottleneckBlocks: [ResnetBlockSeparable]
    let upsampleBlocks: [SeparableConvBlock]
    /// The kernels' vector level, threads, buffers and tuning (from the store).
    let context: KernelContext

    init(_ store: WeightStore, _ key: String, _ kind: Kind, _ args: EncoderDecoderArgs) throws {
        (self.kind, self.args, context) = (kind, args, store.context)
        let act = args.activation
        downsampleBlocks = try args.encoder(store, "\(key).downsample_blocks",
                                            first: kind == .resizeConv ? SeparableConvBlock.conv7 : SeparableConvBlock.conv3)
        let c = args.bottleneckChannels
        if kind == .poser {
            poseBlock = try .conv3(store, "\(key).bottleneck_blocks.0", cin: c + args.numPoseParameters, cout: c, activation: act)
        } else {
            poseBlock = nil
        }
        let first = kind == .poser ? 1 : 0
        bottleneckBlocks = try args.residualBlocks(store, "\(key).bottleneck_blocks", first..<max(first, args.numBottleneckBlocks))
        upsampleBlocks = try args.decoder { i, cin, cout in
            let up = "\(key).upsample_blocks.\(i)"
            switch kind {
            case .poser: return try .upsample(store, up, cin: cin, cout: cout, activation: act)
            case .resizeConv: return try .conv3(store, "\(up).1", cin: cin, cout: cout, activation: act)
            case .unet: return try .conv3(store, up, cin: cin + cout, cout: cout, activation: act)
            }
        }
    }

    /// The body on cat(parts) (each [c_i, imageSize, imageSize], read in place: not built) and
    /// the pose [numPoseParameters], broadcast to planes -> the feature [startChannels,
    /// imageSize, imageSize], its last norm deferred to the heads.
    func callAsFunction<P: Collection>(concatenating parts: [Tensor], pose: P) -> DeferredTensor where P.Element == Float {
        precondition(pose.count == args.numPoseParameters, "EncoderDecoder: \(pose.count) pose values")
        // Norms stay deferred until the next convolution reads its input (see `DeferredTensor`).
        // `.resizeConv` and `.unet` read the pose planes after the input: a temporary of this
        // statement, released before the next block runs.
        var feature = downsampleBlocks[0](concatenating: parts + (kind == .poser || pose.isEmpty ? []
            : [context.broadcast(pose, height: parts[0].height, width: parts[0].width)]))
        // `.unet`: the encoder's outputs, which the decoder reads again.
        var skips = kind == .unet ? [feature] : []
        for block in downsampleBlocks.dropFirst() {
            feature = block(feature)
            if kind == .unet { skips.append(feature) }
        }
        if let poseBlock {
            if !pose.isEmpty {
                let planes = context.broadcast(pose, height: feature.height, width: feature.width)
                feature = DeferredTensor(Tensor.concat([feature.materialized(), planes]))
            }
            feature = poseBlock(feature)
        }
        // The deepest skip is the feature itself, which the bottleneck normalises in place.
        if kind == .unet { skips.removeLast() }
        for block in bottleneckBlocks { feature = DeferredTensor(block(feature)) }
        for block in upsampleBlocks {
            switch kind {
            case .poser: feature = block(feature)
            // Reads nearest2x(feature) in place (see `SeparableConv`): the upsampled tensor is not built.
            case .resizeConv: feature = block(upsampling: feature)
            // block(cat([nearest2x(feature), skip])), reading both in place: neither is built (at
            // 512x512 they would be 67 and 100 MB). Each skip is dropped once used.
            case .unet: feature = block(upsampling: feature, concatenatedWith: skips.removeLast())
            }
        }
        return feature
    }
}
