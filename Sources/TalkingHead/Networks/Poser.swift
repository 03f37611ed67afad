import Foundation

/// The five-step THA3 pipeline of `tha3/poser/modes/separable_float.py`
/// (FiveStepPoserComputationProtocol), on model-space tensors in [-1, 1].
struct Poser {
    /// File names of the five networks in a weights directory: the one place they are written.
    enum File: String, CaseIterable {
        case eyebrowDecomposer = "eyebrow_decomposer.safetensors"
        case eyebrowMorphingCombiner = "eyebrow_morphing_combiner.safetensors"
        case faceMorpher = "face_morpher.safetensors"
        case faceBodyRotator = "two_algo_face_body_rotator.safetensors"
        case editor = "editor.safetensors"
    }

    static let imageSize = 512

    let decomposer: EyebrowDecomposer
    let combiner: EyebrowMorphingCombiner
    let morpher: FaceMorpher
    let rotator: FaceBodyRotator
    let editor: Editor

    /// The kernels' vector level, threads, buffers and tuning.
    let context: KernelContext

    init(weightsDirectory dir: URL, context: KernelContext = .standard) throws {
        self.context = context
        let folder = try WeightsFolder(dir, context: context)
        func store(_ f: File) throws -> WeightStore { try folder.store(f.rawValue) }
        decomposer = try EyebrowDecomposer(store(.eyebrowDecomposer))
        combiner = try EyebrowMorphingCombiner(store(.eyebrowMorphingCombiner))
        morpher = try FaceMorpher(store(.faceMorpher))
        rotator = try FaceBodyRotator(store(.faceBodyRotator))
        editor = try Editor(store(.editor))
    }

    /// Step 1, which depends only on the image: the eyebrow decomposer on image[64:192, 192:320].
    /// image [4, 512, 512]
    func decompose(_ image: Tensor) -> EyebrowDecomposer.Output {
        withDenormalsFlushed { decomposer(image.crop(top: 64, left: 192, height: 128, width: 128)) }
    }

    /// Steps 2-5. image [4, 512, 512] -> editor output 0 [4, 512, 512].
    func pose(_ image: Tensor, decomposed: EyebrowDecomposer.Output, pose: PoseParameters) -> Tensor {
        withDenormalsFlushed { posed(image, decomposed: decomposed, pose: pose) }
    }

    private func posed(_ image: Tensor, decomposed: EyebrowDecomposer.Output, pose: PoseParameters) -> Tensor {
        let combined = Profile.measure(.combinerNetwork) {
            combiner(backgroundLayer: decomposed.backgroundLayer, eyebrowLayer: decomposed.eyebrowLayer, pose: pose.eyebrow)
        }
        let face = image.crop(top: 32, left: 160, height: 192, width: 192)
        face.paste(combined.eyebrowImageNoCombineAlpha, top: 32, left: 32)
        let morphed = Profile.measure(.morpherNetwork) { morpher(face, pose: pose.face) }
        let full = image.copy()
        full.paste(morphed.outputImage, top: 32, left: 160)
        let half = resized(full, to: FaceBodyRotator.imageSize)
        let rotated = Profile.measure(.rotatorNetwork) { rotator.warp(half, pose: pose.rotation) }
        let warped = resized(rotated.warpedImage, to: Self.imageSize)
        let grid = resized(rotated.gridChange, to: Self.imageSize)
        return Profile.measure(.editorNetwork) {
            editor(originalImage: full, warpedImage: warped, gridChange: grid, pose: pose.rotation).colorChanged
        }
    }

    /// Bilinear resize (align_corners=False) to size x size.
    func resized(_ x: Tensor, to size: Int) -> Tensor {
        Profile.measure(.resize) { context.resizedBilinear(x, to: size) }
    }
}
