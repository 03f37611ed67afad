import Foundation
import Hummingbird
import TalkingHead

/// One rendered frame as the feed sends it: the whole multipart part, built once and shared by
/// every viewer (ByteBuffer is copy-on-write, so sending it to many sockets copies nothing).
struct FeedFrame: Sendable {
    let index: Int
    let png: ByteBuffer
    let part: ByteBuffer
    let params: PoseParameters
}

/// The live character: the image, the animator, the latest frame, viewers and counters. All
/// mutable state sits behind one condition lock, which also wakes the render loop.
///
/// Extension points for other inputs (face capture, speech): they drive `animator` directly
/// (`setCapture`, `play`, overrides) and count their packets with `countInput(source:)`, which
/// `/api/state` and `/metrics` report per source.
public final class LiveAvatar: @unchecked Sendable {
    public let renderer: FrameRenderer
    public let animator: Animator
    public let configuration: ServerConfiguration
    let metrics = ServerMetrics()

    private let cond = NSCondition()
    private var character: RGBAImage?
    private var paused = false
    private var viewerCount = 0
    private var latest: FeedFrame
    private var jobs: [() -> Void] = []
    private var stopping = false
    private var emotionChangedAt: TimeInterval?
    private var inputCounts: [String: Int] = [:]

    public init(renderer: FrameRenderer, animator: Animator = Animator(), configuration: ServerConfiguration = .init()) {
        self.renderer = renderer
        self.animator = animator
        self.configuration = configuration
        // A transparent frame until a character is loaded, as SillyTavern-Extras shows a blank one.
        let size = renderer.outputSize
        let blank = try! RGBAImage(width: size, height: size, pixels: [UInt8](repeating: 0, count: size * size * 4))
        latest = FeedFrame.make(index: 0, image: blank, params: PoseParameters())
    }

    // MARK: Character

    /// Validates and installs a new character; on error the previous one stays.
    /// - Throws: `TalkingHeadError.unreadableImage`, `.imageWithoutAlpha` or `.invalidInput`, naming `source`.
    public func loadCharacter(pngData: Data, source: String) throws {
        let image = try RGBAImage(pngData: pngData, name: source)
        guard image.hasAlpha else { throw TalkingHeadError.imageWithoutAlpha(path: source) }
        let limit = configuration.maxImageSide
        guard image.width <= limit, image.height <= limit, image.width >= 16, image.height >= 16 else {
            throw TalkingHeadError.invalidInput(
                source: source, field: nil,
                reason: "\(image.width)x\(image.height) pixels; accepted sides are 16 to \(limit) (512x512 is native)")
        }
        // Resized once here, so the engine's per-image cache sees the same pixels every frame.
        setCharacter(image.centerCroppedResized(to: renderer.outputSize))
    }

    public func setCharacter(_ image: RGBAImage) {
        cond.lock()
        character = image
        paused = false
        cond.broadcast()
        cond.unlock()
    }

    public var hasCharacter: Bool { cond.lock(); defer { cond.unlock() }; return character != nil }

    // MARK: Pause, emotion

    /// SillyTavern's `unload`: stop rendering (the feed keeps showing the last frame); `load` resumes.
    public func pause() { cond.lock(); paused = true; cond.unlock() }
    public var isPaused: Bool { cond.lock(); defer { cond.unlock() }; return paused }

    public func setEmotion(_ name: String) throws {
        try animator.setEmotion(name)
        cond.lock(); emotionChangedAt = monotonicSeconds(); cond.unlock()
    }

    // MARK: Inputs (capture, speech): counted per source

    public func countInput(source: String, count: Int = 1) {
        cond.lock(); inputCounts[source, default: 0] += count; cond.unlock()
    }
    public var inputCounters: [String: Int] { cond.lock(); defer { cond.unlock() }; return inputCounts }

    // MARK: Face capture listeners (kept alive here; their counters go to /api/state and /metrics)

