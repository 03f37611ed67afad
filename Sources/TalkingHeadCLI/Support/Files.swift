import Foundation
import TalkingHead

/// Reads the character image, refusing images without transparency with the file's name.
func loadCharacter(_ path: String) throws -> RGBAImage {
    let image = try RGBAImage(contentsOf: URL(fileURLWithPath: path))
    guard image.hasAlpha else { throw TalkingHeadError.imageWithoutAlpha(path: path) }
    return image
}

/// Creates `dir` and its parents; the error names the part of the path that is in the way.
func createOutputFolder(_ dir: URL) throws { try OutputFolder.create(dir) }
