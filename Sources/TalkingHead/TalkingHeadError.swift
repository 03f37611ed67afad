import Foundation

/// The one error type of the package. Every case carries the file, key or line it concerns,
/// so that a message alone tells a user what to fix.
public enum TalkingHeadError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A file or directory that should exist does not.
    case fileNotFound(path: String)
    /// A file exists but could not be read or written (permissions, full disk, ...).
    case io(path: String, reason: String)
    /// A PNG that libpng could not decode (or a file that is not a PNG).
    case unreadableImage(path: String, reason: String)
    /// An image could not be encoded or written.
    case unwritableImage(path: String, reason: String)
    /// The character image has no alpha channel: the model needs a transparent background.
    case imageWithoutAlpha(path: String)
    /// Pixel data whose size does not match its width and height.
    case invalidImage(reason: String)
    /// A weights file that is malformed (header, dtype, offsets). `key` is nil for file-level faults.
    case invalidWeights(path: String, key: String?, reason: String)
    /// A tensor the network needs is not in the weights file.
    case missingTensor(path: String, key: String)
    /// A tensor in the weights file that no layer uses.
    case unexpectedTensor(path: String, key: String)
    /// A tensor whose shape is not the one the layer declares.
    case shapeMismatch(path: String, key: String, expected: [Int], found: [Int])
    /// A pose parameter name that is not one of the 45.
    case unknownParameter(name: String)
    /// A problem in a pose CSV file, at a 1-based line and (when known) 1-based column.
    case invalidPoseFile(path: String, line: Int, column: Int?, reason: String)
    /// A `TalkingHead.Configuration` (or other settings value) field out of its range.
    case invalidConfiguration(field: String, reason: String)
    /// A value read from a file, request or packet that is not acceptable. `source` names the
    /// file, request or packet kind; `field` the key, line or column when known.
    case invalidInput(source: String, field: String?, reason: String)
    /// A render stopped by its caller after `done` of `total` frames.
    case cancelled(done: Int, total: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file or directory"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .unreadableImage(let path, let reason):
            return "\(path): not a readable PNG image (\(reason))"
        case .unwritableImage(let path, let reason):
            return "\(path): could not write the image (\(reason))"
        case .imageWithoutAlpha(let path):
            return "\(path): the image has no alpha channel; the model needs a character on a transparent background (RGBA PNG)"
        case .invalidImage(let reason):
            return "invalid image: \(reason)"
        case .invalidWeights(let path, let key, let reason):
            if let key { return "\(path): tensor '\(key)': \(reason)" }
            return "\(path): \(reason)"
        case .missingTensor(let path, let key):
            return "\(path): tensor '\(key)' is missing"
        case .unexpectedTensor(let path, let key):
            return "\(path): tensor '\(key)' is not used by the network (wrong file?)"
        case .shapeMismatch(let path, let key, let expected, let found):
            return "\(path): tensor '\(key)' has shape \(found), expected \(expected)"
        case .unknownParameter(let name):
            return "unknown pose parameter '\(name)' (run `talking-head params` for the list)"
        case .invalidPoseFile(let path, let line, let column, let reason):
            if let column { return "\(path):\(line):\(column): \(reason)" }
            return "\(path):\(line): \(reason)"
        case .invalidConfiguration(let field, let reason):
            return "configuration '\(field)': \(reason)"
        case .invalidInput(let source, let field, let reason):
            if let field { return "\(source): '\(field)': \(reason)" }
            return "\(source): \(reason)"
        case .cancelled(let done, let total):
            return "cancelled after \(done) of \(total) frames"
        }
    }

    public var errorDescription: String? { description }
}
