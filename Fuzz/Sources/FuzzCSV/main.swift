import Foundation
import TalkingHead

/// Any text given to the pose CSV parser parses or throws, with and without clamping; every
/// parsed value is finite and inside its parameter's range.
func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    for clamp in [false, true] {
        guard let sequence = try? PoseSequence(csv: text, path: "fuzz.csv", clamp: clamp) else { continue }
        for pose in sequence.poses {
            for p in PoseParameter.allCases {
                precondition(pose[p].isFinite && p.range.contains(pose[p]), "\(p) = \(pose[p])")
            }
        }
    }
    return 0
}

// libFuzzer's driver runs `fuzzOne` on generated inputs; libFuzzer's own flags are passed through.
// The binary is linked with -sanitize=fuzzer,address by Scripts/fuzz.sh: this top-level code is
// main, and libFuzzer's own main is never pulled from its archive.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzOne($0, $1) })
