import Foundation

/// A float32 image-shaped tensor of batch 1 in NCHW order: `channels x height x width`,
/// row-major, contiguous, 64-byte aligned. Reference semantics: kernels write into it in place.
///
/// Tensors are the activations of the networks; weights are `Tensor`s too (with `height` and
/// `width` taken from the trailing dimensions, see `WeightStore`).
final class Tensor: @unchecked Sendable {
    let channels: Int
    let height: Int
    let width: Int
    let data: UnsafeMutablePointer<Float>
    /// The pool `data` came from and goes back to.
    let pool: BufferPool

    var count: Int { channels * height * width }
    var plane: Int { height * width }

    /// A zero-filled tensor.
    convenience init(channels: Int, height: Int, width: Int) {
        self.init(uninitializedChannels: channels, height: height, width: width)
        data.update(repeating: 0, count: max(count, 1))
    }

    /// A tensor whose values are garbage until written: for kernel outputs that overwrite
    /// every value. The buffer comes from `BufferPool`, so a pose allocates almost nothing.
    init(uninitializedChannels channels: Int, height: Int, width: Int, pool: BufferPool = .shared) {
        precondition(channels >= 0 && height >= 0 && width >= 0)
        self.channels = channels
        self.height = height
        self.width = width
        self.pool = pool
        data = pool.take(max(channels * height * width, 1))
    }

    /// A tensor holding a copy of `values`.
    convenience init(channels: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == channels * height * width, "value count does not match the shape")
        self.init(channels: channels, height: height, width: width)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pool.give(data, count: max(count, 1)) }

    /// Pointer to the first value of channel `c`.
    @inline(__always) func channel(_ c: Int) -> UnsafeMutablePointer<Float> { data + c * plane }

    /// The values as an array (tests and debugging).
    var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// A copy of this tensor.
    func copy() -> Tensor {
        let t = Tensor(uninitializedChannels: channels, height: height, width: width, pool: pool)
        t.data.update(from: data, count: count)
        return t
    }
}

/// Recycles activation buffers by size: the networks allocate the same shapes every pose, so
/// after the first pose buffers come back warm instead of as fresh zeroed pages from the OS.
/// Holds at most `capacityBytes` of idle buffers; beyond that they are freed.
final class BufferPool: @unchecked Sendable {
    /// The pool of the default configuration (384 MiB idle, huge pages), also for weights and tests.
    static let shared = BufferPool.shared(capacityBytes: 384 << 20, hugePages: true)

    /// The one pool of these settings: instances configured alike share their buffers.
    static func shared(capacityBytes: Int, hugePages: Bool) -> BufferPool {
        registryLock.lock()
        defer { registryLock.unlock() }
        let key = "\(capacityBytes)/\(hugePages)"
        if let pool = registry[key] { return pool }
        let pool = BufferPool(capacityBytes: capacityBytes, hugePages: hugePages)
        registry[key] = pool
        return pool
    }
    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: BufferPool] = [:]

    init(capacityBytes: Int, hugePages: Bool) {
        capacity_ = capacityBytes
        self.hugePages = hugePages
    }

    private let lock = NSLock()
    private var idle: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var idleBytes = 0
    /// The real size of every buffer handed out (a best fit may be larger than asked for).
    private var capacity: [UnsafeMutablePointer<Float>: Int] = [:]
    private var liveBytes = 0
    private var peakLive = 0
    /// Idle bytes kept for reuse (`Configuration.bufferPoolMegabytes`).
    private let capacity_: Int

    /// Bytes handed out and not yet given back, and the most there ever were (benchmarks).
    var statistics: (live: Int, peakLive: Int, idle: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (liveBytes, peakLive, idleBytes)
    }

    /// Tests only: fill every buffer with NaN when it is handed out and when it comes back, so
    /// a kernel that reads values it never wrote, or a buffer used after its tensor was
    /// released, turns the result into NaN instead of silently into something plausible.
    nonisolated(unsafe) static var poison = false

    /// Buffers of 2 MB and more are 2 MB aligned and marked for transparent huge pages
    /// (`madvise`; Debian's default THP mode only gives them to regions that ask): fewer TLB
    /// misses on the strided rows of the 512x512 activations (figures: Benchmarks/RESULTS.md).
    /// `Configuration.hugePages` turns it off (for comparison).
    let hugePages: Bool

    /// The size a buffer for `count` floats really has: counts above 4096 are rounded up to
    /// one of 8 sizes per power of two (at most 12.5% more), so a buffer freed by one shape
    /// serves the next shape of about its size instead of idling beside a new allocation.
    static func sizeClass(_ count: Int) -> Int {
        guard count > 4096 else { return count }
        let step = 1 << (Int.bitWidth - count.leadingZeroBitCount - 4)
        return (count + step - 1) / step * step
    }

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = Self.sizeClass(count)
        let p = takeBuffer(size)
        if Self.poison { p.update(repeating: .nan, count: size) }
        return p
    }

    private func takeBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        // Best fit among idle buffers of at least `count` and at most twice that.
        var best = Int.max
        for (size, list) in idle where size >= count && size <= 2 * count && size < best && !list.isEmpty { best = size }
        if best != Int.max, var list = idle[best], let p = list.popLast() {
            idle[best] = list
            idleBytes -= best * 4
            liveBytes += best * 4
            peakLive = max(peakLive, liveBytes)
            capacity[p] = best
            lock.unlock()
            return p
        }
        liveBytes += count * 4
        peakLive = max(peakLive, liveBytes)
        lock.unlock()
        var raw: UnsafeMutableRawPointer?
        let bytes = count * MemoryLayout<Float>.stride
        let huge = hugePages && bytes >= (2 << 20)
        guard posix_memalign(&raw, huge ? (2 << 20) : 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(count) floats")
        }
        if huge { _ = madvise(raw, (bytes + (2 << 20) - 1) & ~((2 << 20) - 1), 14 /* MADV_HUGEPAGE */) }
        let p = raw.bindMemory(to: Float.self, capacity: count)
        lock.lock()
        capacity[p] = count
        lock.unlock()
        return p
    }

    /// Gives back a buffer `take` handed out.
    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        lock.lock()
        let size = capacity.removeValue(forKey: p) ?? Self.sizeClass(count)
        lock.unlock()
        if Self.poison { p.update(repeating: .nan, count: size) }
        lock.lock()
        liveBytes -= size * 4
        if idleBytes + size * 4 <= capacity_ {
            idle[size, default: []].append(p)
            idleBytes += size * 4
            lock.unlock()
        } else {
            lock.unlock()
            free(p)
        }
    }

    /// Frees every idle buffer.
    func drain() {
        lock.lock()
        for (_, list) in idle { for p in list { free(p) } }
        idle = [:]
        idleBytes = 0
        lock.unlock()
    }
}
