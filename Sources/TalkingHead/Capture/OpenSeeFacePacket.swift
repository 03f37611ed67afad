import Foundation

/// OpenSeeFace's UDP packet (emilianavt/OpenSeeFace `facetracker.py`, read by its Unity
/// `OpenSee.cs`): one 1785-byte little-endian record per face, several faces per datagram.
///
/// Record: time f64, id i32, camera width/height f32, right/left eye open f32, got-3D u8,
/// fit error f32, quaternion 4×f32, Euler 3×f32 (degrees), translation 3×f32, 68 landmark
/// confidences, 68 2-D landmarks, 70 3-D points, then 14 features: eye left/right, eyebrow
/// steepness/up-down/quirk left then right, mouth corner up-down/in-out left then right,
/// mouth open, mouth wide (features are relative to the tracker's median face, about -1...1).
public struct OpenSeeFacePacket: Sendable, Equatable {
    public static let port: UInt16 = 11573
    public static let recordSize = 8 + 4 + 2 * 4 + 2 * 4 + 1 + 4 + 3 * 4 + 3 * 4 + 4 * 4 + 4 * 68 + 4 * 2 * 68 + 4 * 3 * 70 + 4 * 14
    static let source = "OpenSeeFace packet"
    static let featuresOffset = recordSize - 4 * 14

    public var time: Double
    public var id: Int32
    public var rightEyeOpen: Float
    public var leftEyeOpen: Float
    public var got3DPoints: Bool
    /// Head rotation as OpenSee.cs derives it from the raw Euler angles (degrees):
    /// x pitch = -(raw.x + 180) mod 360, y yaw = -raw.y, z roll = (raw.z - 90) mod 360, each
    /// brought to -180...180.
    public var headDegrees: SIMD3<Float>
    /// The 14 features in packet order.
    public var features: [Float]

    public enum Feature: Int, CaseIterable, Sendable {
        case eyeLeft, eyeRight, eyebrowSteepnessLeft, eyebrowUpDownLeft, eyebrowQuirkLeft
        case eyebrowSteepnessRight, eyebrowUpDownRight, eyebrowQuirkRight
        case mouthCornerUpDownLeft, mouthCornerInOutLeft, mouthCornerUpDownRight, mouthCornerInOutRight
        case mouthOpen, mouthWide
    }

    public subscript(feature: Feature) -> Float { features[feature.rawValue] }

    /// The faces of one datagram (a positive multiple of `recordSize` bytes).
    /// - Throws: `TalkingHeadError.invalidInput` for a wrong size, a non-finite number, eye
    ///   openness outside -1...2 (implausible), or a feature outside ±10.
    public static func parse(_ bytes: [UInt8]) throws -> [OpenSeeFacePacket] {
        guard !bytes.isEmpty, bytes.count % recordSize == 0, bytes.count <= 36 * recordSize else {
            throw fail(nil, "\(bytes.count) bytes is not a whole number of \(recordSize)-byte face records")
        }
        return try stride(from: 0, to: bytes.count, by: recordSize).map { try record(bytes, at: $0) }
    }

    static func record(_ b: [UInt8], at base: Int) throws -> OpenSeeFacePacket {
        func u32(_ o: Int) -> UInt32 {
            UInt32(b[base + o]) | UInt32(b[base + o + 1]) << 8 | UInt32(b[base + o + 2]) << 16 | UInt32(b[base + o + 3]) << 24
        }
        func f32(_ o: Int, _ name: String) throws -> Float {
            let v = Float(bitPattern: u32(o))
            guard v.isFinite else { throw fail(name, "\(v) is not finite") }
            return v
        }
        let time = Double(bitPattern: UInt64(u32(0)) | UInt64(u32(4)) << 32)
        guard time.isFinite else { throw fail("time", "not finite") }
        let id = Int32(bitPattern: u32(8))
        let right = try f32(20, "rightEyeOpen"), left = try f32(24, "leftEyeOpen")
        for (v, n) in [(right, "rightEyeOpen"), (left, "leftEyeOpen")] where !(-1...2).contains(v) {
            throw fail(n, "\(v) is outside -1...2")
        }
        let got3D = b[base + 28] != 0
        // 29: fit error, 33: quaternion, 49: Euler, 61: translation.
        let rx = try f32(49, "euler.x"), ry = try f32(53, "euler.y"), rz = try f32(57, "euler.z")
        for v in [rx, ry, rz] where abs(v) > 720 { throw fail("euler", "\(v) is outside ±720 degrees") }
        func wrap(_ a: Float) -> Float {
            var r = a.truncatingRemainder(dividingBy: 360)
            if r > 180 { r -= 360 } else if r < -180 { r += 360 }
            return r
        }
        let head = SIMD3(wrap(-(rx + 180)), wrap(-ry), wrap(rz - 90))
        var features: [Float] = []
        for f in Feature.allCases {
            let v = try f32(featuresOffset + 4 * f.rawValue, "\(f)")
            guard abs(v) <= 10 else { throw fail("\(f)", "\(v) is outside ±10") }
            features.append(v)
        }
        return OpenSeeFacePacket(time: time, id: id, rightEyeOpen: right, leftEyeOpen: left, got3DPoints: got3D,
                                 headDegrees: head, features: features)
    }

