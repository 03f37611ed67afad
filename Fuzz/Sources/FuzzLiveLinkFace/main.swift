import FuzzSupport
import TalkingHead

/// Any text given to the Live Link Face reader parses or throws; a parsed recording resamples
/// to poses in range, its times never go backwards.
runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let recording = try? LiveLinkFaceRecording(csv: text, path: "fuzz.csv") else { return }
    precondition(zip(recording.times, recording.times.dropFirst()).allSatisfy { $0 <= $1 })
    // Bounded: a recording spanning hours would resample to very many poses at 25 fps.
    let fps = min(25, 2000 / max(recording.times.last!, 1e-3))
    for pose in (try? recording.poses(fps: fps, converter: try! FaceCaptureConverter())) ?? [] { checkPose(pose) }
}
