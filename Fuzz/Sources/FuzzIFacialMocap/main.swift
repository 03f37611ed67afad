import Foundation
import TalkingHead

/// Any bytes given as an iFacialMocap datagram (v1 or v2 text) decode or throw; a decoded pose is in range. The
/// input is also split in two datagrams to exercise state kept between packets (VMC).
func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Array(UnsafeBufferPointer(start: bytes, count: count))
    var decoder = CaptureDecoder(source: .iFacialMocap, converter: try! FaceCaptureConverter())
    if let pose = try? decoder.decode(data) { checkPose(pose) }
    let half = data.count / 2
    for part in [Array(data[..<half]), Array(data[half...])] {
        if let pose = try? decoder.decode(part) { checkPose(pose) }
    }
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
