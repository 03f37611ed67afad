import Foundation
import XCTest
@testable import TalkingHead

/// Where the fidelity fixtures (made by Tests/Fixtures/make_fidelity_fixtures.py through
/// `make fixtures`) and the converted weights (`make weights`) are. Missing files fail the
/// tests: these run in CI with the real weights and are never skipped.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let generated = repository.appendingPathComponent("Tests/FidelityTests/Generated")

    static var weights: URL {
        if let env = ProcessInfo.processInfo.environment["TALKING_HEAD_WEIGHTS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return repository.appendingPathComponent("Weights")
    }

    static func require(_ url: URL, hint: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("\(url.path) is missing: \(hint)")
            throw XCTSkip("unreachable after the failure above")
        }
        return url
    }

    struct Pose: Decodable {
        var name: String
        var values: [Float]
    }

    struct PoseFile: Decodable {
        var names: [String]
        var poses: [Pose]
    }

    static func poses() throws -> PoseFile {
        let url = try require(generated.appendingPathComponent("poses.json"), hint: "run `make fixtures`")
        return try JSONDecoder().decode(PoseFile.self, from: Data(contentsOf: url))
    }

    /// One shared, loaded pipeline for all tests (loading takes a fraction of a second, but
    /// the networks hold 58 MB), configured by the environment (`Configuration(environment:)`).
    nonisolated(unsafe) private static var sharedHead: TalkingHead?
    private static let lock = NSLock()

    static func head() throws -> TalkingHead {
        lock.lock()
        defer { lock.unlock() }
        if let sharedHead { return sharedHead }
        let dir = try require(weights.appendingPathComponent("editor.safetensors"), hint: "run `make weights`")
            .deletingLastPathComponent()
        // TALKING_HEAD_MAX_VECTOR_LEVEL=avx2 checks the AVX2 loops on an AVX-512 CPU (make test-fidelity-avx2).
        let head = try TalkingHead(weightsDirectory: dir,
                                   configuration: TalkingHead.Configuration(environment: ProcessInfo.processInfo.environment))
        sharedHead = head
        print("fidelity fixtures at vector level \(head.context.level), \(head.context.workerCount) threads")
        return head
    }
}

/// A fixture file's tensor as a `Tensor`: [c, h, w] as is, [n] as 1 x 1 x n.
func fixtureTensor(_ file: SafeTensorsFile, _ key: String) throws -> Tensor {
    guard let entry = file.entries[key] else {
        XCTFail("\(file.path): no tensor \(key)")
        throw TalkingHeadError.missingTensor(path: file.path, key: key)
    }
    let flat = try file.tensor(key)
    let s = entry.shape
    let t: Tensor
    switch s.count {
    case 3: t = Tensor(channels: s[0], height: s[1], width: s[2])
    case 1: t = Tensor(channels: 1, height: 1, width: s[0])
    default:
        XCTFail("\(key): unexpected shape \(s)")
        throw TalkingHeadError.invalidWeights(path: file.path, key: key, reason: "shape \(s)")
    }
    t.data.update(from: flat.data, count: t.count)
    return t
}

/// Largest absolute difference; the shapes must agree.
func maxAbsDifference(_ a: Tensor, _ b: Tensor, _ label: String) -> Float {
    XCTAssertEqual([a.channels, a.height, a.width], [b.channels, b.height, b.width], "\(label): shapes differ")
    guard a.count == b.count else { return .infinity }
    var m: Float = 0
    for i in 0..<a.count {
        let d = abs(a.data[i] - b.data[i])
        if !(d <= m) { m = d.isNaN ? .infinity : d }
    }
    return m
}
