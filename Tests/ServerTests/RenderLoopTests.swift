import Foundation
import TalkingHead
import XCTest
@testable import TalkingHeadServer

/// The render loop: renders only while watched and not paused, shows overrides and emotions in
/// the next frames, and a stateless render waits its turn between frames.
final class RenderLoopTests: XCTestCase {
    private func waitUntil(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let end = Date(timeIntervalSinceNow: seconds)
        while Date() < end { if condition() { return true }; usleep(5_000) }
        return condition()
    }

    func testRendersOnlyWhileWatched() throws {
        let (server, renderer) = makeServer()
        let avatar = server.avatar
        try avatar.loadCharacter(pngData: try TestImages.characterPNG(), source: "test")
        server.startRendering()
        defer { server.stopRendering() }
        usleep(300_000)
        XCTAssertEqual(renderer.calls, 0, "rendered with no viewer")
        avatar.viewerJoined()
        XCTAssertTrue(waitUntil { avatar.latestFrame.index >= 3 })
        avatar.viewerLeft()
        usleep(100_000)
        let after = renderer.calls
        usleep(300_000)
        XCTAssertEqual(renderer.calls, after, "kept rendering after the last viewer left")
    }

    func testPauseStopsRenderingAndLoadResumes() throws {
        let (server, renderer) = makeServer()
        let avatar = server.avatar
        let png = try TestImages.characterPNG()
        try avatar.loadCharacter(pngData: png, source: "test")
        server.startRendering()
        defer { server.stopRendering() }
        avatar.viewerJoined()
        defer { avatar.viewerLeft() }
        XCTAssertTrue(waitUntil { renderer.calls >= 2 })
        avatar.pause()
        usleep(100_000)
        let paused = renderer.calls
        usleep(300_000)
        XCTAssertEqual(renderer.calls, paused)
        try avatar.loadCharacter(pngData: png, source: "test")
        XCTAssertTrue(waitUntil { renderer.calls > paused + 2 })
    }

    func testOverrideAndEmotionReachTheNextFrames() throws {
        let (server, _) = makeServer()
        let avatar = server.avatar
        try avatar.loadCharacter(pngData: try TestImages.characterPNG(), source: "test")
        server.startRendering()
        defer { server.stopRendering() }
        avatar.viewerJoined()
        defer { avatar.viewerLeft() }
        XCTAssertTrue(waitUntil { avatar.latestFrame.index >= 1 })
        avatar.animator.setOverride(.headX, to: 1)
        let pinnedAt = avatar.latestFrame.index
        XCTAssertTrue(waitUntil { avatar.latestFrame.index > pinnedAt + 1 })
        XCTAssertEqual(avatar.latestFrame.params[.headX], 1)
        let png = try RGBAImage(pngData: Data(avatar.latestFrame.png.readableBytesView))
        XCTAssertEqual(png.pixels[0], 255, "the frame's image is not the pinned pose")

        try avatar.setEmotion("surprise")
        XCTAssertTrue(waitUntil { avatar.metrics.snapshot.emotionLatency != nil })
        let latency = try XCTUnwrap(avatar.metrics.snapshot.emotionLatency)
        XCTAssertLessThan(latency, 1.0)
        let part = avatar.latestFrame.part
        let head = Array("--frame\r\nContent-Type: image/png\r\n\r\n".utf8) + [0x89, 0x50, 0x4E, 0x47]
        XCTAssertEqual(Array(part.readableBytesView.prefix(head.count)), head)
        XCTAssertEqual(Array(part.readableBytesView.suffix(2)), Array("\r\n".utf8))
    }

    func testStatelessRenderRunsBetweenFrames() async throws {
        let (server, renderer) = makeServer()
        try server.avatar.loadCharacter(pngData: try TestImages.characterPNG(), source: "test")
        server.startRendering()
        defer { server.stopRendering() }
        var params = PoseParameters()
        params[.mouthAaa] = 1
        let image = try await server.avatar.renderOnce(params)
        XCTAssertEqual(image.pixels[1], 255)
        XCTAssertEqual(renderer.calls, 1)
    }
}
