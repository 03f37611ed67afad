import Foundation

/// Animates an anime character from one picture with the THA3 networks.
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
/// A `TalkingHead` may be shared between threads: `pose` keeps no per-call state outside the
/// call except a cache of the eyebrow decomposer's output for the last image, behind a lock.
public final class TalkingHead: @unchecked Sendable {
    /// Side of the square images the model works on.
    public static let imageSize = Poser.imageSize

    let poser: Poser
    private let lock = NSLock()
    private var cachedImage: RGBAImage?
    private var cachedDecomposition: EyebrowDecomposer.Output?

    /// Loads and checks all five networks from `weightsDirectory` (the `.safetensors` files
    /// written by `make weights`).
    /// - Throws: `TalkingHeadError` naming the file and tensor when a file is missing or damaged.
    public init(weightsDirectory: URL) throws {
        poser = try Poser(weightsDirectory: weightsDirectory)
    }

    /// Draws the character of `image` in the pose `params`.
    ///
    /// `image` must have an alpha channel (the character on a transparent background). Images
    /// that are not 512x512 are centre-cropped to a square and resized to 512x512 first.
    /// - Returns: a 512x512 RGBA image.
    public func pose(image: RGBAImage, params: PoseParameters) throws -> RGBAImage {
        guard image.hasAlpha else { throw TalkingHeadError.imageWithoutAlpha(path: "input image") }
        let square = image.centerCroppedResized(to: Self.imageSize)
        let input = Tensor(channels: 4, height: Self.imageSize, width: Self.imageSize)
        modelInput(from: square, into: input.data)
        let decomposed = decomposition(of: square, input: input)
        let output = poser.pose(input, decomposed: decomposed, pose: params)
        // Keep `output` alive while its buffer is read: released early, the buffer would go back
        // to the shared pool where another thread's pose could overwrite it mid-conversion.
        return withExtendedLifetime(output) {
            rgbaImage(fromModelOutput: output.data, width: Self.imageSize, height: Self.imageSize)
        }
    }

    /// The eyebrow decomposer's output for `image`, from the cache when it is the last image seen.
    private func decomposition(of image: RGBAImage, input: Tensor) -> EyebrowDecomposer.Output {
        lock.lock()
        if let cachedImage, let cachedDecomposition, cachedImage == image {
            lock.unlock()
            return cachedDecomposition
        }
        lock.unlock()
        let result = poser.decompose(input)
        lock.lock()
        cachedImage = image
        cachedDecomposition = result
        lock.unlock()
        return result
    }
}
