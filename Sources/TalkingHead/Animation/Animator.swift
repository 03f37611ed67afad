import Foundation

/// A time-driven source of poses for a live character: it eases towards the current emotion's
/// preset (plus pinned overrides) and, on its own, blinks, breathes, sways gently and moves the
/// mouth while talking or while a `MouthTrack` plays. Frame-rate independent: the motion is the
/// same whether `pose(at:)` is called 5 or 60 times a second, and nothing falls between two
/// calls (every blink is closed, the talking mouth opens and closes, in returned poses).
///
/// Thread-safe: every member takes a lock, so a render loop may call `pose(at:)` while request
/// handlers change the emotion or the overrides.
///
/// ```swift
/// let animator = Animator(seed: 1)
/// try animator.setEmotion("joy")
/// animator.isTalking = true
/// let params = animator.pose(at: clock.seconds)
/// ```
public final class Animator: @unchecked Sendable {
    private let lock = NSLock()
    private var core: AnimatorCore

    /// - Parameters:
    ///   - seed: a fixed seed makes the blinks, sway and talking mouth repeat exactly; nil
    ///     draws one from the system generator.
    public init(settings: AnimatorSettings = .init(), emotions: EmotionPresets = .builtIn, seed: UInt64? = nil) {
        var system = SystemRandomNumberGenerator()
        core = AnimatorCore(settings: settings, emotions: emotions, seed: seed ?? system.next())
    }

    private func locked<T>(_ body: (inout AnimatorCore) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&core)
    }

    public var settings: AnimatorSettings {
        get { locked { $0.settings } }
        set { locked { $0.settings = newValue } }
    }

    /// The presets `setEmotion` chooses from. Replacing them keeps the current emotion if the
    /// new presets have it, else switches to neutral.
    public var emotions: EmotionPresets {
        get { locked { $0.emotions } }
        set { locked { $0.replaceEmotions(newValue) } }
    }

    /// The current emotion's name ("neutral" at start).
    public var emotion: String { locked { $0.emotion } }

    /// Eases towards the preset `name` from the next frame on.
    /// - Throws: `TalkingHeadError.invalidInput` for a name that is not in `emotions`.
    public func setEmotion(_ name: String) throws {
        try locked { try $0.setEmotion(name) }
    }

    /// While true (and no mouth track plays) the mouth opens and closes at random at about
    /// `settings.talkingRate` changes per second.
    public var isTalking: Bool {
        get { locked { $0.isTalking } }
        set { locked { $0.isTalking = newValue } }
    }

    /// Pins `parameter` to `value` (clamped to its range) over everything the animator does;
    /// nil releases it.
    public func setOverride(_ parameter: PoseParameter, to value: Float?) {
        locked { $0.setOverride(parameter, to: value) }
    }

    public var overrides: [PoseParameter: Float] { locked { $0.overrides } }

    public func clearOverrides() { locked { $0.clearOverrides() } }

    /// Plays `track` from `start` (seconds on the same clock as `pose(at:)`): the mouth follows it
    /// until it ends, replacing the random talking mouth.
    public func play(_ track: MouthTrack, startingAt start: TimeInterval) {
        locked { $0.play(track, startingAt: start) }
    }

    public func stopMouthTrack() { locked { $0.stopMouthTrack() } }

    /// Face capture: the latest captured pose (all 45 values) at `time`; it becomes the target
    /// (replacing sway and blinking; breathing stays; overrides still win). When no capture
    /// arrives for `settings.captureTimeout` (1 s) the animator takes over again smoothly.
    /// nil ends capture at once.
    public func setCapture(_ pose: PoseParameters?, at time: TimeInterval) {
        locked { $0.setCapture(pose, at: time) }
    }

    /// The pose of a frame rendered at `time` (seconds, any monotonic clock; calls in
    /// increasing time, normally once per rendered frame; an earlier time counts as a repeat of
    /// the last one). Frame-rate independent easing; nothing falls between two calls: a blink
    /// or a mouth closure that started since the last call is shown closed in at least one
    /// returned pose.
    public func pose(at time: TimeInterval) -> PoseParameters {
        locked { $0.pose(at: time) }
    }

    /// `count` poses at `fps` frames per second from `start` (the idle animation for an offline
    /// render: `talking-head animate` without a pose file).
    public func poses(count: Int, fps: Double, startingAt start: TimeInterval = 0) -> [PoseParameters] {
        precondition(fps > 0 && fps.isFinite, "fps must be positive")
        return (0..<max(0, count)).map { pose(at: start + Double($0) / fps) }
    }
}
