import Foundation
import Hummingbird
import HummingbirdTesting
import TalkingHead
import XCTest
@testable import TalkingHeadServer

/// Our JSON API, the key, limits and the render loop, in process with a fake renderer.
final class APITests: XCTestCase {
    func testParamsEmotionsAndState() async throws {
        let (server, _) = makeServer()
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/params", method: .get) { r in
                let params = r.json["params"] as? [[String: Any]] ?? []
                XCTAssertEqual(params.count, 45)
                XCTAssertEqual(params.first?["name"] as? String, "eyebrow_troubled_left")
                let headX = params.first { $0["name"] as? String == "head_x" }
                XCTAssertEqual(headX?["min"] as? Double, -1)
                XCTAssertEqual(headX?["group"] as? String, "face_rotation")
            }
            try await client.execute(uri: "/api/emotions", method: .get) { r in
                XCTAssertEqual((r.json["emotions"] as? [String])?.count, 28)
                XCTAssertEqual(r.json["current"] as? String, "neutral")
            }
            try await client.execute(uri: "/api/emotion", method: .post, body: jsonBody(["emotion": "surprise"])) { r in
                XCTAssertEqual(r.status, .ok)
            }
            try await client.execute(uri: "/api/emotion", method: .post, body: jsonBody(["emotion": "hunger"])) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((r.json["error"] as? String ?? "").contains("hunger"))
            }
            try await client.execute(uri: "/api/talking", method: .post, body: jsonBody(["talking": true])) { r in
                XCTAssertEqual(r.json["talking"] as? Bool, true)
            }
            try await client.execute(uri: "/api/talking", method: .post, body: jsonBody(["talking": "yes"])) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((r.json["error"] as? String ?? "").contains("'talking'"))
            }
            try await client.execute(uri: "/api/state", method: .get) { r in
                let s = r.json
                XCTAssertEqual(s["emotion"] as? String, "surprise")
                XCTAssertEqual(s["talking"] as? Bool, true)
                XCTAssertEqual(s["paused"] as? Bool, false)
                XCTAssertEqual((s["pose"] as? [String: Any])?.count, 45)
                XCTAssertEqual(s["viewers"] as? Int, 0)
            }
        }
    }

    func testOverridesAreCheckedWholeAndReleasedWithNull() async throws {
        let (server, _) = makeServer()
        let animator = server.avatar.animator
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/overrides", method: .post, body: jsonBody(["mouth_aaa": 0.7, "head_x_index": -0.5])) { r in
                XCTAssertEqual(r.status, .ok)
            }
            XCTAssertEqual(animator.overrides, [.mouthAaa: 0.7, .headX: -0.5])
            let bad: [(String, String)] = [
                (#"{"mouth_aaa": 0.1, "mouth_zzz": 1}"#, "mouth_zzz"),
                (#"{"head_x": 1.5}"#, "head_x"),
                (#"{"eye_wink_left": -0.1}"#, "eye_wink_left"),
                (#"{"breathing": "deep"}"#, "breathing"),
                (#"{"iris_small_left": 1e400}"#, ""),
                (#"{"head_y": 0.2"#, "malformed"),
                (#"[1, 2]"#, ""),
            ]
            for (body, named) in bad {
                try await client.execute(uri: "/api/overrides", method: .post, body: jsonBody(body)) { r in
                    XCTAssertEqual(r.status, .badRequest, body)
                    let message = r.json["error"] as? String ?? ""
                    XCTAssertTrue(message.contains("/api/overrides"), message)
                    if !named.isEmpty { XCTAssertTrue(message.contains(named), "\(body): \(message)") }
                }
            }
            // Nothing of a refused body was applied.
            XCTAssertEqual(animator.overrides, [.mouthAaa: 0.7, .headX: -0.5])
            try await client.execute(uri: "/api/overrides", method: .post, body: jsonBody(#"{"mouth_aaa": null}"#)) { r in
                XCTAssertEqual(r.json["overrides"] as? [String: Double], ["head_x": -0.5])
            }
            try await client.execute(uri: "/api/overrides", method: .delete) { r in XCTAssertEqual(r.status, .ok) }
            XCTAssertTrue(animator.overrides.isEmpty)
        }
    }

    func testStatelessPoseRendersTheGivenParameters() async throws {
        let (server, _) = makeServer()
        server.startRendering()
        defer { server.stopRendering() }
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/pose", method: .post, body: jsonBody(["params": ["head_x": 1.0]])) { r in
                XCTAssertEqual(r.status, .badRequest)  // no character yet
                XCTAssertTrue((r.json["error"] as? String ?? "").contains("no character"))
            }
            try server.avatar.loadCharacter(pngData: try TestImages.characterPNG(), source: "test")
            try await client.execute(uri: "/api/pose", method: .post, body: jsonBody(["params": ["head_x": 1.0, "mouth_aaa": 1.0]])) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(r.headers[.contentType], "image/png")
                let image = try RGBAImage(pngData: Data(r.body.readableBytesView))
                XCTAssertEqual(Array(image.pixels[0..<2]), [255, 255])  // the fake renderer's pose colours
            }
            try await client.execute(uri: "/api/pose", method: .post, body: jsonBody(["params": ["head_x": 2.0]])) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((r.json["error"] as? String ?? "").contains("head_x"))
            }
        }
    }

    func testAPIKey() async throws {
        let (server, _) = makeServer(apiKey: "s3cret")
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in XCTAssertEqual(r.status, .ok) }
            for uri in ["/api/state", "/api/modules", "/", "/metrics", "/api/state?key=s3cret"] {
                try await client.execute(uri: uri, method: .get) { r in
                    XCTAssertEqual(r.status, .unauthorized, uri)
                    XCTAssertEqual(r.headers[.wwwAuthenticate], "Bearer")
                }
            }
            try await client.execute(uri: "/api/state", method: .get, headers: [.authorization: "Bearer wrong"]) { r in
                XCTAssertEqual(r.status, .unauthorized)
                XCTAssertEqual(r.json["error"] as? String, "wrong API key")
            }
            try await client.execute(uri: "/api/state", method: .get, headers: [.authorization: "Bearer s3cret"]) { r in
                XCTAssertEqual(r.status, .ok)
            }
            try await client.execute(uri: "/?key=s3cret", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertTrue(r.text.contains("result_feed"))
            }
            try await client.execute(uri: "/obs?key=nope", method: .get) { r in XCTAssertEqual(r.status, .unauthorized) }
        }
    }

    func testMetricsText() async throws {
        let (server, _) = makeServer()
        server.avatar.countInput(source: "ifacialmocap", count: 3)
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/emotion", method: .post, body: jsonBody(["emotion": "nope"])) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { r in
                XCTAssertTrue(r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") ?? false)
                let text = r.text
                for line in ["# TYPE talking_head_frames_rendered_total counter", "talking_head_frames_sent_total 0",
                             "talking_head_viewers 0", "talking_head_render_seconds_count 0",
                             "talking_head_request_errors_total{status=\"400\"} 1",
                             "talking_head_input_packets_total{source=\"ifacialmocap\"} 3"] {
                    XCTAssertTrue(text.contains(line + "\n"), "missing: \(line)\n\(text)")
                }
            }
        }
    }
}