    private var captures: [CaptureListener] = []
    public func addCapture(_ listener: CaptureListener) { cond.lock(); captures.append(listener); cond.unlock() }
    public var captureStatistics: [CaptureStatistics] {
        cond.lock(); let listeners = captures; cond.unlock()
        return listeners.map(\.statistics)
    }

    // MARK: Viewers and the feed

    func viewerJoined() { cond.lock(); viewerCount += 1; cond.broadcast(); cond.unlock() }
    func viewerLeft() { cond.lock(); viewerCount -= 1; cond.unlock() }
    public var viewers: Int { cond.lock(); defer { cond.unlock() }; return viewerCount }
    var latestFrame: FeedFrame { cond.lock(); defer { cond.unlock() }; return latest }
    var isStopping: Bool { cond.lock(); defer { cond.unlock() }; return stopping }

    // MARK: Render loop interface

    /// Runs `work` on the render thread between two frames (one pose at a time uses every core).
    func enqueue(_ work: @escaping () -> Void) {
        cond.lock(); jobs.append(work); cond.broadcast(); cond.unlock()
    }

    /// A stateless render of the current character in `params`, on the render thread.
    public func renderOnce(_ params: PoseParameters) async throws -> RGBAImage {
        guard let image = currentCharacter() else {
            throw TalkingHeadError.invalidInput(source: "POST /api/pose", field: nil, reason: "no character loaded (POST a PNG to /api/talkinghead/load first)")
        }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue { [renderer, metrics] in
                let start = monotonicSeconds()
                let result = Result { try renderer.pose(image: image, params: params) }
                metrics.oneShotRendered(seconds: monotonicSeconds() - start)
                continuation.resume(with: result)
            }
        }
    }

    func currentCharacter() -> RGBAImage? { cond.lock(); defer { cond.unlock() }; return character }

    enum Work { case job(() -> Void), frame(RGBAImage), stop }

    /// Blocks until there is something to do: a job, a frame to render (a viewer, a character,
    /// not paused), or the end. With nothing to do the thread sleeps (no CPU when idle).
    func nextWork() -> Work {
        cond.lock(); defer { cond.unlock() }
        while true {
            if stopping { return .stop }
            if !jobs.isEmpty { return .job(jobs.removeFirst()) }
            if viewerCount > 0, !paused, let character { return .frame(character) }
            cond.wait()
        }
    }

    /// Waits up to `seconds` unless stopped or given a job (pacing when rendering is faster than --fps).
    func pace(_ seconds: TimeInterval) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        cond.lock(); defer { cond.unlock() }
        while !stopping, jobs.isEmpty, Date() < deadline { _ = cond.wait(until: deadline) }
    }

    func publish(image: RGBAImage, params: PoseParameters, posedAt: TimeInterval, renderSeconds: Double) {
        cond.lock()
        let index = latest.index + 1
        cond.unlock()
        let frame = FeedFrame.make(index: index, image: image, params: params)
        let now = monotonicSeconds()
        cond.lock()
        latest = frame
        var latency: Double?
        if let changed = emotionChangedAt, posedAt >= changed {
            latency = now - changed
            emotionChangedAt = nil
        }
        cond.unlock()
        metrics.frameRendered(seconds: renderSeconds, emotionLatency: latency)
    }

    func stop() { cond.lock(); stopping = true; cond.broadcast(); cond.unlock() }
}

extension FeedFrame {
    static let partHeader = "--frame\r\nContent-Type: image/png\r\n\r\n"

    /// Encodes with libpng's fast setting (no filtering, low zlib level): about 4x quicker than the default.
    static func make(index: Int, image: RGBAImage, params: PoseParameters) -> FeedFrame {
        let data = (try? image.pngData(fast: true)) ?? Data()
        var png = ByteBuffer()
        png.writeBytes(data)
        var part = ByteBuffer()
        part.reserveCapacity(data.count + 64)
        part.writeString(partHeader)
        part.writeBytes(data)
        part.writeString("\r\n")
        return FeedFrame(index: index, png: png, part: part, params: params)
    }
}
