import FuzzSupport
import TalkingHead

/// Any text given to the pose CSV parser parses or throws, with and without clamping; every
/// parsed value is finite and inside its parameter's range.
runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    for clamp in [false, true] {
        guard let sequence = try? PoseSequence(csv: text, path: "fuzz.csv", clamp: clamp) else { continue }
        for pose in sequence.poses { checkPose(pose) }
    }
}
