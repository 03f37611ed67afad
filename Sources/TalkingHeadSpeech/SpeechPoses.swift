import Foundation
import TalkingHead

extension MouthTrack {
    /// The track as a pose CSV that `animate` reads: a `time` column (seconds), then the mouth
    /// parameters lip sync sets, one row per frame.
    public func poseCSV() -> String {
        var out = "time," + MouthShape.parameters.map(\.rawValue).joined(separator: ",") + "\n"
        out.reserveCapacity(shapes.count * 60)
        for (i, s) in shapes.enumerated() {
            let v = [s.aaa, s.iii, s.uuu, s.eee, s.ooo, s.raisedCorners, s.raisedCorners]
            out += String(format: "%.3f", Double(i) / frameRate) + "," + v.map { String(format: "%.3f", $0) }.joined(separator: ",") + "\n"
        }
        return out
    }
}

/// Poses for a talking character: the mouth from a track over a base animation.
public enum SpeechPoses {
    /// One pose per frame of `track`: `base` (its last row held when shorter; its mouth
    /// columns replaced) or, without a base, the idle `Animator` (blinks, breathing, sway),
    /// the mouth set exactly from the track (not eased, so closures stay).
    public static func poses(track: MouthTrack, base: [PoseParameters]? = nil, seed: UInt64 = 1) -> [PoseParameters] {
        let idle = base == nil ? Animator(seed: seed).poses(count: track.shapes.count, fps: track.frameRate) : []
        return track.shapes.enumerated().map { i, shape in
            var p: PoseParameters
            if let base, !base.isEmpty { p = base[min(i, base.count - 1)] } else { p = idle[i] }
            shape.apply(to: &p)
            return p
        }
    }
}
