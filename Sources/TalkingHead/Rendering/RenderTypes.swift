import Foundation

/// A solid colour, by name (`green`, `white`, ...) or as `#rrggbb`.
public struct RGBColor: Sendable, Equatable, Codable, CustomStringConvertible {
    public var red: UInt8, green: UInt8, blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        (self.red, self.green, self.blue) = (red, green, blue)
    }

    /// The names `init?(parsing:)` accepts.
    public static let named: [String: RGBColor] = [
        "green": RGBColor(red: 0, green: 255, blue: 0), "blue": RGBColor(red: 0, green: 0, blue: 255),
        "magenta": RGBColor(red: 255, green: 0, blue: 255), "black": RGBColor(red: 0, green: 0, blue: 0),
        "white": RGBColor(red: 255, green: 255, blue: 255), "red": RGBColor(red: 255, green: 0, blue: 0),
        "gray": RGBColor(red: 128, green: 128, blue: 128),
    ]

    /// A name of `named` or `#rrggbb`; nil for anything else.
    public init?(parsing text: String) {
        let text = text.lowercased()
        if let c = Self.named[text] { self = c; return }
        guard text.hasPrefix("#"), text.count == 7, let v = UInt32(text.dropFirst(), radix: 16) else { return nil }
        self.init(red: UInt8(v >> 16), green: UInt8(v >> 8 & 0xFF), blue: UInt8(v & 0xFF))
    }

    public var description: String { String(format: "#%02x%02x%02x", red, green, blue) }
}

/// How `TalkingHead.render` renders a sequence.
public struct RenderOptions: Sendable {
    /// Frames rendered at once, each on all cores: more only helps on machines with many cores;
    /// each frame in flight adds about 170 MB.
    public var framesInFlight: Int
    /// Composite every frame onto this colour (chroma keying); nil keeps the transparency.
    public var background: RGBColor?

    public init(framesInFlight: Int = 1, background: RGBColor? = nil) {
        self.framesInFlight = framesInFlight
        self.background = background
    }
}

/// One rendered frame of a sequence.
public struct RenderedFrame: Sendable {
    /// Position in the sequence, from 0.
    public let index: Int
    public let image: RGBAImage
    public let params: PoseParameters
    private let encoded = EncodedOnce()

    public init(index: Int, image: RGBAImage, params: PoseParameters) {
        (self.index, self.image, self.params) = (index, image, params)
    }

    /// The image as a PNG, encoded once however many sinks ask, with the Paeth filter at zlib
    /// level 3: 2.8x faster than libpng's defaults for 15% more bytes, so that encoding beside
    /// the next pose costs it little (figures in Benchmarks/RESULTS.md).
    public func pngData() throws -> Data {
        try encoded.value {
            try PNGCodec.encode(width: image.width, height: image.height, pixels: image.pixels, name: "frame \(index)",
                                filters: PNGCodec.sequenceFilters, level: PNGCodec.sequenceLevel)
        }
    }
}

/// A value computed on first use and kept, safe to ask for from several threads.
private final class EncodedOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?

    func value(_ make: () throws -> Data) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if let data { return data }
        let made = try make()
        data = made
        return made
    }
}

/// How far a render has come, reported after each frame is handed over.
public struct RenderProgress: Sendable {
    public let done: Int
    public let total: Int
    /// Seconds since the render started.
    public let elapsed: Double

    public var framesPerSecond: Double { Double(done) / max(elapsed, 1e-9) }
    public var secondsLeft: Double { Double(total - done) / max(framesPerSecond, 1e-9) }
}

/// Stops a render from another thread (or a signal handler's thread): the render ends after
/// the frames in flight and throws `TalkingHeadError.cancelled`.
public final class RenderCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    public init() {}

    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}
