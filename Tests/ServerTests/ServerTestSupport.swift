import Foundation
import Hummingbird
import HummingbirdTesting
import TalkingHead
import XCTest
@testable import TalkingHeadServer

/// A renderer that draws the pose as colours in a few milliseconds: the character's pixels with
/// red set from head_x and green from mouth_aaa, so tests can see which pose a frame shows.
final class FakeRenderer: FrameRenderer, @unchecked Sendable {
    let outputSize = 32
    private let lock = NSLock()
    private var _calls = 0
    var calls: Int { lock.lock(); defer { lock.unlock() }; return _calls }

    func pose(image: RGBAImage, params: PoseParameters) throws -> RGBAImage {
        lock.lock(); _calls += 1; lock.unlock()
        usleep(2_000)
        var pixels = image.pixels
        let red = UInt8(max(0, min(255, (params[.headX] + 1) * 127.5)))
        let green = UInt8(max(0, min(255, params[.mouthAaa] * 255)))
        for i in stride(from: 0, to: pixels.count, by: 4) { pixels[i] = red; pixels[i + 1] = green }
        return try RGBAImage(width: image.width, height: image.height, pixels: pixels)
    }
}

enum TestImages {
    /// An RGBA PNG of `side` x `side` with an opaque square in the middle.
    static func characterPNG(side: Int = 32, blue: UInt8 = 200) throws -> Data {
        var pixels = [UInt8](repeating: 0, count: side * side * 4)
        for y in side / 4..<(3 * side / 4) { for x in side / 4..<(3 * side / 4) {
            let i = (y * side + x) * 4
            pixels[i + 2] = blue; pixels[i + 3] = 255
        } }
        return try RGBAImage(width: side, height: side, pixels: pixels).pngData()
    }

    /// A body as a browser's FormData sends it, with the file's field named `field`.
    static func multipart(_ data: Data, field: String = "file", boundary: String = "----talkinghead-test") -> (ByteBuffer, HTTPFields) {
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; filename=\"c.png\"; name=\"\(field)\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += data
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        return (ByteBuffer(bytes: body), [.contentType: "multipart/form-data; boundary=\(boundary)"])
    }
}

func makeServer(apiKey: String? = nil, openFeed: Bool = false, maxBody: Int = 20 << 20) -> (LiveServer, FakeRenderer) {
    var config = ServerConfiguration()
    config.port = 0
    config.apiKey = apiKey
    config.openFeed = openFeed
    config.maxBodyBytes = maxBody
    config.fps = 50
    let renderer = FakeRenderer()
    let avatar = LiveAvatar(renderer: renderer, animator: Animator(seed: 1), configuration: config)
    return (LiveServer(avatar: avatar), renderer)
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }
}

func jsonBody(_ object: Any) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
