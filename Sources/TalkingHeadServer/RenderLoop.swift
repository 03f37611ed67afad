import Foundation
import TalkingHead

/// The one render loop shared by every viewer, on its own thread: a pose takes about 0.23 s of
/// every core, which must never run on NIO's event loops. It renders only while someone watches.
final class RenderLoop: @unchecked Sendable {
    private let avatar: LiveAvatar
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(avatar: LiveAvatar) { self.avatar = avatar }

    func start() {
        let thread = Thread { [avatar, finished] in
            RenderLoop.run(avatar)
            finished.signal()
        }
        thread.name = "talking-head render"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops the loop and waits for the frame in progress to finish.
    func stop() {
        guard thread != nil else { return }
        avatar.stop()
        finished.wait()
        thread = nil
    }

    private static func run(_ avatar: LiveAvatar) {
        let interval = 1 / max(avatar.configuration.fps, 0.1)
        // PNG encoding and publishing overlap the next pose (in order, one queue): on the loop's
        // own thread they added 10% to every frame's period (Benchmarks/RESULTS.md).
        let publisher = DispatchQueue(label: "talking-head.serve.publish")
        defer { publisher.sync {} }
        while true {
            switch avatar.nextWork() {
            case .stop:
                return
            case .job(let work):
                work()
            case .frame(let character):
                let start = monotonicSeconds()
                let params = avatar.animator.pose(at: start)
                do {
                    let image = try avatar.renderer.pose(image: character, params: params)
                    let took = monotonicSeconds() - start
                    publisher.sync {}  // at most one frame waiting to be encoded
                    publisher.async { avatar.publish(image: image, params: params, posedAt: start, renderSeconds: took) }
                } catch {
                    avatar.metrics.renderFailed()
                    FileHandle.standardError.write(Data("serve: render failed: \(error)\n".utf8))
                    avatar.pace(1)
                    continue
                }
                // Faster than --fps (a small model, a fast machine): no point rendering unseen frames.
                let elapsed = monotonicSeconds() - start
                if elapsed < interval { avatar.pace(interval - elapsed) }
            }
        }
    }
}
