import Foundation
import TalkingHead

// libFuzzer's driver runs the target's body on generated inputs; libFuzzer's own flags are passed
// through. Scripts/fuzz.sh links each binary with -sanitize=fuzzer,address: the target's
// top-level code is main, and libFuzzer's own main is never pulled from its archive.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// The body libFuzzer calls (a C callback cannot capture it, so it waits here).
nonisolated(unsafe) private var body: ((UnsafeBufferPointer<UInt8>) -> Void)?

/// Runs libFuzzer on `fuzzOne` (one generated input a call) and exits with its status.
public func runFuzzer(_ fuzzOne: @escaping (UnsafeBufferPointer<UInt8>) -> Void) -> Never {
    body = fuzzOne
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
        body!(UnsafeBufferPointer(start: bytes, count: count))
        return 0
    })
}

/// Every pose a parser or decoder gives is finite and inside each parameter's range.
public func checkPose(_ pose: PoseParameters) {
    for p in PoseParameter.allCases {
        precondition(pose[p].isFinite && p.range.contains(pose[p]), "\(p) = \(pose[p])")
    }
}

/// `bytes` as one datagram of `source`, then split in two (state kept between packets, as
/// VMC's): each decodes or throws, a decoded pose is in range.
public func fuzzCaptureDatagrams(_ source: CaptureSource, _ bytes: UnsafeBufferPointer<UInt8>) {
    let data = Array(bytes)
    var decoder = CaptureDecoder(source: source, converter: try! FaceCaptureConverter())
    if let pose = try? decoder.decode(data) { checkPose(pose) }
    let half = data.count / 2
    for part in [Array(data[..<half]), Array(data[half...])] {
        if let pose = try? decoder.decode(part) { checkPose(pose) }
    }
}
