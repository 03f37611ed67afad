import Foundation
@testable import TalkingHead

/// Any bytes given to the safetensors reader load or throw; every tensor of a file that loads
/// can be read whole.
func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    guard let file = try? SafeTensorsFile(data: data, path: "fuzz.safetensors") else { return 0 }
    for key in file.entries.keys {
        if let t = try? file.tensor(key) { precondition(t.count == file.entries[key]!.shape.reduce(1, *), key) }
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
