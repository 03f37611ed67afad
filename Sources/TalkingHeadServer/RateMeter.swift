import Foundation

/// Events per second over the last few whole seconds (one-second buckets in a ring), for
/// `/api/state`: cheap enough to count every sent feed part.
final class RateMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var buckets: [Int]
    private var bucketSecond: [Int]
    private let window: Int

    init(window: Int = 5) {
        self.window = window
        buckets = Array(repeating: 0, count: window + 1)
        bucketSecond = Array(repeating: -1, count: window + 1)
    }

    func record(_ count: Int = 1, at time: TimeInterval = monotonicSeconds()) {
        let second = Int(time)
        let slot = second % buckets.count
        lock.lock()
        if bucketSecond[slot] != second { bucketSecond[slot] = second; buckets[slot] = 0 }
        buckets[slot] += count
        lock.unlock()
    }

    /// Mean rate over the last `window` complete seconds.
    func perSecond(at time: TimeInterval = monotonicSeconds()) -> Double {
        let now = Int(time)
        lock.lock(); defer { lock.unlock() }
        var total = 0
        for s in (now - window)..<now {
            let slot = ((s % buckets.count) + buckets.count) % buckets.count
            if bucketSecond[slot] == s { total += buckets[slot] }
        }
        return Double(total) / Double(window)
    }
}
