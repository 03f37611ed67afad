import Foundation

extension TalkingHead {
    /// Renders `poses` of one character in order and hands each frame to `frame` as it is done.
    ///
    /// Frames are rendered `options.framesInFlight` at a time; `frame` is called in order on a
    /// background thread while the next frames render (encoding overlaps posing), at most one
    /// batch behind. An error thrown by `frame` stops the render and is rethrown; so is the
    /// first rendering error. `cancellation` stops it after the frames in flight with
    /// `TalkingHeadError.cancelled(done:total:)`. `progress` is called (on the same background
    /// thread) after each frame handed over.
    /// - Returns: the number of frames handed to `frame` (all of them when nothing was thrown).
    @discardableResult
    public func render<C: Collection>(
        image: RGBAImage, poses: C, options: RenderOptions = RenderOptions(),
        cancellation: RenderCancellation? = nil,
        progress: ((RenderProgress) -> Void)? = nil,
        frame: @escaping (RenderedFrame) throws -> Void
    ) throws -> Int where C.Element == PoseParameters {
        let total = poses.count
        let jobs = max(1, options.framesInFlight)
        let started = Date()
        let handOver = InOrderWorker()
        var iterator = poses.makeIterator()
        var index = 0
        do {
            while index < total {
                if cancellation?.isCancelled == true {
                    try handOver.finish()
                    throw TalkingHeadError.cancelled(done: handOver.done, total: total)
                }
                var batch: [PoseParameters] = []
                while batch.count < jobs, let p = iterator.next() { batch.append(p) }
                if batch.isEmpty { break }
                let images = try renderBatch(batch, image: image, background: options.background)
                let first = index
                try handOver.submit {
                    for (k, picture) in images.enumerated() {
                        try frame(RenderedFrame(index: first + k, image: picture, params: batch[k]))
                        handOver.done = first + k + 1
                        progress?(RenderProgress(done: first + k + 1, total: total, elapsed: Date().timeIntervalSince(started)))
                    }
                }
                index += batch.count
            }
            try handOver.finish()
        } catch {
            handOver.drain()
            throw error
        }
        return handOver.done
    }

    /// Renders `poses` into every sink, in order, then finishes them; on any error or
    /// cancellation every sink is abandoned and the error rethrown.
    @discardableResult
    public func render<C: Collection>(
        image: RGBAImage, poses: C, into sinks: [FrameSink], options: RenderOptions = RenderOptions(),
        cancellation: RenderCancellation? = nil, progress: ((RenderProgress) -> Void)? = nil
    ) throws -> Int where C.Element == PoseParameters {
        let boxed = SinkList(sinks)
        do {
            let done = try render(image: image, poses: poses, options: options, cancellation: cancellation,
                                  progress: progress) { frame in
                for sink in boxed.sinks { try sink.append(frame) }
            }
            for sink in sinks { try sink.finish() }
            return done
        } catch {
            for sink in sinks { sink.abandon() }
            throw error
        }
    }

    /// The frames of `poses` as an asynchronous stream, in order; cancelling the consuming task
    /// stops the render after the frames in flight.
    public func frames(image: RGBAImage, poses: [PoseParameters], options: RenderOptions = RenderOptions())
        -> AsyncThrowingStream<RenderedFrame, Error> {
        AsyncThrowingStream(bufferingPolicy: .bufferingOldest(max(2, options.framesInFlight * 2))) { continuation in
            let cancellation = RenderCancellation()
            continuation.onTermination = { _ in cancellation.cancel() }
            Thread.detachNewThread {
                do {
                    try self.render(image: image, poses: poses, options: options, cancellation: cancellation) { frame in
                        continuation.yield(frame)
                    }
                    continuation.finish()
                } catch TalkingHeadError.cancelled(_, _) where cancellation.isCancelled {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// The frames of `batch`, rendered at the same time (with the background, if any); the
    /// first error in frame order is thrown.
    private func renderBatch(_ batch: [PoseParameters], image: RGBAImage, background: RGBColor?) throws -> [RGBAImage] {
        let results = ResultSlots<RGBAImage>(count: batch.count)
        let one = { (i: Int) in
            results.set(i, Result {
                var frame = try self.pose(image: image, params: batch[i])
                if let c = background { frame = frame.composited(onto: c.red, c.green, c.blue) }
                return frame
            })
        }
        if batch.count == 1 { one(0) } else { DispatchQueue.concurrentPerform(iterations: batch.count, execute: one) }
        return try results.values.map { try $0!.get() }
    }
}

/// The sinks of a render, handed to the background thread.
private final class SinkList: @unchecked Sendable {
    let sinks: [FrameSink]
    init(_ sinks: [FrameSink]) { self.sinks = sinks }
}

/// Runs jobs one at a time on its own thread, at most one behind the caller: `submit` first
/// waits for the previous job and rethrows its error, so frames stay in order, memory stays
/// bounded, and a failed hand-over stops the render at the next batch.
final class InOrderWorker: @unchecked Sendable {
    private let queue = DispatchQueue(label: "talking-head.render-hand-over")
    private let group = DispatchGroup()
    private var error: Error?
    /// Frames handed over so far (read after `drain`/`finish`, or by the job itself).
    var done = 0

    func submit(_ job: @escaping () throws -> Void) throws {
        try finish()
        group.enter()
        queue.async {
            defer { self.group.leave() }
            do { try job() } catch { self.error = error }
        }
    }

    /// Waits for the job in flight; rethrows its error.
    func finish() throws {
        drain()
        if let error { self.error = nil; throw error }
    }

    /// Waits for the job in flight, keeping any error for `finish`.
    func drain() { group.wait() }
}

/// Results written by concurrent workers, one slot each.
final class ResultSlots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Result<T, Error>) { lock.lock(); slots[i] = value; lock.unlock() }
    var values: [Result<T, Error>?] { lock.lock(); defer { lock.unlock() }; return slots }
}