    /// Our mapping to the 45 parameters (OpenSeeFace gives no blendshapes): a closing eye
    /// (feature below 0) winks, a widening one is surprised; eyebrows up raise, down lower;
    /// mouth open -> aaa, mouth wide -> iii, corners up/down -> raised/lowered corners; the
    /// head as `FaceCaptureConverter` maps it (same ranges). Eye/mouth features are relative
    /// to the tracker's median face, so a neutral face is near 0.
    public func pose(options: FaceCaptureOptions = .init()) -> PoseParameters {
        var p = PoseParameters()
        func c01(_ x: Float) -> Float { max(0, min(1, x)) }
        p[.eyeWinkLeft] = c01(-self[.eyeLeft])
        p[.eyeWinkRight] = c01(-self[.eyeRight])
        p[.eyeSurprisedLeft] = c01(self[.eyeLeft])
        p[.eyeSurprisedRight] = c01(self[.eyeRight])
        p[.eyebrowRaisedLeft] = c01(self[.eyebrowUpDownLeft])
        p[.eyebrowRaisedRight] = c01(self[.eyebrowUpDownRight])
        p[.eyebrowLoweredLeft] = c01(-self[.eyebrowUpDownLeft])
        p[.eyebrowLoweredRight] = c01(-self[.eyebrowUpDownRight])
        p[.mouthAaa] = c01(self[.mouthOpen])
        p[.mouthIii] = c01(self[.mouthWide]) * (1 - p[.mouthAaa])
        p[.mouthRaisedCornerLeft] = c01(self[.mouthCornerUpDownLeft])
        p[.mouthRaisedCornerRight] = c01(self[.mouthCornerUpDownRight])
        p[.mouthLoweredCornerLeft] = c01(-self[.mouthCornerUpDownLeft])
        p[.mouthLoweredCornerRight] = c01(-self[.mouthCornerUpDownRight])
        let h = headDegrees
        func r(_ v: Float, _ range: Double) -> Float { max(-1, min(1, v / Float(range))) }
        p[.headX] = r(-h.x, options.headPitchRange)
        p[.headY] = r(-h.y, options.headYawRange)
        p[.bodyY] = p[.headY]
        p[.neckZ] = r(h.z, options.headRollRange)
        p[.bodyZ] = p[.neckZ]
        return p
    }

    /// A record's bytes (for senders and tests): zeros except the fields given.
    public static func encode(time: Double = 0, id: Int32 = 0, rightEyeOpen: Float = 1, leftEyeOpen: Float = 1,
                              rawEuler: SIMD3<Float> = SIMD3(-180, 0, 90), features: [Float] = .init(repeating: 0, count: 14)) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: recordSize)
        func put(_ v: UInt32, _ o: Int) { for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
        let t = time.bitPattern
        put(UInt32(truncatingIfNeeded: t), 0); put(UInt32(truncatingIfNeeded: t >> 32), 4)
        put(UInt32(bitPattern: id), 8)
        put(Float(640).bitPattern, 12); put(Float(480).bitPattern, 16)
        put(rightEyeOpen.bitPattern, 20); put(leftEyeOpen.bitPattern, 24)
        b[28] = 1
        put(Float(1).bitPattern, 45)  // quaternion w
        put(rawEuler.x.bitPattern, 49); put(rawEuler.y.bitPattern, 53); put(rawEuler.z.bitPattern, 57)
        for (i, f) in features.prefix(14).enumerated() { put(f.bitPattern, featuresOffset + 4 * i) }
        return b
    }

    static func fail(_ field: String?, _ reason: String) -> TalkingHeadError {
        .invalidInput(source: source, field: field, reason: reason)
    }
}
