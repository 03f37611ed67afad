import Foundation
import TalkingHead

/// Any bytes given to the PNG reader decode or throw; then a decoded image must convert and
/// encode again.
func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    guard let image = try? RGBAImage(pngData: data, name: "fuzz.png") else { return 0 }
    precondition(image.pixels.count == image.width * image.height * 4)
    _ = try? image.pngData()
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
