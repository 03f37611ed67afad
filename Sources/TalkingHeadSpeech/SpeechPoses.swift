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
    /// columns replaced) or, without a base, an idle character of our own (blinks every 2-6 s,
    /// 4 s breathing) until the library's animator takes this role.
    public static func poses(track: MouthTrack, base: [PoseParameters]? = nil, seed: UInt64 = 1) -> [PoseParameters] {
        let idle = base == nil ? idlePoses(count: track.shapes.count, frameRate: track.frameRate, seed: seed) : []
        return track.shapes.enumerated().map { i, shape in
            var p: PoseParameters
            if let base, !base.isEmpty { p = base[min(i, base.count - 1)] } else { p = idle[i] }
            shape.apply(to: &p)
            return p
        }
    }

    /// Blinks (150 ms, every 2-6 s, seeded) and breathing (a 4 s cycle), nothing else.
    static func idlePoses(count: Int, frameRate: Double, seed: UInt64) -> [PoseParameters] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> Double {   // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        var blinks: [Double] = []
        var t = 1 + 2 * next()
        let end = Double(count) / frameRate
        while t < end { blinks.append(t); t += 2 + 4 * next() }
        return (0..<count).map { i in
            let time = Double(i) / frameRate
            var p = PoseParameters()
            p[.breathing] = Float(0.5 - 0.5 * cos(2 * Double.pi * time / 4))
            for b in blinks where time >= b && time < b + 0.15 {
                let phase = (time - b) / 0.15
                let v = Float(sin(Double.pi * phase))
                p[.eyeWinkLeft] = v
                p[.eyeWinkRight] = v
            }
            return p
        }
    }
}
