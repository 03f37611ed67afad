import Foundation
import XCTest
@testable import TalkingHead
import TestSupport

final class ImageTests: TemporaryDirectoryTestCase {
    func randomImage(_ w: Int, _ h: Int) throws -> RGBAImage {
        var rng = SystemRandomNumberGenerator()
        return try RGBAImage(width: w, height: h, pixels: (0..<(w * h * 4)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    func testPNGRoundTrip() throws {
        let image = try randomImage(37, 23)
        let url = dir.appendingPathComponent("a.png")
        try image.write(to: url)
        let back = try RGBAImage(contentsOf: url)
        XCTAssertEqual(back, image)
        XCTAssertTrue(back.hasAlpha)
        XCTAssertEqual(try RGBAImage(pngData: try image.pngData()), image)
        // No temporary files left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.png"])
    }

    func testWrongPixelCount() {
        XCTAssertThrowsError(try RGBAImage(width: 2, height: 2, pixels: [0, 0, 0])) {
            guard case TalkingHeadError.invalidImage = $0 else { return XCTFail("\($0)") }
        }
    }

    func testUnreadableFilesNameTheFile() throws {
        let missing = dir.appendingPathComponent("missing.png")
        XCTAssertThrowsError(try RGBAImage(contentsOf: missing)) {
            XCTAssertEqual($0 as? TalkingHeadError, .fileNotFound(path: missing.path))
        }
        let text = dir.appendingPathComponent("text.png")
        try "not a png".write(to: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RGBAImage(contentsOf: text)) {
            guard case let TalkingHeadError.unreadableImage(path, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(path, text.path)
        }
        let truncated = dir.appendingPathComponent("truncated.png")
        let data = try randomImage(64, 64).pngData()
        try data.prefix(data.count / 2).write(to: truncated)
        XCTAssertThrowsError(try RGBAImage(contentsOf: truncated)) {
            guard case let TalkingHeadError.unreadableImage(path, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(path, truncated.path)
        }
        let empty = dir.appendingPathComponent("empty.png")
        try Data().write(to: empty)
        XCTAssertThrowsError(try RGBAImage(contentsOf: empty))
    }

    func testWritingIntoAMissingFolderNamesThePath() throws {
        let url = dir.appendingPathComponent("no/such/folder/x.png")
        XCTAssertThrowsError(try randomImage(4, 4).write(to: url)) {
            XCTAssertTrue("\($0)".contains(url.path), "\($0)")
        }
    }

    /// A PNG without alpha (colour type 2) decodes with hasAlpha false, and the model refuses it.
    func testRGBWithoutAlphaIsRefused() throws {
        let png = makePNG(width: 2, height: 1, colorType: 2, rows: [[0, 255, 0, 0, 0, 0, 255]])
        let image = try RGBAImage(pngData: png, name: "rgb.png")
        XCTAssertFalse(image.hasAlpha)
        XCTAssertEqual(image.pixels, [255, 0, 0, 255, 0, 0, 255, 255])
        let gray = try RGBAImage(pngData: makePNG(width: 1, height: 1, colorType: 0, rows: [[0, 128]]), name: "g.png")
        XCTAssertFalse(gray.hasAlpha)
        XCTAssertEqual(gray.pixels, [128, 128, 128, 255])
        let grayAlpha = try RGBAImage(pngData: makePNG(width: 1, height: 1, colorType: 4, rows: [[0, 10, 20]]), name: "ga.png")
        XCTAssertTrue(grayAlpha.hasAlpha)
    }

    func testModelInputAndOutputConversions() throws {
        // All 256 byte values through the input table, against the upstream formulas in Double.
        var pixels: [UInt8] = []
        for v in 0..<256 { pixels += [UInt8(v), UInt8(255 - v), UInt8(v), UInt8(max(v, 1))] }
        let image = try RGBAImage(width: 256, height: 1, pixels: pixels)
        let t = Tensor(channels: 4, height: 1, width: 256)
        modelInput(from: image, into: t.data)
        func lin(_ b: Int) -> Float {
            let x = Double(b) / 255
            return Float((x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)) * 2 - 1)
        }
        for v in 0..<256 {
            XCTAssertEqual(t.data[v], lin(v))
            XCTAssertEqual(t.data[256 + v], lin(255 - v))
            XCTAssertEqual(t.data[768 + v], Float(Double(max(v, 1)) / 255 * 2 - 1))
        }
        // Transparent pixels become (0,0,0,0) before conversion.
        let clear = try RGBAImage(width: 1, height: 1, pixels: [200, 100, 50, 0])
        let c = Tensor(channels: 4, height: 1, width: 1)
        modelInput(from: clear, into: c.data)
        XCTAssertEqual(c.array, [-1, -1, -1, -1])
        // Output: the round trip of every byte value is exact.
        let back = rgbaImage(fromModelOutput: t.data, width: 256, height: 1)
        XCTAssertEqual(back.pixels, pixels)
    }

    func testCenterCropResize() throws {
        let image = try randomImage(50, 70)
        let out = image.centerCroppedResized(to: 32)
        XCTAssertEqual([out.width, out.height], [32, 32])
        XCTAssertEqual(image.centerCroppedResized(to: 50).width, 50)
        let same = try randomImage(16, 16)
        XCTAssertEqual(same.centerCroppedResized(to: 16), same)
        // A uniform opaque image stays uniform.
        let flat = try RGBAImage(width: 40, height: 20, pixels: [UInt8](repeating: 77, count: 3200).enumerated().map { $0.offset % 4 == 3 ? 255 : $0.element })
        let r = flat.centerCroppedResized(to: 8)
        XCTAssertTrue(stride(from: 0, to: r.pixels.count, by: 4).allSatisfy { r.pixels[$0] == 77 && r.pixels[$0 + 3] == 255 })
    }
}

/// A minimal PNG writer for colour types libpng's simplified writer does not produce: rows are
/// (filter byte + samples), compressed with stored (uncompressed) deflate blocks.
func makePNG(width: Int, height: Int, colorType: UInt8, rows: [[UInt8]]) -> Data {
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    let raw = rows.flatMap { $0 }
    var a: UInt32 = 1, b: UInt32 = 0
    for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
    let len = UInt16(raw.count)
    let zlib: [UInt8] = [0x78, 0x01, 1, UInt8(len & 255), UInt8(len >> 8), UInt8(~len & 255), UInt8(~len >> 8)] + raw + be32(b << 16 | a)
    let ihdr = be32(UInt32(width)) + be32(UInt32(height)) + [8, colorType, 0, 0, 0]
    return pngSignature + pngChunk("IHDR", Data(ihdr)) + pngChunk("IDAT", Data(zlib)) + pngChunk("IEND", Data())
}
