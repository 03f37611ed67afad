import Foundation

/// An 8-bit straight-alpha RGBA image, rows top to bottom, 4 bytes per pixel.
public struct RGBAImage: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 4` bytes: R, G, B, A per pixel, alpha not premultiplied.
    public var pixels: [UInt8]
    /// Whether the source had transparency (an alpha channel or a tRNS chunk). Images built from
    /// pixels have it; a PNG without alpha does not, and the model refuses such an image.
    public let hasAlpha: Bool

    /// An image from RGBA bytes.
    /// - Throws: `TalkingHeadError.invalidImage` when the byte count is not `width * height * 4`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 4 else {
            throw TalkingHeadError.invalidImage(
                reason: "\(pixels.count) bytes do not make a \(width)x\(height) RGBA image (\(max(0, width * height * 4)) expected)")
        }
        self.init(width: width, height: height, pixels: pixels, hasAlpha: true)
    }

    init(width: Int, height: Int, pixels: [UInt8], hasAlpha: Bool) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.hasAlpha = hasAlpha
    }

    /// Reads a PNG file (any kind libpng reads: grey, palette, 16-bit, with or without alpha),
    /// converted to 8-bit RGBA.
    /// - Throws: `TalkingHeadError.fileNotFound` or `.unreadableImage`, naming the file.
    public init(contentsOf url: URL) throws {
        let path = url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            throw TalkingHeadError.fileNotFound(path: path)
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TalkingHeadError.io(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(pngData: data, name: path)
    }

    /// Decodes PNG bytes; `name` identifies them in errors.
    public init(pngData: Data, name: String = "<data>") throws {
        let d = try PNGCodec.decode(pngData, name: name)
        self.init(width: d.width, height: d.height, pixels: d.pixels, hasAlpha: d.hasAlpha)
    }

    /// The image encoded as an 8-bit RGBA PNG.
    public func pngData() throws -> Data {
        try PNGCodec.encode(width: width, height: height, pixels: pixels, name: "<memory>")
    }

    /// Writes the image as a PNG: to a temporary file in the same folder, then renamed, so a
    /// reader never sees a half-written file.
    /// - Throws: `TalkingHeadError.unwritableImage` or `.io`, naming the path.
    public func write(to url: URL) throws {
        let data = try PNGCodec.encode(width: width, height: height, pixels: pixels, name: url.path)
        try writeAtomically(data, to: url)
    }

    /// Centre-crops to a square and resizes to `size` x `size` the way upstream
    /// `tha3.util.resize_PIL_image` does with Pillow (`resize(..., LANCZOS, box=crop)`).
    /// Returns the image unchanged when it already is `size` x `size`.
    public func centerCroppedResized(to size: Int) -> RGBAImage {
        if width == size && height == size { return self }
        let d = min(width, height)
        let box = ((width - d) / 2, (height - d) / 2, (width + d) / 2, (height + d) / 2)
        let out = lanczosResizeRGBA(pixels, width: width, height: height, box: box, outWidth: size, outHeight: size)
        return RGBAImage(width: size, height: size, pixels: out, hasAlpha: hasAlpha)
    }

    /// The image composited over an opaque colour (for chroma keying); alpha becomes 255.
    public func composited(onto red: UInt8, _ green: UInt8, _ blue: UInt8) -> RGBAImage {
        var out = pixels
        let bg = [Int(red), Int(green), Int(blue)]
        for i in stride(from: 0, to: out.count, by: 4) {
            let a = Int(out[i + 3])
            for c in 0..<3 {
                out[i + c] = UInt8((Int(out[i + c]) * a + bg[c] * (255 - a) + 127) / 255)
            }
            out[i + 3] = 255
        }
        return RGBAImage(width: width, height: height, pixels: out, hasAlpha: false)
    }
}

/// Writes `data` to a temporary name beside `url`, then renames it into place: a failed write
/// (full disk, missing folder) leaves neither a partial file nor the temporary one. Errors carry
/// the system's reason (strerror).
func writeAtomically(_ data: Data, to url: URL) throws {
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    func fail(_ what: String) -> TalkingHeadError {
        let reason = String(cString: strerror(errno))
        unlink(tmp.path)
        return TalkingHeadError.io(path: url.path, reason: "cannot write (\(what)): \(reason)")
    }
    let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
        throw TalkingHeadError.io(path: url.path, reason: "cannot create the file: \(String(cString: strerror(errno)))")
    }
    let ok = data.withUnsafeBytes { raw -> Bool in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }
    if !ok { let e = fail("data"); close(fd); throw e }
    if close(fd) != 0 { throw fail("close") }
    if rename(tmp.path, url.path) != 0 { throw fail("rename") }
}
