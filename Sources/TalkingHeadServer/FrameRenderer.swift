import Foundation
import TalkingHead

/// What the render loop needs from the engine: the pose of a character in a given pose.
/// `TalkingHead` conforms; in-process tests use a cheap renderer so they run in milliseconds.
public protocol FrameRenderer: AnyObject, Sendable {
    /// Side of the square images returned (512 for THA3).
    var outputSize: Int { get }
    func pose(image: RGBAImage, params: PoseParameters) throws -> RGBAImage
}

extension TalkingHead: FrameRenderer {}

/// Settings of a server instance (the `serve` command's options).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 5100
    /// Parts per second sent to each feed viewer (the latest frame is re-sent when rendering is slower).
    public var fps: Double = 25
    /// When set, every endpoint but `/healthz` needs `Authorization: Bearer KEY` (`?key=` for the page and feed).
    public var apiKey: String?
    /// With `apiKey`: the feed needs no key, as SillyTavern-Extras' `--secure` leaves it (its
    /// `<img>` sends none and SillyTavern adds no `?key=`).
    public var openFeed = false
    /// Largest request body accepted (413 above it).
    public var maxBodyBytes = 20 << 20
    /// Largest side of an uploaded character image, in pixels (400 above it).
    public var maxImageSide = 4096
    public init() {}

    /// Whether `host` is a loopback address (no warning needed without a key).
    public var isLoopback: Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}

/// Seconds on one monotonic clock shared by the animator, the render loop and the endpoints.
@inline(__always) func monotonicSeconds() -> TimeInterval {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return TimeInterval(ts.tv_sec) + TimeInterval(ts.tv_nsec) * 1e-9
}
