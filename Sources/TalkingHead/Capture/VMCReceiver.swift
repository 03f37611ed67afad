import Foundation

/// The VMC protocol's face part (sh-akira/VirtualMotionCaptureProtocol, V2.5) over OSC:
/// `/VMC/Ext/Blend/Val (s)name (f)value` for each blendshape, then `/VMC/Ext/Blend/Apply`
/// makes them one face; `/VMC/Ext/Bone/Pos "Head" px py pz qx qy qz qw` gives the head
/// rotation (Unity axes; converted to degrees: x pitch, y yaw, z roll). Other addresses are
/// ignored, as the reference receiver EVMC4U does.
///
/// Blendshape names: ARKit "perfect sync" names (camelCase or PascalCase), VRCFT Unified
/// Expressions names, and the VRM presets Blink, Blink_L, Blink_R (eye blinks) and A (jaw
/// open); the other VRM presets (I, U, E, O, Joy, Angry, Sorrow, Fun, Neutral, LookUp,
/// LookDown, LookLeft, LookRight) are accepted and ignored.
///
/// A datagram is taken whole or refused: malformed OSC, a Val with the wrong arguments, an
/// unknown name or a value that is not finite or outside 0...1 throws
/// `TalkingHeadError.invalidInput` and nothing of it is kept.
public struct VMCReceiver: Sendable {
    /// Default port of VMC receivers (performers send here).
    public static let port: UInt16 = 39539
    static let source = "VMC packet"
    static let ignoredPresets: Set<String> = ["I", "U", "E", "O", "Joy", "Angry", "Sorrow", "Fun", "Neutral",
                                              "LookUp", "LookDown", "LookLeft", "LookRight",
                                              "a", "i", "u", "e", "o", "blink", "joy", "angry", "sorrow", "fun", "neutral"]

    /// Values received since the last Apply.
    var pending: [String: Float] = [:]
    var head = SIMD3<Float>.zero

    public init() {}

    /// Takes one datagram; returns a face when it contains an Apply.
    public mutating func receive(_ bytes: [UInt8]) throws -> FaceCaptureFrame? {
        let messages = try OSCPacket.parse(bytes)
        // Check everything first so that a bad packet leaves the state as it was.
        var pending = self.pending
        var head = self.head
        var face: FaceCaptureFrame?
        for m in messages {
            switch m.address {
            case "/VMC/Ext/Blend/Val":
                guard m.arguments.count >= 2, case .string(let name) = m.arguments[0],
                      case .float(let value) = m.arguments[1] else {
                    throw Self.fail(nil, "/VMC/Ext/Blend/Val needs (s)name (f)value")
                }
                guard value.isFinite, (0...1).contains(value) else { throw Self.fail(name, "\(value) is not within 0...1") }
                guard Self.isKnown(name) else { throw Self.fail(name, "not an ARKit, Unified Expressions or VRM blendshape name") }
                pending[name] = value
            case "/VMC/Ext/Blend/Apply":
                face = try Self.face(from: pending, head: head)
                pending = [:]
            case "/VMC/Ext/Bone/Pos":
                guard m.arguments.count >= 8, case .string(let bone) = m.arguments[0] else {
                    throw Self.fail(nil, "/VMC/Ext/Bone/Pos needs (s)bone and 7 floats")
                }
                guard bone == "Head" else { continue }
                var f: [Float] = []
                for a in m.arguments[1..<8] {
                    guard case .float(let v) = a, v.isFinite, abs(v) <= 1000 else { throw Self.fail("Head", "position and rotation must be 7 finite floats") }
                    f.append(v)
                }
                head = Self.eulerDegrees(x: f[3], y: f[4], z: f[5], w: f[6])
            default:
                continue
            }
        }
        self.pending = pending
        self.head = head
        return face
    }

    static func isKnown(_ name: String) -> Bool {
        ARKitBlendshape(name: name) != nil || UnifiedExpressions.arkitTargets[name] != nil
            || UnifiedExpressions.unmapped.contains(name) || ["Blink", "Blink_L", "Blink_R", "A"].contains(name)
            || ignoredPresets.contains(name)
    }

    static func face(from values: [String: Float], head: SIMD3<Float>) throws -> FaceCaptureFrame {
        var ue: [String: Float] = [:]
        var arkit: [ARKitBlendshape: Float] = [:]
        for (name, v) in values {
            if let shape = ARKitBlendshape(name: name) { arkit[shape] = v }
            else if UnifiedExpressions.arkitTargets[name] != nil || UnifiedExpressions.unmapped.contains(name) { ue[name] = v }
        }
        var face = try UnifiedExpressions.face(from: ue, source: source)
        for (shape, v) in arkit { face[shape] = v }
        if let b = values["Blink"] { face[.eyeBlinkLeft] = max(face[.eyeBlinkLeft], b); face[.eyeBlinkRight] = max(face[.eyeBlinkRight], b) }
        if let b = values["Blink_L"] { face[.eyeBlinkLeft] = max(face[.eyeBlinkLeft], b) }
        if let b = values["Blink_R"] { face[.eyeBlinkRight] = max(face[.eyeBlinkRight], b) }
        // VRM "A": the converter opens the mouth fully at jawOpen 0.4.
        if let a = values["A"] { face[.jawOpen] = max(face[.jawOpen], a * 0.4) }
        face.headDegrees = head
        return face
    }

    /// Unity quaternion -> Euler degrees (Unity's Z, X, Y order): x pitch, y yaw, z roll.
    static func eulerDegrees(x: Float, y: Float, z: Float, w: Float) -> SIMD3<Float> {
        let n = (x * x + y * y + z * z + w * w).squareRoot()
        guard n > 1e-6 else { return .zero }
        let (qx, qy, qz, qw) = (x / n, y / n, z / n, w / n)
        let sinPitch = max(-1, min(1, 2 * (qw * qx - qy * qz)))
        let pitch = asin(sinPitch)
        let yaw = atan2(2 * (qw * qy + qx * qz), 1 - 2 * (qx * qx + qy * qy))
        let roll = atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qx * qx + qz * qz))
        return SIMD3(pitch, yaw, roll) * (180 / .pi)
    }

    static func fail(_ field: String?, _ reason: String) -> TalkingHeadError {
        .invalidInput(source: source, field: field, reason: reason)
    }
}
