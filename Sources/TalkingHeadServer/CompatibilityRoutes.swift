import Foundation
import Hummingbird
import TalkingHead

/// SillyTavern-Extras' `talkinghead` API: same paths, methods, bodies and plain-text replies, so
/// SillyTavern's expressions extension (Extras URL = this server) drives it unchanged.
enum CompatibilityRoutes {
    static let prefix = "/api/talkinghead"

    static func add(to router: Router<BasicRequestContext>, avatar: LiveAvatar) {
        let limit = avatar.configuration.maxBodyBytes
        router.get("/api/modules") { _, _ in
            Reply.json(["modules": ["talkinghead"]])
        }
        router.post("\(prefix)/load") { request, _ in
            var request = request
            let body = try await request.bodyData(limit: limit)
            let contentType = request.headers[.contentType]
            let png: Data
            if let contentType, contentType.lowercased().hasPrefix("image/png") {
                png = body  // a raw PNG body is accepted too (curl --data-binary)
            } else {
                png = try Multipart.field("file", in: body, contentType: contentType)
            }
            try avatar.loadCharacter(pngData: png, source: "POST \(prefix)/load: field 'file'")
            return Reply.text("OK")
        }
        router.post("\(prefix)/load_emotion_templates") { request, _ in
            var request = request
            let body = try await request.bodyData(limit: limit)
            // Clamped as Extras takes them: its own _defaults.json holds values out of range.
            avatar.animator.emotions = try EmotionPresets.builtIn(
                overriddenBy: body, source: "POST \(prefix)/load_emotion_templates", clampOutOfRange: true)
            return Reply.text("OK")
        }
        router.post("\(prefix)/load_animator_settings") { request, _ in
            var request = request
            let body = try await request.bodyData(limit: limit)
            avatar.animator.settings = try AnimatorSettings(json: body, source: "POST \(prefix)/load_animator_settings")
            return Reply.text("OK")
        }
        router.get("\(prefix)/unload") { _, _ in
            avatar.pause()
            return Reply.text("animation paused")
        }
        router.get("\(prefix)/start_talking") { _, _ in
            avatar.animator.isTalking = true
            return Reply.text("talking started")
        }
        router.get("\(prefix)/stop_talking") { _, _ in
            avatar.animator.isTalking = false
            return Reply.text("talking stopped")
        }
        router.post("\(prefix)/set_emotion") { request, _ in
            struct Body: Decodable { let emotion_name: String }
            var request = request
            let source = "POST \(prefix)/set_emotion"
            let body = try RequestJSON.decode(Body.self, from: try await request.bodyData(limit: limit), source: source)
            // As there: an unknown emotion falls back to neutral.
            let name = avatar.animator.emotions.names.contains(body.emotion_name) ? body.emotion_name : "neutral"
            try avatar.setEmotion(name)
            return Reply.text("emotion set to \(name)")
        }
        router.get("\(prefix)/result_feed") { _, _ in
            FeedStream.response(avatar: avatar)
        }
    }
}

extension EmotionPresets {
    /// The built-in presets with the posted emotions replacing theirs (SillyTavern's lookup
    /// order: the client's file first); `{}` gives the built-in set back.
    public static func builtIn(overriddenBy body: Data, source: String, clampOutOfRange: Bool = false) throws -> EmotionPresets {
        // Validates names and values (unknown names and non-finite values are refused either way).
        let posted = try EmotionPresets(json: body, source: source, clampOutOfRange: clampOutOfRange)
        if posted.names.isEmpty { return .builtIn }
        var merged = try JSONSerialization.jsonObject(with: EmotionPresets.builtIn.jsonData()) as? [String: Any] ?? [:]
        let overlay = try JSONSerialization.jsonObject(with: posted.jsonData()) as? [String: Any] ?? [:]
        for (name, pose) in overlay { merged[name] = pose }
        return try EmotionPresets(json: JSONSerialization.data(withJSONObject: merged), source: source)
    }
}
