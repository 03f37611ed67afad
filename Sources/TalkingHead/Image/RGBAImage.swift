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
    /// - Throws: `TalkingHeadError.fileNotFound`, `.io` ("is a directory", ...) or
    ///   `.unreadableImage`, naming the file.
    public init(contentsOf url: URL) throws {
        let data = try InputFile.read(url)
        try self.init(pngData: data, name: url.path)
    }

    /// Decodes PNG bytes; `name` identifies them in errors.
    public init(pngData: Data, name: String = "<data>") throws {
        let d = try PNGCodec.decode(pngData, name: name)
        self.init(width: d.width, height: d.height, pixels: d.pixels, hasAlpha: d.hasAlpha)
    }

    /// The image encoded as an 8-bit RGBA PNG; `fast` encodes quicker into a larger file (live feeds).
    public func pngData(fast: Bool = false) throws -> Data {
        try PNGCodec.encode(width: width, height: height, pixels: pixels, name: "<memory>", fast: fast)
    }

    /// Writes the image as a PNG through `OutputFile`: a regular file is replaced atomically
    /// (a reader never sees a half-written file), a device or FIFO written in place.
    /// - Throws: `TalkingHeadError.unwritableImage` or `.io`, naming the path.
    public func write(to url: URL) throws {
        let data = try PNGCodec.encode(width: width, height: height, pixels: pixels, name: url.path)
        try OutputFile.write(data, to: url)
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
