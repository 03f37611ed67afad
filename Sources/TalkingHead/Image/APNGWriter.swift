import Foundation

/// Writes an animated PNG (APNG) frame by frame: each frame is encoded as a PNG by libpng, and
/// its image data is re-wrapped as APNG frame chunks (`fcTL` + `IDAT`/`fdAT`). Frames stream to
/// a temporary file beside the target, renamed into place by `finish()`: an interrupted render
/// never leaves a file that looks complete.
public final class APNGWriter {
    public let url: URL
    public let width: Int
    public let height: Int
    public let frameCount: Int
    private let delayNumerator: UInt16
    private let delayDenominator: UInt16
    private let temporary: URL
    private let handle: FileHandle
    private var written = 0
    private var sequence: UInt32 = 0
    private var finished = false

    /// Starts an animation of `frameCount` frames of `width` x `height` at `fps` frames per
    /// second, looping forever.
    public init(url: URL, width: Int, height: Int, frameCount: Int, fps: Double) throws {
        precondition(frameCount > 0 && fps > 0)
        self.url = url
        self.width = width
        self.height = height
        self.frameCount = frameCount
        // Delay as a fraction of a second: fps given to 1/1000.
        let millis = max(1, Int((1000 / fps).rounded()))
        delayNumerator = UInt16(min(millis, 65535))
        delayDenominator = 1000
        temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let h = FileHandle(forWritingAtPath: temporary.path) else {
            throw TalkingHeadError.io(path: url.path, reason: "cannot create the animation file")
        }
        handle = h
        try write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }

    deinit {
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    /// Appends the next frame.
    public func append(_ frame: RGBAImage) throws {
        guard frame.width == width, frame.height == height else {
            throw TalkingHeadError.invalidImage(reason: "APNG frame is \(frame.width)x\(frame.height), expected \(width)x\(height)")
        }
        guard written < frameCount else {
            throw TalkingHeadError.invalidImage(reason: "APNG already has its \(frameCount) frames")
        }
        let chunks = Self.chunks(of: try frame.pngData())
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
        fctl.appendBE(delayNumerator)
        fctl.appendBE(delayDenominator)
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
        do { try handle.close() } catch {
            throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
        if rename(temporary.path, url.path) != 0 {
            throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(String(cString: strerror(errno)))")
        }
        finished = true
    }

    /// Drops the unfinished animation: its temporary file is removed, nothing is renamed.
    public func abandon() {
        guard !finished else { return }
        finished = true
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }

    private func nextSequence() -> UInt32 {
        defer { sequence += 1 }
        return sequence
    }

    private func write(_ data: Data) throws {
        do { try handle.write(contentsOf: data) } catch {
            throw TalkingHeadError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

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
