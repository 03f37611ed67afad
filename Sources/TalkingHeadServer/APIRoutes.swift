import Foundation
import Hummingbird
import TalkingHead

/// Our own JSON API. Errors: `{"error": "..."}` with a 4xx status naming the problem.
enum APIRoutes {
    static func add(to router: Router<BasicRequestContext>, avatar: LiveAvatar) {
        let limit = avatar.configuration.maxBodyBytes
        let animator = avatar.animator

        router.get("/healthz") { _, _ in Reply.text("ok") }
        router.get("/metrics") { _, _ in
            let text = avatar.metrics.prometheusText(viewers: avatar.viewers, paused: avatar.isPaused, inputs: avatar.inputCounters)
                + CaptureStatistics.prometheusText(avatar.captureStatistics)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/api/params") { _, _ in
            Reply.json(["params": PoseParameter.allCases.map { p in
                ["name": p.rawValue, "group": p.group.rawValue, "index": p.index,
                 "min": Double(p.range.lowerBound), "max": Double(p.range.upperBound)] as [String: Any]
            }])
        }
        router.get("/api/emotions") { _, _ in
            Reply.json(["emotions": animator.emotions.names, "current": animator.emotion])
        }
        router.get("/api/state") { _, _ in
            Reply.json(state(avatar))
        }
        router.post("/api/emotion") { request, _ in
            struct Body: Decodable { let emotion: String }
            var request = request
            let body = try RequestJSON.decode(Body.self, from: try await request.bodyData(limit: limit), source: "POST /api/emotion")
            guard animator.emotions.names.contains(body.emotion) else {
                throw TalkingHeadError.invalidInput(source: "POST /api/emotion", field: "emotion",
                    reason: "unknown emotion '\(body.emotion)' (GET /api/emotions lists them)")
            }
            try avatar.setEmotion(body.emotion)
            return Reply.json(["emotion": animator.emotion])
        }
        router.post("/api/talking") { request, _ in
            struct Body: Decodable { let talking: Bool }
            var request = request
            let body = try RequestJSON.decode(Body.self, from: try await request.bodyData(limit: limit), source: "POST /api/talking")
            animator.isTalking = body.talking
            return Reply.json(["talking": animator.isTalking])
        }
        router.get("/api/overrides") { _, _ in
            Reply.json(["overrides": overridesObject(animator)])
        }
        router.post("/api/overrides") { request, _ in
            var request = request
            let source = "POST /api/overrides"
            let object = try RequestJSON.decode([String: LooseNumber].self, from: try await request.bodyData(limit: limit), source: source)
            // All checked before any is applied: a bad key changes nothing.
            for (parameter, value) in try RequestJSON.poseValues(object, source: source, allowNull: true) {
                animator.setOverride(parameter, to: value)
            }
            return Reply.json(["overrides": overridesObject(animator)])
        }
        router.delete("/api/overrides") { _, _ in
            animator.clearOverrides()
            return Reply.json(["overrides": [String: Double]()])
        }
        router.post("/api/pose") { request, _ in
            struct Body: Decodable { let params: [String: LooseNumber] }
            var request = request
            let source = "POST /api/pose"
            let body = try RequestJSON.decode(Body.self, from: try await request.bodyData(limit: limit), source: source)
            var params = PoseParameters()
            for (parameter, value) in try RequestJSON.poseValues(body.params, source: source, allowNull: false) {
                params[parameter] = value ?? 0
            }
            let image = try await avatar.renderOnce(params)
            var buffer = ByteBuffer()
            buffer.writeBytes(try image.pngData())
            return Reply.bytes(buffer, contentType: "image/png")
        }
    }

    static func overridesObject(_ animator: Animator) -> [String: Double] {
        var out: [String: Double] = [:]
        for (p, v) in animator.overrides { out[p.rawValue] = jsonNumber(v) }
        return out
    }

    /// A Float as the Double of its shortest decimal form: 0.8, not 0.800000011920929.
    static func jsonNumber(_ v: Float) -> Double { Double("\(v)") ?? Double(v) }

    static func state(_ avatar: LiveAvatar) -> [String: Any] {
        let frame = avatar.latestFrame
        var pose: [String: Double] = [:]
        for p in PoseParameter.allCases { pose[p.rawValue] = jsonNumber(frame.params[p]) }
        let m = avatar.metrics.snapshot
        return [
            "emotion": avatar.animator.emotion,
            "talking": avatar.animator.isTalking,
            "paused": avatar.isPaused,
            "character_loaded": avatar.hasCharacter,
            "pose": pose,
            "overrides": overridesObject(avatar.animator),
            "frame": frame.index,
            "frames_rendered": m.rendered,
            "frames_sent": m.sent,
            "rendered_per_second": avatar.metrics.renderRate.perSecond(),
            "sent_per_second": avatar.metrics.sendRate.perSecond(),
            "last_render_seconds": m.lastRender,
            "viewers": avatar.viewers,
            "fps": avatar.configuration.fps,
            "inputs": avatar.inputCounters,
            "capture": avatar.captureStatistics.map(\.jsonObject),
        ]
    }
}
