import Foundation
import XCTest
@testable import TalkingHead
import TestSupport

/// `OutputFile`: what each kind of path becomes, temporary names, the sweep; `FrameRate`.
final class OutputFileTests: TemporaryDirectoryTestCase {
    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    func fileType(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0, path)
        return st.st_mode & S_IFMT
    }

    func assertIOError<T>(_ body: @autoclosure () throws -> T, _ needles: String..., line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            for n in needles { XCTAssertTrue("\(error)".contains(n), "'\(error)' lacks '\(n)'", line: line) }
        }
    }

    func testRegularFileIsReplacedWholeAndAbandonKeepsTheOldOne() throws {
        let url = dir.appendingPathComponent("out.bin")
        try OutputFile.write(Data("old".utf8), to: url)
        let file = try OutputFile(url: url)
        try file.write(Data("new, half".utf8))
        XCTAssertEqual(try Data(contentsOf: url), Data("old".utf8), "the final name changes only at commit")
        file.abandon()
        XCTAssertEqual(try Data(contentsOf: url), Data("old".utf8))
        XCTAssertEqual(try names(), ["out.bin"], "no temporary file left")
        try OutputFile.write(Data("new".utf8), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data("new".utf8))
        XCTAssertEqual(try names(), ["out.bin"])
    }

    func testSymbolicLinksAreFollowedAndStayLinks() throws {
        let target = dir.appendingPathComponent("target.png")
        try Data("old".utf8).write(to: target)
        let link = dir.appendingPathComponent("link.png")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "target.png")
        try OutputFile.write(Data("new".utf8), to: link)
        XCTAssertEqual(fileType(link.path), S_IFLNK)
        XCTAssertEqual(try Data(contentsOf: target), Data("new".utf8))
        // A dangling link: its target is created.
        let dangling = dir.appendingPathComponent("dangling.png")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "made.png")
        try OutputFile.write(Data("made".utf8), to: dangling)
        XCTAssertEqual(fileType(dangling.path), S_IFLNK)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("made.png")), Data("made".utf8))
        // A loop is an error, not a hang.
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        try FileManager.default.createSymbolicLink(atPath: a.path, withDestinationPath: "b")
        try FileManager.default.createSymbolicLink(atPath: b.path, withDestinationPath: "a")
        assertIOError(try OutputFile.write(Data(), to: a), "too many levels of symbolic links")
    }

    func testDevicesAndFIFOsAreWrittenInPlaceNeverReplaced() throws {
        try OutputFile.write(Data("discarded".utf8), to: URL(fileURLWithPath: "/dev/null"))
        XCTAssertEqual(fileType("/dev/null"), S_IFCHR)
        let fifo = dir.appendingPathComponent("fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        assertIOError(try OutputFile.write(Data("x".utf8), to: fifo), fifo.path, "no process is reading")
        // With a reader: the bytes go through the FIFO, which stays a FIFO.
        let reader = open(fifo.path, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(reader, 0)
        defer { close(reader) }
        try OutputFile.write(Data("through".utf8), to: fifo)
        var buffer = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(read(reader, &buffer, 16), 7)
        XCTAssertEqual(Array(buffer[0..<7]), Array("through".utf8))
        XCTAssertEqual(fileType(fifo.path), S_IFIFO)
        XCTAssertEqual(try names(), ["fifo"])
    }

    func testDirectoriesMissingFoldersAndFilesInTheWayAreNamed() throws {
        assertIOError(try OutputFile.write(Data(), to: dir), dir.path, "is a directory")
        let missing = dir.appendingPathComponent("nope/out.png")
        assertIOError(try OutputFile.write(Data(), to: missing), missing.path, "does not exist")
        let file = dir.appendingPathComponent("file")
        try Data().write(to: file)
        assertIOError(try OutputFile.write(Data(), to: file.appendingPathComponent("x.png")), "Not a directory")
        assertIOError(try OutputFolder.create(file.appendingPathComponent("sub")), "is a file, not a folder")
        try OutputFile.checkWritable(dir.appendingPathComponent("new/sub/out.png"), createFolder: true)
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("new/sub").path, isDirectory: &isDir) && isDir.boolValue)
    }

    func testTheLongestLegalNameCanBeWritten() throws {
        let name = String(repeating: "n", count: 251) + ".png"  // NAME_MAX is 255
        try OutputFile.write(Data("x".utf8), to: dir.appendingPathComponent(name))
        XCTAssertEqual(try names(), [name])
        let file = try OutputFile(url: dir.appendingPathComponent(name))
        XCTAssertEqual(file.temporaryPath.map { ($0 as NSString).lastPathComponent.utf8.count }, 14)
        file.abandon()
    }

    func testSweepRemovesOnlyTemporariesOfDeadWriters() throws {
        let live = try OutputFile(url: dir.appendingPathComponent("live.png"))
        let dead = dir.appendingPathComponent(".th-dead00.tmp")
        try Data("left by a killed run".utf8).write(to: dead)
        let young = dir.appendingPathComponent(".th-young0.tmp")
        try Data().write(to: young)
        let other = dir.appendingPathComponent(".th-notours.tmp.keep")
        try Data().write(to: other)
        // Old enough to be swept: the live one too, so only its lock protects it.
        var times = [timeval(tv_sec: time(nil) - 60, tv_usec: 0), timeval(tv_sec: time(nil) - 60, tv_usec: 0)]
        XCTAssertEqual(utimes(dead.path, &times), 0)
        XCTAssertEqual(utimes(live.temporaryPath!, &times), 0)
        let removed = OutputFile.sweepStaleTemporaries(in: dir)
        XCTAssertEqual(removed, [".th-dead00.tmp"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: live.temporaryPath!))
        XCTAssertTrue(FileManager.default.fileExists(atPath: young.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: other.path))
        try live.write(Data("still fine".utf8))
        try live.commit()
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("live.png")), Data("still fine".utf8))
    }

    func testStaleFramesPastTheCountAreRemoved() throws {
        for n in [0, 1, 2, 3, 1_000_000] { try Data().write(to: dir.appendingPathComponent(String(format: "%06d.png", n))) }
        try Data().write(to: dir.appendingPathComponent("animation.png"))
        try Data().write(to: dir.appendingPathComponent("12.png"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("000009.png"), withIntermediateDirectories: false)
        XCTAssertEqual(try OutputFolder.removeStaleFrames(in: dir, from: 2), 3)
        XCTAssertEqual(try names(), ["000000.png", "000001.png", "000009.png", "12.png", "animation.png"])
    }

    func testFrameRatesAreExactFractionsOrRefused() throws {
        func rate(_ v: Double) throws -> String { try FrameRate(v).description }
        XCTAssertEqual(try rate(25), "25")
        XCTAssertEqual(try rate(29.97), "2997/100")
        XCTAssertEqual(try rate(0.001), "1/1000")
        XCTAssertEqual(try rate(0.5), "1/2")
        XCTAssertEqual(try rate(65535), "65535")
        XCTAssertEqual(try rate(1.0 / 65535), "1/65535")
        XCTAssertEqual(try FrameRate(parsing: "30000/1001").description, "30000/1001")
        XCTAssertEqual(try FrameRate(parsing: "50/2").description, "25")
        XCTAssertEqual(try rate(1.0 / 3), "1/3", "the double nearest 1/3 is 1/3")
        for bad in [1e-300, 5e-324, 0, -1, .nan, .infinity, 65536, 0.33333, 1.0 / 65536] {
            XCTAssertThrowsError(try FrameRate(bad), "\(bad)") { XCTAssertTrue("\($0)".contains("65535"), "\($0)") }
        }
        for bad in ["", "abc", "1/0", "0/1", "70000/1", "1/2/3", "1e-300"] {
            XCTAssertThrowsError(try FrameRate(parsing: bad), bad)
        }
    }

    func testAPNGStoresTheFrameRateExactly() throws {
        let url = dir.appendingPathComponent("a.png")
        let writer = try APNGWriter(url: url, width: 2, height: 2, frameCount: 1, frameRate: FrameRate(parsing: "30000/1001"))
        try writer.append(RGBAImage(width: 2, height: 2, pixels: [UInt8](repeating: 7, count: 16)))
        try writer.finish()
        let bytes = [UInt8](try Data(contentsOf: url))
        let i = try XCTUnwrap((0..<(bytes.count - 4)).first { bytes[$0..<($0 + 4)].elementsEqual("fcTL".utf8) })
        XCTAssertEqual(Array(bytes[(i + 24)..<(i + 28)]), [0x03, 0xE9, 0x75, 0x30])  // 1001 / 30000 s
        XCTAssertThrowsError(try APNGWriter(url: url, width: 2, height: 2, frameCount: 1, fps: 1e-300))
        XCTAssertEqual(try names(), ["a.png"], "a refused rate creates nothing")
    }

    func testAbandonedAnimationLeavesTheEarlierOne() throws {
        let url = dir.appendingPathComponent("animation.png")
        try Data("earlier".utf8).write(to: url)
        let writer = try APNGWriter(url: url, width: 2, height: 2, frameCount: 2, fps: 25)
        try writer.append(RGBAImage(width: 2, height: 2, pixels: [UInt8](repeating: 7, count: 16)))
        writer.abandon()
        XCTAssertEqual(try Data(contentsOf: url), Data("earlier".utf8))
        XCTAssertEqual(try names(), ["animation.png"])
    }

    func testInputsThatAreNotRegularFilesAreNamed() throws {
        let fifo = dir.appendingPathComponent("in.fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        assertIOError(try RGBAImage(contentsOf: dir), dir.path, "is a directory")
        assertIOError(try RGBAImage(contentsOf: fifo), fifo.path, "is a FIFO")
        assertIOError(try RGBAImage(contentsOf: URL(fileURLWithPath: "/dev/zero")), "/dev/zero", "is a character device")
        assertIOError(try PoseSequence(contentsOf: dir), dir.path, "is a directory")
        XCTAssertThrowsError(try RGBAImage(contentsOf: dir.appendingPathComponent("missing.png"))) {
            XCTAssertEqual($0 as? TalkingHeadError, .fileNotFound(path: self.dir.appendingPathComponent("missing.png").path))
        }
    }
}
