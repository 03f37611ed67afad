import Foundation
import TalkingHead

/// Any text given to the Live Link Face reader parses or throws; a parsed recording resamples
/// to poses in range, its times never go backwards.
func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    guard let recording = try? LiveLinkFaceRecording(csv: text, path: "fuzz.csv") else { return 0 }
    precondition(zip(recording.times, recording.times.dropFirst()).allSatisfy { $0 <= $1 })
    // Bounded: a recording spanning hours would resample to very many poses at 25 fps.
    let fps = min(25, 2000 / max(recording.times.last!, 1e-3))
    for pose in (try? recording.poses(fps: fps, converter: try! FaceCaptureConverter())) ?? [] { checkPose(pose) }
    return 0
}

/// Every pose a decoder gives is finite and inside each parameter's range.
func checkPose(_ pose: PoseParameters) {
    for p in PoseParameter.allCases {
        precondition(pose[p].isFinite && p.range.contains(pose[p]), "\(p) = \(pose[p])")
    }
}

// libFuzzer's driver runs `fuzzOne` on generated inputs (see FuzzCSV/main.swift).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzOne($0, $1) })
