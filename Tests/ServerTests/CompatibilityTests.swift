import Foundation
import Hummingbird
import HummingbirdTesting
import TalkingHead
import XCTest
@testable import TalkingHeadServer

/// SillyTavern-Extras' talkinghead API, in process: the replies SillyTavern reads, bad uploads.
final class CompatibilityTests: XCTestCase {
    func testModulesAndCORS() async throws {
        let (server, _) = makeServer()
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/modules", method: .get, headers: [.origin: "http://localhost:8000"]) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(r.json["modules"] as? [String], ["talkinghead"])
                XCTAssertEqual(r.headers[.accessControlAllowOrigin], "*")
            }
            // No Origin header (an <img> load): the header is there all the same, as in Extras.
            try await client.execute(uri: "/api/talkinghead/start_talking", method: .get) { r in
                XCTAssertEqual(r.text, "talking started")
                XCTAssertEqual(r.headers[.accessControlAllowOrigin], "*")
            }
            // A preflight from SillyTavern's page.
            try await client.execute(uri: "/api/talkinghead/set_emotion", method: .options,
                                     headers: [.origin: "http://localhost:8000", .accessControlRequestMethod: "POST"]) { r in
                XCTAssertTrue(r.status == .ok || r.status == .noContent, "\(r.status)")
                XCTAssertEqual(r.headers[.accessControlAllowOrigin], "*")
                XCTAssertTrue(r.headers[.accessControlAllowMethods]?.contains("POST") ?? false)
            }
        }
    }

    func testReplayOfTheExpressionsExtension() async throws {
        let (server, _) = makeServer()
        let avatar = server.avatar
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            let (body, headers) = TestImages.multipart(try TestImages.characterPNG())
            try await client.execute(uri: "/api/talkinghead/load", method: .post, headers: headers, body: body) { r in
                XCTAssertEqual(r.status, .ok); XCTAssertEqual(r.text, "OK")
            }
            XCTAssertTrue(avatar.hasCharacter)
            for path in ["load_emotion_templates", "load_animator_settings"] {
                try await client.execute(uri: "/api/talkinghead/\(path)", method: .post,
                                         headers: [.contentType: "application/json"], body: jsonBody("{}")) { r in
                    XCTAssertEqual(r.status, .ok, path); XCTAssertEqual(r.text, "OK", path)
                }
            }
            XCTAssertEqual(avatar.animator.emotions, .builtIn)
            try await client.execute(uri: "/api/talkinghead/set_emotion", method: .post, body: jsonBody(["emotion_name": "joy"])) { r in
                XCTAssertEqual(r.text, "emotion set to joy")
            }
            XCTAssertEqual(avatar.animator.emotion, "joy")
            try await client.execute(uri: "/api/talkinghead/set_emotion", method: .post, body: jsonBody(["emotion_name": "no-such"])) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(r.text, "emotion set to neutral")
            }
            XCTAssertEqual(avatar.animator.emotion, "neutral")
            try await client.execute(uri: "/api/talkinghead/start_talking", method: .get) { r in XCTAssertEqual(r.text, "talking started") }
            XCTAssertTrue(avatar.animator.isTalking)
            try await client.execute(uri: "/api/talkinghead/stop_talking", method: .get) { r in XCTAssertEqual(r.text, "talking stopped") }
            XCTAssertFalse(avatar.animator.isTalking)
            try await client.execute(uri: "/api/talkinghead/unload", method: .get) { r in XCTAssertEqual(r.text, "animation paused") }
            XCTAssertTrue(avatar.isPaused)
            // load resumes.
            try await client.execute(uri: "/api/talkinghead/load", method: .post, headers: headers, body: body) { r in XCTAssertEqual(r.text, "OK") }
            XCTAssertFalse(avatar.isPaused)
        }
    }

    func testEmotionTemplatesReplaceOnlyTheEmotionsTheyName() async throws {
        let (server, _) = makeServer()
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/talkinghead/load_emotion_templates", method: .post,
                                     body: jsonBody(["joy": ["eye_wink_left_index": 1.0, "mouth_smirk": 0.5]])) { r in
                XCTAssertEqual(r.text, "OK")
            }
            let emotions = server.avatar.animator.emotions
            XCTAssertEqual(emotions.names.count, EmotionPresets.builtIn.names.count)
            XCTAssertEqual(emotions["joy"]?[.eyeWinkLeft], 1)
            XCTAssertEqual(emotions["joy"]?[.mouthSmirk], 0.5)
            XCTAssertEqual(emotions["anger"], EmotionPresets.builtIn["anger"])
            try await client.execute(uri: "/api/talkinghead/load_emotion_templates", method: .post,
                                     body: jsonBody(["joy": ["eye_wonk_left": 1.0]])) { r in
                XCTAssertEqual(r.status, .badRequest)
                let message = r.json["error"] as? String ?? ""
                XCTAssertTrue(message.contains("eye_wonk_left"), message)
            }
            // The bad file changed nothing.
            XCTAssertEqual(server.avatar.animator.emotions["joy"]?[.eyeWinkLeft], 1)
            // Out of range is clamped, as Extras' own _defaults.json needs (mouth corners at 1.2).
            try await client.execute(uri: "/api/talkinghead/load_emotion_templates", method: .post,
                                     body: jsonBody(["joy": ["mouth_raised_corner_left_index": 1.2]])) { r in
                XCTAssertEqual(r.text, "OK")
            }
            XCTAssertEqual(server.avatar.animator.emotions["joy"]?[.mouthRaisedCornerLeft], 1)
        }
    }

    func testBadUploadsKeepThePreviousCharacter() async throws {
        let (server, _) = makeServer(maxBody: 64 << 10)
        let avatar = server.avatar
        let app = Application(router: server.makeRouter())
        try await app.test(.router) { client in
            let (good, headers) = TestImages.multipart(try TestImages.characterPNG(blue: 77))
            try await client.execute(uri: "/api/talkinghead/load", method: .post, headers: headers, body: good) { r in XCTAssertEqual(r.text, "OK") }
            let before = avatar.currentCharacter()
            // A 2x2 RGB PNG (colour type 2, no tRNS), made with Python's zlib.
            let rgb = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAD0lEQVR42mNgaPgPQhAKACX2Bf0ZCSOMAAAAAElFTkSuQmCC")!
            let cases: [(String, Data, String)] = [
                ("not a PNG", Data("hello, not an image".utf8), "not a readable PNG"),
                ("no alpha", rgb, "no alpha channel"),
                ("too small", try TestImages.characterPNG(side: 8), "8x8"),
            ]
            for (label, data, expected) in cases {
                let (body, headers) = TestImages.multipart(data)
                try await client.execute(uri: "/api/talkinghead/load", method: .post, headers: headers, body: body) { r in
                    XCTAssertEqual(r.status, .badRequest, label)
                    let message = r.json["error"] as? String ?? ""
                    XCTAssertTrue(message.contains(expected), "\(label): \(message)")
                }
            }
            let (wrongField, h2) = TestImages.multipart(try TestImages.characterPNG(), field: "image")
            try await client.execute(uri: "/api/talkinghead/load", method: .post, headers: h2, body: wrongField) { r in
                XCTAssertEqual(r.status, .badRequest)
                XCTAssertTrue((r.json["error"] as? String ?? "").contains("'file'"))
            }
            let (huge, h3) = TestImages.multipart(Data(count: 100 << 10))
            try await client.execute(uri: "/api/talkinghead/load", method: .post, headers: h3, body: huge) { r in
                XCTAssertEqual(r.status, .contentTooLarge)
            }
            XCTAssertTrue(avatar.currentCharacter() == before, "a refused upload replaced the character")
            try await client.execute(uri: "/healthz", method: .get) { r in XCTAssertEqual(r.text, "ok") }
        }
    }

    func testMultipartFieldAfterOtherFields() throws {
        let boundary = "xyz"
        let body = Data("--xyz\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nvalue\r\n--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nPNGDATA\r\n--xyz--\r\n".utf8)
        let got = try Multipart.field("file", in: body, contentType: "multipart/form-data; boundary=\"\(boundary)\"")
        XCTAssertEqual(String(decoding: got, as: UTF8.self), "PNGDATA")
        XCTAssertThrowsError(try Multipart.field("file", in: body, contentType: "application/json"))
    }
}
