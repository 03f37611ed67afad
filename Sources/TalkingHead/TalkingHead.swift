import Foundation

/// Animates an anime character from one picture with the THA3 networks or, when the weights
/// folder holds them, the original 2019 THA v1 networks.
///
/// ```swift
/// let head = try TalkingHead(weightsDirectory: URL(fileURLWithPath: "Weights"))
/// let image = try RGBAImage(contentsOf: URL(fileURLWithPath: "character.png"))
/// var params = PoseParameters()
/// params[.headX] = 0.4
/// let posed = try head.pose(image: image, params: params)
/// try posed.write(to: URL(fileURLWithPath: "posed.png"))
/// ```
///
/// Both models take the same `PoseParameters`. THA3 uses all 45. THA v1 uses six:
/// `head_x`, `head_y`, `neck_z` turn the head, and `eye_wink_left`, `eye_wink_right`,
/// `mouth_aaa` drive its left eye, right eye and mouth; it ignores the other 39.
///
/// A `TalkingHead` may be shared between threads: `pose` keeps no per-call state outside the
/// call except a cache of the last image's model input and eyebrow decomposer output, behind a
/// lock.
public final class TalkingHead: @unchecked Sendable {
    /// Side of the square images THA3 works on (512). A THA v1 model works on `outputSize`.
    public static let imageSize = Poser.imageSize

    /// The model family a weights folder holds.
    public enum Model: String, Sendable {
        /// THA3 (2022): five networks, 45 pose parameters, 512x512.
        case tha3
        /// THA v1 (2019): face morpher, two-algorithm face rotator and combiner; 6 of the pose
        /// parameters; 256x256.
        case tha1
    }

    enum Backend {
        case tha3(Poser)
        case tha1(V1Poser)
    }

    /// The model loaded from the weights folder.
    public let model: Model
    /// How this instance uses the machine (threads, vector level, ...).
    public let configuration: Configuration
    /// Side of the square images `pose` returns (and brings its input to): 512 for THA3, 256 for THA v1.
    public let outputSize: Int

    let backend: Backend
    /// The configuration as the kernels take it.
    let context: KernelContext
    private let lock = NSLock()
    /// The last THA3 image posed: its model input and the eyebrow decomposer's output.
    private var cached: (image: RGBAImage, input: Tensor, decomposition: EyebrowDecomposer.Output)?

    /// The THA3 pipeline (tests). - Precondition: `model == .tha3`.
    var poser: Poser {
        guard case .tha3(let poser) = backend else { preconditionFailure("not a THA3 model") }
        return poser
    }

    /// Loads and checks all networks from `weightsDirectory` (the `.safetensors` files written by
    /// `make weights` or `Weights/convert.py`). The model is recognised from the files present:
    /// THA3 by `eyebrow_decomposer`, `eyebrow_morphing_combiner`, `two_algo_face_body_rotator`,
    /// `editor` (and `face_morpher`); THA v1 by `two_algo_face_rotator` and `combiner` (and
    /// `face_morpher`). The structure of the THA v1 networks is read from their tensors, so any
    /// configuration of the upstream specs loads.
    /// - Throws: `TalkingHeadError` naming the file and tensor when a file is missing or damaged,
    ///   or naming the folder when it holds neither model (or files of both).
    public init(weightsDirectory: URL, configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        self.configuration = configuration
        let context = KernelContext(configuration)
        self.context = context
        switch try Self.detectModel(weightsDirectory) {
        case .tha3:
            let poser = try Poser(weightsDirectory: weightsDirectory, context: context)
            (model, outputSize, backend) = (.tha3, Poser.imageSize, .tha3(poser))
        case .tha1:
            let poser = try V1Poser(weightsDirectory: weightsDirectory, context: context)
            (model, outputSize, backend) = (.tha1, poser.imageSize, .tha1(poser))
        }
    }

    /// Which model `dir` holds, from the file names (the contents are checked when loading).
    static func detectModel(_ dir: URL) throws -> Model {
        let folder = try WeightsFolder(dir, context: .standard)
        func present(_ name: String) -> Bool { folder.contains(name) }
        // face_morpher.safetensors is a file name of both models: it tells nothing.
        let shared = Set([Poser.File.faceMorpher.rawValue])
        let tha3 = Poser.File.allCases.map(\.rawValue).filter { !shared.contains($0) }
        let tha1 = V1Poser.File.allCases.map(\.rawValue).filter { !shared.contains($0) }
        let has3 = tha3.filter(present)
        let has1 = tha1.filter(present)
        switch (has3.isEmpty, has1.isEmpty) {
        case (false, true): return .tha3
        case (true, false): return .tha1
        case (false, false):
            throw TalkingHeadError.invalidWeights(
                path: dir.path, key: nil,
                reason: "holds files of both THA3 (\(has3.joined(separator: ", "))) and THA v1 (\(has1.joined(separator: ", "))); use one folder per model")
        case (true, true):
            throw TalkingHeadError.invalidWeights(
                path: dir.path, key: nil,
                reason: "holds neither the THA3 weights (\(Poser.File.allCases.map(\.rawValue).joined(separator: ", "))) "
                    + "nor the THA v1 weights (\(V1Poser.File.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// Draws the character of `image` in the pose `params`.
    ///
    /// `image` must have an alpha channel (the character on a transparent background). Images
    /// that are not `outputSize` square are centre-cropped to a square and resized first
    /// (512x512 for THA3, 256x256 for THA v1). THA v1 reads only `head_x`, `head_y`, `neck_z`,
    /// `eye_wink_left`, `eye_wink_right` and `mouth_aaa`.
    /// - Returns: an `outputSize` x `outputSize` RGBA image.
    public func pose(image: RGBAImage, params: PoseParameters) throws -> RGBAImage {
        guard image.hasAlpha else { throw TalkingHeadError.imageWithoutAlpha(path: "input image") }
        let size = outputSize
        let square = image.centerCroppedResized(to: size)
        let output: Tensor
        switch backend {
        case .tha3(let poser):
            let (input, decomposed) = prepared(square, poser: poser)
            output = poser.pose(input, decomposed: decomposed, pose: params)
        case .tha1(let poser):
            output = poser.pose(inputTensor(square), pose: V1Poser.poseVector(params))
        }
        // Keep `output` alive while its buffer is read: released early, the buffer would go back
        // to the shared pool where another thread's pose could overwrite it mid-conversion.
        return withExtendedLifetime(output) {
            rgbaImage(fromModelOutput: output.data, width: size, height: size, context: context)
        }
    }

    /// The model input for `image` and the eyebrow decomposer's output, both depending on the
    /// image alone: from the cache when it is the last image seen (the networks only read them).
    private func prepared(_ image: RGBAImage, poser: Poser) -> (Tensor, EyebrowDecomposer.Output) {
        lock.lock()
        if let cached, cached.image == image {
            lock.unlock()
            return (cached.input, cached.decomposition)
        }
        lock.unlock()
        let input = inputTensor(image)
        let decomposition = poser.decompose(input)
        lock.lock()
        cached = (image, input, decomposition)
        lock.unlock()
        return (input, decomposition)
    }

    /// The model input of `image`: [4, height, width] in [-1, 1].
    private func inputTensor(_ image: RGBAImage) -> Tensor {
        let input = context.tensor(uninitializedChannels: 4, height: image.height, width: image.width)
        modelInput(from: image, into: input.data, context: context)
        return input
    }
}
