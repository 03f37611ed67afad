import Foundation

/// The result of checking a weights folder against the `manifest.json` that `make weights`
/// (Weights/fetch.py) wrote: every network file the model needs listed (a manifest missing one
/// fails), every listed file present, its SHA-256 as recorded, and for the `.safetensors`
/// files a valid header with the recorded tensor and float counts.
public struct WeightsVerification: Sendable {
    /// One listed file and what the check found.
    public struct Entry: Sendable {
        /// The file's path.
        public var path: String
        /// Whether it is present and matches the manifest.
        public var ok: Bool
        /// "ok (N tensors, M floats)" or what is wrong.
        public var detail: String
    }

    /// The files in the manifest's order of sections (networks, samples, sample documents).
    public var entries: [Entry]
    /// True when every listed file checks out.
    public var ok: Bool { entries.allSatisfy(\.ok) }
}

extension TalkingHead {
    /// The name of the manifest inside a weights folder.
    public static let manifestFileName = "manifest.json"

    /// Checks the files of a weights folder against its `manifest.json`.
    /// - Throws: `TalkingHeadError` when the manifest itself is missing or malformed (naming it).
    public static func verifyWeights(directory: URL) throws -> WeightsVerification {
        let manifestURL = directory.appendingPathComponent(manifestFileName)
        func malformed(_ reason: String) -> TalkingHeadError {
            .invalidWeights(path: manifestURL.path, key: nil, reason: "malformed manifest: \(reason)")
        }
        let bytes = try InputFile.read(manifestURL)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: bytes)
        } catch {
            throw malformed("not JSON (\(error.localizedDescription))")
        }
        guard let manifest = json as? [String: Any] else { throw malformed("not an object") }
        var entries: [WeightsVerification.Entry] = []
        // Every network file the model needs must be listed: a manifest cut short proves nothing.
        let networks = manifest["files"] as? [String: Any] ?? [:]
        switch requiredFiles(manifest: manifest, directory: directory) {
        case .success(let required):
            for name in required where networks[name] == nil {
                entries.append(.init(path: directory.appendingPathComponent(name).path, ok: false,
                                     detail: "needed by the model but not in the manifest"))
            }
        case .failure(let reason):
            entries.append(.init(path: manifestURL.path, ok: false, detail: reason.description))
        }
        for section in ["files", "samples", "sample_docs"] {
            guard let listed = manifest[section] as? [String: Any] else { throw malformed("no \"\(section)\" object") }
            for name in listed.keys.sorted() {
                guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                    throw malformed("path \(name) leaves the folder")
                }
                let value = listed[name]!
                let info = value as? [String: Any]
                guard let digest = (info?["sha256"] ?? value) as? String else { throw malformed("\(name) has no sha256") }
                let url = directory.appendingPathComponent(name)
                entries.append(check(url, sha256: digest, tensors: info?["tensors"] as? Int, floats: info?["floats"] as? Int))
            }
        }
        return WeightsVerification(entries: entries)
    }

    /// The network files of the model the manifest names (`"model"`), else of the model the
    /// folder's file names show.
    private static func requiredFiles(manifest: [String: Any], directory: URL) -> Result<[String], TalkingHeadError> {
        let model: Model
        if let name = manifest["model"] as? String {
            guard let m = Model(rawValue: name) else {
                return .failure(.invalidInput(source: "manifest.json", field: "model", reason: "unknown model \"\(name.prefix(80))\""))
            }
            model = m
        } else {
            do { model = try detectModel(directory) } catch let error as TalkingHeadError { return .failure(error) } catch {
                return .failure(.invalidWeights(path: directory.path, key: nil, reason: "\(error)"))
            }
        }
        switch model {
        case .tha3: return .success(Poser.File.allCases.map(\.rawValue).sorted())
        case .tha1: return .success(V1Poser.File.allCases.map(\.rawValue).sorted())
        }
    }

    private static func check(_ url: URL, sha256 expected: String, tensors: Int?, floats: Int?) -> WeightsVerification.Entry {
        let path = url.path
        func bad(_ detail: String) -> WeightsVerification.Entry { .init(path: path, ok: false, detail: detail) }
        let data: Data
        do { data = try InputFile.read(url, mapped: true) } catch TalkingHeadError.fileNotFound {
            return bad("missing")
        } catch let TalkingHeadError.io(_, reason) {
            return bad(reason)
        } catch {
            return bad("\(error)")
        }
        let actual = sha256Hex(data)
        guard actual == expected.lowercased() else { return bad("SHA-256 is \(actual), the manifest says \(expected)") }
        guard url.pathExtension == "safetensors" else { return .init(path: path, ok: true, detail: "ok") }
        do {
            let file = try SafeTensorsFile(data: data, path: path)
            let n = file.entries.count
            let f = file.entries.values.reduce(0) { $0 + $1.shape.reduce(1, *) }
            if let tensors, tensors != n { return bad("\(n) tensors, the manifest says \(tensors)") }
            if let floats, floats != f { return bad("\(f) floats, the manifest says \(floats)") }
            return .init(path: path, ok: true, detail: "ok (\(n) tensors, \(f) floats)")
        } catch {
            return bad("\(error)")
        }
    }
}
