import Foundation
import Hummingbird
import ServiceLifecycle

/// `GET /api/talkinghead/result_feed`: motion-PNG as SillyTavern-Extras sends it
/// (`multipart/x-mixed-replace; boundary=frame`, parts without Content-Length), paced at --fps,
/// re-sending the latest frame when rendering is slower. Each viewer has its own task: a slow one
/// waits on its own socket (and so gets fewer frames), never on the render loop or other viewers.
enum FeedStream {
    static func response(avatar: LiveAvatar) -> Response {
        let headers: HTTPFields = [
            .contentType: "multipart/x-mixed-replace; boundary=frame",
            .cacheControl: "no-store, no-cache, must-revalidate",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream(avatar: avatar, to: &writer)
        })
    }

    static func stream(avatar: LiveAvatar, to writer: inout any ResponseBodyWriter) async throws {
        avatar.viewerJoined()
        defer { avatar.viewerLeft() }
        let interval = 1 / max(avatar.configuration.fps, 0.1)
        let shutdown = ShutdownFlag()
        try await withGracefulShutdownHandler {
            var next = monotonicSeconds()
            while !shutdown.isSet, !avatar.isStopping, !Task.isCancelled {
                // A disconnected viewer makes this throw: the viewer is dropped at once.
                try await writer.write(avatar.latestFrame.part)
                avatar.metrics.frameSent()
                next += interval
                let now = monotonicSeconds()
                // Behind (a slow viewer or socket): start again from now, no burst to catch up.
                if next < now { next = now; await Task.yield(); continue }
                try await Task.sleep(nanoseconds: UInt64((next - now) * 1e9))
            }
        } onGracefulShutdown: {
            shutdown.set()
        }
        try await writer.finish(nil)
    }
}

final class ShutdownFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
