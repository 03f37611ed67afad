import CPNG
import Foundation

// The only file that imports CPNG: PNG decoding and encoding through libpng's simplified API
// (png_image_*), which reports failures by return value and never longjmps through Swift.

enum PNGCodec {
    /// Largest image accepted, in pixels (64 Mpx): bounds memory before anything is allocated.
    static let maxPixels = 64 << 20

    /// The RGBA format: 8-bit channels, colour, alpha (PNG_FORMAT_RGBA is a macro Swift does
    /// not import).
    static let rgba = UInt32(PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR)

    struct Decoded {
        var width: Int
        var height: Int
        var pixels: [UInt8]
        var hasAlpha: Bool
    }

    /// Decodes PNG bytes into 8-bit straight RGBA. `name` is used in errors.
    static func decode(_ data: Data, name: String) throws -> Decoded {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return 0 }
            return png_image_begin_read_from_memory(&image, base, raw.count)
        }
        guard begun != 0 else {
            let reason = data.isEmpty ? "empty file" : message(of: &image)
            png_image_free(&image)
            throw TalkingHeadError.unreadableImage(path: name, reason: reason)
        }
        let hasAlpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let width = Int(image.width)
        let height = Int(image.height)
        guard width > 0, height > 0, width <= maxPixels / height else {
            png_image_free(&image)
            throw TalkingHeadError.unreadableImage(
                path: name, reason: "\(width)x\(height) is larger than the \(maxPixels) pixels accepted")
        }
        image.format = rgba
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        let finished = data.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, nil, out.baseAddress, Int32(width * 4), nil)
            }
        }
        guard finished != 0 else {
            let reason = message(of: &image)
            png_image_free(&image)
            throw TalkingHeadError.unreadableImage(path: name, reason: reason)
        }
        png_image_free(&image)
        return Decoded(width: width, height: height, pixels: pixels, hasAlpha: hasAlpha)
    }

    /// Encodes 8-bit straight RGBA pixels as PNG bytes. `fast` trades size for speed (libpng's
    /// PNG_IMAGE_FLAG_FAST: no row filters, a low zlib level), for live streams; otherwise rows
    /// filtered per `Self.filters` at zlib level `Self.level`.
    static func encode(width: Int, height: Int, pixels: [UInt8], name: String, fast: Bool = false) throws -> Data {
        try encode(width: width, height: height, pixels: pixels, name: name,
                   filters: fast ? 0x08 : Self.filters, level: fast ? 1 : Self.level)
    }

    /// The same with the row filters (PNG_FILTER_* bits) and the zlib level given.
    static func encode(width: Int, height: Int, pixels: [UInt8], name: String, filters: Int32, level: Int32) throws -> Data {
        precondition(pixels.count == width * height * 4, "PNGCodec.encode: pixel count")
        var buffer = th_png_buffer()
        let ok = pixels.withUnsafeBytes { raw in
            th_png_encode_rgba(raw.bindMemory(to: UInt8.self).baseAddress, UInt32(width), UInt32(height), filters, level, &buffer)
        }
        guard ok != 0, let bytes = buffer.bytes else {
            let reason = withUnsafeBytes(of: buffer.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw TalkingHeadError.unwritableImage(path: name, reason: reason)
        }
        defer { free(bytes) }
        return Data(bytes: bytes, count: buffer.count)
    }

    /// libpng's defaults for single images: every filter (libpng choosing per row), zlib level 6.
    static let filters: Int32 = 0xF8
    static let level: Int32 = 6
    /// Frames of a sequence (animate, say, the APNG): PNG_FILTER_PAETH at zlib level 3.
    static let sequenceFilters: Int32 = 0x80
    static let sequenceLevel: Int32 = 3

    /// libpng's message, a fixed-size C array in the control struct.
    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "libpng could not decode it" : text
        }
    }
}
