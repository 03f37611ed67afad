import Foundation

/// Port of `poser/morph_rotate_combine_poser.py` (MorphRotateCombinePoser256Param6) of THA v1:
/// face morpher -> two-algorithm face rotator -> combiner, on model-space tensors in [-1, 1].
///
/// The pose has 6 values in upstream order: head_x, head_y, neck_z (in [-1, 1]; the rotator's and
/// combiner's input) then left_eye, right_eye, mouth (in [0, 1]; the morpher's input).
struct V1Poser {
    /// File names of the three networks in a weights directory (as `Weights/convert.py` writes them).
    enum File: String, CaseIterable {
        case faceMorpher = "face_morpher.safetensors"
        case faceRotator = "two_algo_face_rotator.safetensors"
        case combiner = "combiner.safetensors"
    }

    /// The released networks work on 256x256 images (upstream `MorphRotateCombinePoser256Param6`).
    static let defaultImageSize = 256
    static let imageChannels = 4
    static let rotationPoseSize = 3
    static let morphPoseSize = 3

    let morpher: V1FaceMorpher
    let rotator: V1TwoAlgoFaceRotator
    let combiner: V1Combiner
    /// Side of the square images the poser works on: `image_size` from the face morpher's
    /// metadata (`image_size`, or the JSON `config` of the random-weight fixtures) when present,
    /// else 256.
    let imageSize: Int

    /// The kernels' vector level, threads, buffers and tuning.
    let context: KernelContext

    init(weightsDirectory dir: URL, context: KernelContext = .standard) throws {
        self.context = context
        let folder = try WeightsFolder(dir, context: context)
        func store(_ f: File) throws -> WeightStore { try folder.store(f.rawValue) }
        let morpherStore = try store(.faceMorpher)
        let size = try Self.imageSize(metadata: morpherStore.metadata, path: morpherStore.path)
        morpher = try V1FaceMorpher(morpherStore)
        let rotatorStore = try store(.faceRotator)
        rotator = try V1TwoAlgoFaceRotator(rotatorStore)
        let combinerStore = try store(.combiner)
        combiner = try V1Combiner(combinerStore)
        // The pipeline feeds RGBA images and the 3 + 3 pose values: the networks must agree.
        let checks: [(String, String, Int, Int, Int)] = [
            (morpherStore.path, "color_change.0.weight", morpher.imageChannels, morpher.poseSize, Self.morphPoseSize),
            (rotatorStore.path, "pumarola_color_change.0.weight", rotator.imageChannels, rotator.poseSize, Self.rotationPoseSize),
            (combinerStore.path, "combine_alpha_mask.0.weight", combiner.imageChannels, combiner.poseSize, Self.rotationPoseSize),
        ]
        for (path, key, channels, pose, wantPose) in checks {
            guard channels == Self.imageChannels, pose == wantPose else {
                throw TalkingHeadError.invalidWeights(
                    path: path, key: key,
                    reason: "a network for \(channels)-channel images and \(pose) pose values; the THA v1 poser needs \(Self.imageChannels) and \(wantPose)")
            }
        }
        for (path, levels) in [(morpherStore.path, morpher.body.levels), (rotatorStore.path, rotator.body.levels),
                               (combinerStore.path, combiner.body.levels)] where size % (1 << levels) != 0 {
            throw TalkingHeadError.invalidWeights(
                path: path, key: nil, reason: "\(levels) downsampling levels do not divide the image size \(size)")
        }
        imageSize = size
    }

    /// `image_size` from a face morpher's metadata, else `defaultImageSize`.
    static func imageSize(metadata: [String: String], path: String) throws -> Int {
        var text = metadata["image_size"]
        if text == nil, let config = metadata["config"],
           let object = try? JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any], let size = object["image_size"] {
            text = "\(size)"
        }
        guard let text else { return defaultImageSize }
        guard let size = Int(text), size > 0, size <= 4096 else {
            throw TalkingHeadError.invalidWeights(path: path, key: nil, reason: "metadata image_size \(text) is not a size in 1...4096")
        }
        return size
    }

    /// The 6 upstream pose values from THA3 parameters: head_x, head_y, neck_z, then
    /// eye_wink_left (left_eye), eye_wink_right (right_eye), mouth_aaa (mouth).
    static func poseVector(_ params: PoseParameters) -> [Float] {
        [params[.headX], params[.headY], params[.neckZ], params[.eyeWinkLeft], params[.eyeWinkRight], params[.mouthAaa]]
    }

    /// image [4, s, s], pose [6] -> combiner output 0 [4, s, s].
    func pose(_ image: Tensor, pose: [Float]) -> Tensor {
        precondition(pose.count == Self.rotationPoseSize + Self.morphPoseSize, "a THA v1 pose has 6 values")
        return withDenormalsFlushed {
            let rotation = pose[0..<Self.rotationPoseSize]
            let morphed = Profile.measure(.v1MorpherNetwork) { morpher(image, pose: pose[Self.rotationPoseSize...]).outputImage }
            let rotated = Profile.measure(.v1RotatorNetwork) { rotator(morphed, pose: rotation) }
            return Profile.measure(.v1CombinerNetwork) {
                combiner(rotated.colorChanged, rotated.resampled, pose: rotation).finalImage
            }
        }
    }
}
