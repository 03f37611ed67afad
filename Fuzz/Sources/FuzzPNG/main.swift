import Foundation
import FuzzSupport
import TalkingHead

/// Any bytes given to the PNG reader decode or throw; then a decoded image must convert and
/// encode again.
runFuzzer { bytes in
    guard let image = try? RGBAImage(pngData: Data(bytes), name: "fuzz.png") else { return }
    precondition(image.pixels.count == image.width * image.height * 4)
    _ = try? image.pngData()
}
