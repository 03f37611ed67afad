import Foundation

/// Strict access to the tensors of one network's weights file.
///
/// Layers `take` their tensors by checkpoint key and declared shape as they are built; a
/// missing key or a different shape is an error naming both. `finish()` then refuses any
/// tensor no layer used, so a file for another network (or a damaged one) cannot load.
final class WeightStore {
    /// File format version this package writes and reads (`__metadata__.format_version`).
    static let formatVersion = "1"

    let path: String
    /// What the layers built from this file run their kernels with.
    let context: KernelContext
    private let file: SafeTensorsFile
    private var used = Set<String>()

    init(contentsOf url: URL, context: KernelContext = .standard) throws {
        self.context = context
        file = try SafeTensorsFile(contentsOf: url)
        path = url.path
        if let format = file.metadata["format"], format == "talking-head-weights",
           let version = file.metadata["format_version"], version != Self.formatVersion {
            throw TalkingHeadError.invalidWeights(
                path: path, key: nil,
                reason: "format version \(version) is not supported (expected \(Self.formatVersion)); reconvert with `make weights`")
        }
    }

    /// The `__metadata__` of the file.
    var metadata: [String: String] { file.metadata }

    /// All keys in the file.
    var keys: [String] { Array(file.entries.keys) }

    /// Shape of `key` if present (used by networks that read their configuration from shapes).
    func shape(_ key: String) -> [Int]? { file.entries[key]?.shape }

    /// The tensor `key`, which must have exactly `shape`.
    func take(_ key: String, shape: [Int]) throws -> Tensor {
        guard let entry = file.entries[key] else {
            throw TalkingHeadError.missingTensor(path: path, key: key)
        }
        guard entry.shape == shape else {
            throw TalkingHeadError.shapeMismatch(path: path, key: key, expected: shape, found: entry.shape)
        }
        used.insert(key)
        return try file.tensor(key)
    }

    /// Throws for the first (in sorted order) tensor that no layer took.
    func finish() throws {
        if let extra = file.entries.keys.filter({ !used.contains($0) }).sorted().first {
            throw TalkingHeadError.unexpectedTensor(path: path, key: extra)
        }
    }
}
