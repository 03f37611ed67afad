import Foundation
import TalkingHead

// Usage: LibraryUsage WEIGHTS_DIR CHARACTER.png OUTPUT.png
let args = CommandLine.arguments
guard args.count == 4 else {
    FileHandle.standardError.write(Data("usage: LibraryUsage WEIGHTS_DIR CHARACTER.png OUTPUT.png\n".utf8))
    exit(2)
}
do {
    let head = try TalkingHead(weightsDirectory: URL(fileURLWithPath: args[1]))
    let image = try RGBAImage(contentsOf: URL(fileURLWithPath: args[2]))
    var params = PoseParameters()
    params[.headX] = 0.4
    params[.eyeWinkLeft] = 1
    params[.mouthAaa] = 0.8
    let posed = try head.pose(image: image, params: params)
    try posed.write(to: URL(fileURLWithPath: args[3]))
    print("wrote \(args[3]) (\(posed.width)x\(posed.height))")
} catch {
    FileHandle.standardError.write(Data("LibraryUsage: \(error)\n".utf8))
    exit(1)
}
