import Foundation

/// Counters for `/metrics` (Prometheus text format 0.0.4) and `/api/state`.
final class ServerMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var framesRendered = 0
    private(set) var framesSent = 0
    private(set) var renderFailures = 0
    private(set) var renderSecondsSum = 0.0
    private(set) var lastRenderSeconds = 0.0
    private(set) var lastEmotionLatency: Double?
    private var oneShotSum = 0.0
    private var oneShotCount = 0
    private var requestErrors: [Int: Int] = [:]
    let renderRate = RateMeter()
    let sendRate = RateMeter()

    func frameRendered(seconds: Double, emotionLatency: Double?) {
        lock.lock()
        framesRendered += 1
        renderSecondsSum += seconds
        lastRenderSeconds = seconds
        if let emotionLatency { lastEmotionLatency = emotionLatency }
        lock.unlock()
        renderRate.record()
    }

    func frameSent() {
        lock.lock(); framesSent += 1; lock.unlock()
        sendRate.record()
    }

    /// A stateless render (`POST /api/pose`): the engine's time alone, to compare the loop with.
    func oneShotRendered(seconds: Double) {
        lock.lock(); oneShotSum += seconds; oneShotCount += 1; lock.unlock()
    }

    func renderFailed() { lock.lock(); renderFailures += 1; lock.unlock() }
    func requestFailed(status: Int) { lock.lock(); requestErrors[status, default: 0] += 1; lock.unlock() }

    struct Snapshot {
        var rendered, sent, failures: Int
        var renderSum, lastRender: Double
        var emotionLatency: Double?
        var errors: [Int: Int]
        var oneShotSum: Double
        var oneShotCount: Int
    }

    var snapshot: Snapshot {
        lock.lock(); defer { lock.unlock() }
        return Snapshot(rendered: framesRendered, sent: framesSent, failures: renderFailures,
                        renderSum: renderSecondsSum, lastRender: lastRenderSeconds,
                        emotionLatency: lastEmotionLatency, errors: requestErrors,
                        oneShotSum: oneShotSum, oneShotCount: oneShotCount)
    }

    /// The exposition text; `viewers` and `inputs` come from the avatar.
    func prometheusText(viewers: Int, paused: Bool, inputs: [String: Int]) -> String {
        let s = snapshot
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ lines: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in lines { out += "\(name)\(labels) \(value)\n" }
        }
        metric("talking_head_frames_rendered_total", "counter", "Frames rendered by the render loop.", [("", "\(s.rendered)")])
        metric("talking_head_frames_sent_total", "counter", "Feed parts sent, all viewers together.", [("", "\(s.sent)")])
        metric("talking_head_render_failures_total", "counter", "Frames whose render failed.", [("", "\(s.failures)")])
        metric("talking_head_render_seconds", "summary", "Engine time to pose one frame of the loop (encoding excluded).",
               [("_sum", String(s.renderSum)), ("_count", "\(s.rendered)")])
        metric("talking_head_pose_request_seconds", "summary", "Engine time of stateless renders (POST /api/pose).",
               [("_sum", String(s.oneShotSum)), ("_count", "\(s.oneShotCount)")])
        metric("talking_head_last_render_seconds", "gauge", "Engine time of the last frame of the loop.", [("", String(s.lastRender))])
        metric("talking_head_emotion_latency_seconds", "gauge",
               "From the last emotion change to the first frame posed after it, published.",
               [("", String(s.emotionLatency ?? 0))])
        metric("talking_head_viewers", "gauge", "Feed viewers connected.", [("", "\(viewers)")])
        metric("talking_head_paused", "gauge", "1 while rendering is paused (unload).", [("", paused ? "1" : "0")])
        metric("talking_head_request_errors_total", "counter", "Requests answered with an error, by status.",
               s.errors.keys.sorted().map { ("{status=\"\($0)\"}", "\(s.errors[$0]!)") })
        metric("talking_head_input_packets_total", "counter", "Packets received per live input source.",
               inputs.keys.sorted().map { ("{source=\"\($0)\"}", "\(inputs[$0]!)") })
        return out
    }
}
