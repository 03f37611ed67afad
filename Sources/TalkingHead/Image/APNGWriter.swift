import Foundation

/// Writes an animated PNG (APNG) frame by frame: each frame is encoded as a PNG by libpng, and
/// its image data is re-wrapped as APNG frame chunks (`fcTL` + `IDAT`/`fdAT`). Frames stream
/// through an `OutputFile`: to a temporary file renamed into place by `finish()` (an
/// interrupted render never leaves a file that looks complete, and an earlier animation stays
/// until the new one is whole), or in place for a device or FIFO.
public final class APNGWriter {
    public let url: URL
    public let width: Int
    public let height: Int
    public let frameCount: Int
    /// The frame rate, stored exactly as each frame's delay (`seconds / frames`).
    public let frameRate: FrameRate
    private let file: OutputFile
    private var written = 0
    private var sequence: UInt32 = 0
    private var finished = false

    /// Starts an animation of `frameCount` frames of `width` x `height` at `frameRate`,
    /// looping forever.
    /// - Throws: `TalkingHeadError.io` when the file cannot be created (see `OutputFile`).
    public init(url: URL, width: Int, height: Int, frameCount: Int, frameRate: FrameRate) throws {
        guard frameCount > 0, width > 0, height > 0 else {
            throw TalkingHeadError.invalidInput(source: url.path, field: nil,
                reason: "an animation needs at least one frame of at least 1x1 (got \(frameCount) of \(width)x\(height))")
        }
        self.url = url
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.frameRate = frameRate
        file = try OutputFile(url: url)
        try write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }

    /// Starts an animation at `fps` frames per second.
    /// - Throws: `TalkingHeadError.invalidInput` when `fps` cannot be stored exactly (see
    ///   `FrameRate`), or `.io` when the file cannot be created.
    public convenience init(url: URL, width: Int, height: Int, frameCount: Int, fps: Double) throws {
        try self.init(url: url, width: width, height: height, frameCount: frameCount, frameRate: FrameRate(fps))
    }

    deinit { abandon() }

    /// Appends the next frame.
    public func append(_ frame: RGBAImage) throws {
        try append(pngData: try frame.pngData(), width: frame.width, height: frame.height)
    }

    /// Appends the next frame given as an 8-bit RGBA PNG of `width` x `height`: its zlib
    /// stream is re-wrapped as is (`IDAT` / `fdAT`), so a frame also written as a PNG file is
    /// deflated once.
    public func append(pngData: Data, width frameWidth: Int, height frameHeight: Int) throws {
        guard frameWidth == width, frameHeight == height else {
            throw TalkingHeadError.invalidImage(reason: "APNG frame is \(frameWidth)x\(frameHeight), expected \(width)x\(height)")
        }
        guard written < frameCount else {
            throw TalkingHeadError.invalidImage(reason: "APNG already has its \(frameCount) frames")
        }
        let chunks = Self.chunks(of: pngData)
        if written == 0 {
            guard let ihdr = chunks.first(where: { $0.type == "IHDR" }) else {
                throw TalkingHeadError.unwritableImage(path: url.path, reason: "encoder produced no IHDR")
            }
            try writeChunk("IHDR", ihdr.data)
            var actl = Data()
            actl.appendBE(UInt32(frameCount))
            actl.appendBE(UInt32(0))  // loop forever
            try writeChunk("acTL", actl)
        }
        var fctl = Data()
        fctl.appendBE(nextSequence())
        fctl.appendBE(UInt32(width))
        fctl.appendBE(UInt32(height))
        fctl.appendBE(UInt32(0))
        fctl.appendBE(UInt32(0))
        fctl.appendBE(frameRate.seconds)  // delay_num: seconds ...
        fctl.appendBE(frameRate.frames)  // delay_den: ... per this many frames
        fctl.append(0)  // dispose: none
        fctl.append(0)  // blend: source (frames replace, transparency kept)
        try writeChunk("fcTL", fctl)
        for c in chunks where c.type == "IDAT" {
            if written == 0 {
                try writeChunk("IDAT", c.data)
            } else {
                var fdat = Data()
                fdat.appendBE(nextSequence())
                fdat.append(c.data)
                try writeChunk("fdAT", fdat)
            }
        }
        written += 1
    }

    /// Writes the end chunk and renames the file into place.
    public func finish() throws {
        guard written == frameCount else {
            throw TalkingHeadError.io(path: url.path, reason: "animation has \(written) of \(frameCount) frames")
        }
        try writeChunk("IEND", Data())
        finished = true
        try file.commit()
    }

    /// Drops the unfinished animation: its temporary file is removed, nothing is renamed.
    public func abandon() {
        guard !finished else { return }
        finished = true
        file.abandon()
    }

    private func nextSequence() -> UInt32 {
        defer { sequence += 1 }
        return sequence
    }

    private func write(_ data: Data) throws { try file.write(data) }

    private func writeChunk(_ type: String, _ data: Data) throws {
        var out = Data()
        out.appendBE(UInt32(data.count))
        let typeBytes = Data(type.utf8)
        out.append(typeBytes)
        out.append(data)
        out.appendBE(crc32(typeBytes + data))
        try write(out)
    }

    /// The chunks of a PNG stream (type, data), in order.
    static func chunks(of png: Data) -> [(type: String, data: Data)] {
        var result: [(String, Data)] = []
        let bytes = [UInt8](png)
        var i = 8
        while i + 8 <= bytes.count {
            let length = Int(UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3]))
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            guard i + 12 + length <= bytes.count else { break }
            result.append((type, Data(bytes[(i + 8)..<(i + 8 + length)])))
            i += 12 + length
        }
        return result
    }
}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

/// CRC-32 as PNG chunks use it.
func crc32(_ data: Data) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in data { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

private extension Data {
    mutating func appendBE(_ v: UInt32) {
        append(contentsOf: [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)])
    }

    mutating func appendBE(_ v: UInt16) {
        append(contentsOf: [UInt8(v >> 8), UInt8(v & 0xFF)])
    }
}
