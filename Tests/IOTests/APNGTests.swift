import Foundation
import XCTest
@testable import TalkingHead
import TestSupport

final class APNGTests: XCTestCase {
    func be32(_ d: Data, _ at: Int) -> UInt32 {
        let b = [UInt8](d[(d.startIndex + at)..<(d.startIndex + at + 4)])
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    /// Rebuilds frame `k` of an APNG as a standalone PNG (IHDR + its image data as IDAT).
    func standalonePNG(_ chunks: [(type: String, data: Data)], frame k: Int) -> Data {
        var png = pngSignature
        png.append(pngChunk("IHDR", chunks.first { $0.type == "IHDR" }!.data))
        var frame = -1
        for c in chunks {
            if c.type == "fcTL" { frame += 1; continue }
            guard frame == k else { continue }
            if c.type == "IDAT" { png.append(pngChunk("IDAT", c.data)) }
            if c.type == "fdAT" { png.append(pngChunk("IDAT", c.data.dropFirst(4))) }
        }
        png.append(pngChunk("IEND", Data()))
        return png
    }

    func testAnimationHoldsEveryFrameInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SystemRandomNumberGenerator()
        let frames = try (0..<3).map { _ in
            try RGBAImage(width: 9, height: 7, pixels: (0..<(9 * 7 * 4)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        let url = dir.appendingPathComponent("animation.png")
        let writer = try APNGWriter(url: url, width: 9, height: 7, frameCount: 3, fps: 25)
        for f in frames { try writer.append(f) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "visible before finish()")
        try writer.finish()
        let data = try Data(contentsOf: url)
        let chunks = APNGWriter.chunks(of: data)
        XCTAssertEqual(chunks.first?.type, "IHDR")
        XCTAssertEqual(chunks.last?.type, "IEND")
        let actl = chunks.first { $0.type == "acTL" }!.data
        XCTAssertEqual(be32(actl, 0), 3)
        XCTAssertEqual(be32(actl, 4), 0, "loops forever")
        // Sequence numbers of fcTL and fdAT run 0, 1, 2, ... without gaps.
        let sequence = chunks.filter { $0.type == "fcTL" || $0.type == "fdAT" }.map { be32($0.data, 0) }
        XCTAssertEqual(sequence, Array(0..<UInt32(sequence.count)))
        let fctl = chunks.first { $0.type == "fcTL" }!.data
        XCTAssertEqual(be32(fctl, 4), 9)
        XCTAssertEqual(be32(fctl, 8), 7)
        // 25 fps stored exactly: a delay of 1/25 s (delay_num 1, delay_den 25).
        XCTAssertEqual(Array(fctl[(fctl.startIndex + 20)..<(fctl.startIndex + 24)]), [0, 1, 0, 25], "1/25 s per frame at 25 fps")
        // The default image is frame 0, so non-APNG viewers show the first frame.
        XCTAssertEqual(try RGBAImage(pngData: data), frames[0])
        for k in 0..<3 {
            XCTAssertEqual(try RGBAImage(pngData: standalonePNG(chunks, frame: k)), frames[k], "frame \(k)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["animation.png"])
    }

    func testUnfinishedAnimationLeavesNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let writer = try APNGWriter(url: dir.appendingPathComponent("a.png"), width: 2, height: 2, frameCount: 2, fps: 10)
            try writer.append(try RGBAImage(width: 2, height: 2, pixels: [UInt8](repeating: 9, count: 16)))
            XCTAssertThrowsError(try writer.finish())
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }
}
