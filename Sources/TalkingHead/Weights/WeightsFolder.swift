import Foundation

/// A folder of converted weights, one safetensors file per network: the one loader of THA3's
/// `Poser` and THA v1's `V1Poser` (and of `TalkingHead.detectModel`). Each file opens as a
/// `WeightStore` whose layers run their kernels with `context`.
struct WeightsFolder {
    let url: URL
    let context: KernelContext

    /// - Throws: `TalkingHeadError.fileNotFound` when `url` is not a folder.
    init(_ url: URL, context: KernelContext) throws {
        _ = configureBLASThreads
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw TalkingHeadError.fileNotFound(path: url.path)
        }
        self.url = url
        self.context = context
    }

    /// Whether the folder holds a file `name`.
    func contains(_ name: String) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) }

    /// The network file `name`, opened strictly (see `WeightStore`).
    func store(_ name: String) throws -> WeightStore {
        try WeightStore(contentsOf: url.appendingPathComponent(name), context: context)
    }
}
