import Foundation

/// Features of a clip for tools outside the library (template training in Benchmarks/lipsync).
public enum AudioFeatureDump {
    /// MFCC and loudness every 10 ms of `clip` (resampled to 16 kHz first).
    public static func features(_ clip: AudioClip) throws -> AudioFeatures {
        FeatureExtractor().features(of: try clip.resampled(to: AudioFeatures.sampleRate).samples)
    }

    /// The loudness reference `LipSync` uses for a clip.
    public static func reference(_ loudness: [Float]) -> Float {
        LipSync.reference(loudness, fallback: LipSyncSettings().initialReference)
    }
}

extension VoiceProfile {
    /// The closure regression's inputs for a frame (for training it outside the library).
    public func closureFeaturesForTraining(_ mfcc: [Float], relativeLoudness: Float) -> [Float] {
        closureFeatures(mfcc, relativeLoudness: relativeLoudness)
    }

    /// The vowel regression's inputs for a frame (for training it outside the library).
    public func vowelFeaturesForTraining(_ mfcc: [Float]) -> [Float] {
        Scorer(self).vowelFeatures(mfcc)
    }
}
