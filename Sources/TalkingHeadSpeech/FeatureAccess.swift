import Foundation

/// Features of a clip for tools outside the library (template training in Benchmarks/lipsync).
public enum AudioFeatureDump {
    /// MFCC and loudness every 10 ms of `clip` (resampled to 16 kHz first).
    public static func features(_ clip: AudioClip) throws -> AudioFeatures {
        FeatureExtractor().features(of: try clip.resampled(to: AudioFeatures.sampleRate).samples)
    }

    /// Per frame, how far below the loudest frame within +-50 ms it is (dB, <= 0).
    public static func dips(_ loudness: [Float]) -> [Float] { LipSync.dips(loudness) }

    /// The loudness reference `LipSync` uses for a clip.
    public static func reference(_ loudness: [Float]) -> Float {
        LipSync.reference(loudness, fallback: LipSyncSettings().initialReference)
    }
}

extension VoiceProfile {
    /// The closure regression's inputs for a frame (for training it outside the library).
    public func closureFeaturesForTraining(_ mfcc: [Float], relativeLoudness: Float, dip: Float) -> [Float] {
        closureFeatures(mfcc, relativeLoudness: relativeLoudness, dip: dip)
    }

    /// The vowel regression's inputs for a frame (for training it outside the library).
    public func vowelFeaturesForTraining(_ mfcc: [Float]) -> [Float] {
        Scorer(self).vowelFeatures(mfcc)
    }
}
