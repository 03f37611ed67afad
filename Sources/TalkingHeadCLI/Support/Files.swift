import Foundation
import TalkingHead

/// Reads the character image, refusing images without transparency with the file's name.
func loadCharacter(_ path: String) throws -> RGBAImage {
    let image = try RGBAImage(contentsOf: URL(fileURLWithPath: path))
    guard image.hasAlpha else { throw TalkingHeadError.imageWithoutAlpha(path: path) }
    return image
}

/// Creates `dir` and its parents; the error names the part of the path that is in the way.
func createOutputFolder(_ dir: URL) throws {
    var isDir: ObjCBool = false
    var ancestor = dir
    while !FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDir), ancestor.path != "/" {
        ancestor = ancestor.deletingLastPathComponent()
    }
    if !isDir.boolValue {
        throw TalkingHeadError.io(path: dir.path, reason: "cannot create the output folder: \(ancestor.path) is a file, not a folder")
    }
    do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    } catch {
        throw TalkingHeadError.io(path: dir.path, reason: "cannot create the output folder: \(error.localizedDescription)")
    }
}
