import Foundation
import TalkingHead

/// The trained frame classifiers of audio lip sync: one for offline use (looks 80 ms ahead)
/// and one for the live stream (looks 20 ms ahead), in Resources/lipsync_model.json, made by
/// `Benchmarks/lipsync/train_model.py` (`bash Benchmarks/lipsync_eval.sh --train`).
public struct LipSyncModel: Codable, Sendable, Equatable {
    public var version: Int
    /// How the model was made (free text).
    public var source: String
    public var offline: FrameClassifier
    public var live: FrameClassifier

    /// The model shipped with the library (speaker-independent).
    public static let builtIn: LipSyncModel = {
        guard let url = Bundle.module.url(forResource: "lipsync_model", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let m = try? LipSyncModel(json: data, source: "lipsync_model.json") else {
            fatalError("TalkingHeadSpeech: the built-in lipsync_model.json resource is missing or invalid")
        }
        return m
    }()

    /// Reads a model (as the training script writes it); errors name `source` and the field.
    public init(json: Data, source: String) throws {
        let m: LipSyncModel
        do { m = try JSONDecoder().decode(LipSyncModel.self, from: json) } catch {
            throw TalkingHeadError.invalidInput(source: source, field: nil, reason: "not a lip-sync model (\(error))")
        }
        try m.offline.validate(source: source + " (offline)")
        try m.live.validate(source: source + " (live)")
        self = m
    }
}
