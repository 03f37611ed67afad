import Foundation

/// Wall-clock time per kernel kind, for the benchmarks. Off unless `Profile.enabled`; when on,
/// calls must not overlap (one pose at a time) for the figures to mean anything.
enum Profile {
    enum Kind: String, CaseIterable, Sendable {
        case pointwise = "1x1 conv (sgemm)"
        case im2col = "3x3/7x7 conv (im2col + sgemm)"
        case separable = "separable conv (depthwise + 1x1, banded)"
        case depthwise = "depthwise conv"
        case transposed = "transposed depthwise conv"
        case transposedFull = "transposed conv (full, THA v1)"
        case norm = "instance norm + activation"
        case gridSample = "grid_sample"
        case resize = "resize / upsample"
        case elementwise = "elementwise, concat, copies"
        // Whole networks (overlapping the kernel kinds above).
        case combinerNetwork = "network: eyebrow morphing combiner"
        case morpherNetwork = "network: face morpher"
        case rotatorNetwork = "network: face-body rotator"
        case editorNetwork = "network: editor"
        case v1MorpherNetwork = "network: THA v1 face morpher"
        case v1RotatorNetwork = "network: THA v1 two-algorithm face rotator"
        case v1CombinerNetwork = "network: THA v1 combiner"

        /// True for the whole-network kinds.
        var isNetwork: Bool { rawValue.hasPrefix("network:") }
    }

    nonisolated(unsafe) static var enabled = false
    /// Also record each call by its `detail` (a shape), with its FLOPs (benchmark `--by-layer`).
    nonisolated(unsafe) static var byDetail = false
    nonisolated(unsafe) private static var seconds: [Kind: Double] = [:]
    nonisolated(unsafe) private static var details: [String: (seconds: Double, flops: Double, calls: Int)] = [:]
    private static let lock = NSLock()

    @inline(__always)
    static func measure<T>(_ kind: Kind, _ detail: @autoclosure () -> String = "", flops: @autoclosure () -> Double = 0,
                           _ body: () -> T) -> T {
        guard enabled else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        lock.lock()
        seconds[kind, default: 0] += elapsed
        if byDetail {
            let key = "\(kind.rawValue.prefix(20)) \(detail())"
            let old = details[key] ?? (0, 0, 0)
            details[key] = (old.seconds + elapsed, old.flops + flops(), old.calls + 1)
        }
        lock.unlock()
        return result
    }

    /// Accumulated seconds, FLOPs and calls per kind and detail since the last reset.
    static func detailSnapshot() -> [String: (seconds: Double, flops: Double, calls: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return details
    }

    /// Accumulated seconds per kind since the last reset.
    static func snapshot() -> [Kind: Double] {
        lock.lock()
        defer { lock.unlock() }
        return seconds
    }

    static func reset() {
        lock.lock()
        seconds = [:]
        details = [:]
        parallelSeconds = 0
        lock.unlock()
    }

    /// Seconds spent in `parallelFor` calls of 2 or more items that ran on one thread (a
    /// context of 1 worker), outermost calls only: what more threads can share. The rest of a
    /// pose is serial whatever the threads (Amdahl's bound of the thread count).
    nonisolated(unsafe) private(set) static var parallelSeconds = 0.0
    nonisolated(unsafe) private static var parallelDepth = 0

    /// Runs `body` (a `parallelFor` of 2 or more items on one worker), timed when enabled.
    @inline(__always)
    static func parallelRegion(_ body: () -> Void) {
        guard enabled else { return body() }
        parallelDepth += 1
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        parallelDepth -= 1
        if parallelDepth == 0 { parallelSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    }
}
