/// The live capture protocols.
public enum CaptureSource: String, Sendable, Codable, CaseIterable {
    case iFacialMocap = "ifacialmocap", vmc, openSeeFace = "openseeface"

    /// The UDP port a receiver listens on by default.
    public var defaultPort: UInt16 {
        switch self {
        case .iFacialMocap: return IFacialMocapPacket.port
        case .vmc: return VMCReceiver.port
        case .openSeeFace: return OpenSeeFacePacket.port
        }
    }
}

/// Datagrams of one protocol -> poses; pure (no sockets), so tests and fuzzers drive it.
/// A datagram yields a pose, nothing (a VMC packet without Apply), or throws
/// `TalkingHeadError.invalidInput` (taken whole or not at all).
public struct CaptureDecoder: Sendable {
    public let source: CaptureSource
    public var converter: FaceCaptureConverter
    var vmc = VMCReceiver()

    public init(source: CaptureSource, converter: FaceCaptureConverter) {
        self.source = source
        self.converter = converter
    }

    public mutating func decode(_ bytes: [UInt8]) throws -> PoseParameters? {
        switch source {
        case .iFacialMocap:
            return converter.convert(try IFacialMocapPacket.parse(bytes))
        case .vmc:
            return try vmc.receive(bytes).map { converter.convert($0) }
        case .openSeeFace:
            // Several faces: the lowest id (the first face the tracker found).
            let faces = try OpenSeeFacePacket.parse(bytes)
            return faces.min(by: { $0.id < $1.id })?.pose(options: converter.options)
        }
    }
}
