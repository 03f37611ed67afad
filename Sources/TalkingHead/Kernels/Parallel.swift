import CKernels
import Dispatch
import Foundation

extension KernelContext {
    /// Runs `body(i)` for i in 0..<count on `workerCount` workers, or in order on the calling
    /// thread when that is 1. Blocks until every call returned. The workers are the calling thread
    /// and the spinning pool threads of `th_pool_run` (CKernels/Pool.c: they stay awake between
    /// the back-to-back calls of a pose), or GCD when the pool is taken (concurrent poses, nested
    /// calls) or switched off (`usePool`).
    @inline(__always)
    func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || workerCount == 1 {
            if count > 1 {
                Profile.parallelRegion { withDenormalsFlushed { for i in 0..<count { body(i) } } }
            } else if count == 1 {
                withDenormalsFlushed { body(0) }
            }
            return
        }
        let workers = workerCount
        let pooled = usePool && withoutActuallyEscaping(body) { body -> Bool in
            var task = body
            return withUnsafeMutablePointer(to: &task) { task in
                th_pool_run(workers - 1, count, { context, i in
                    let body = context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee
                    withDenormalsFlushed { body(i) }
                }, task) != 0
            }
        }
        if !pooled {
            DispatchQueue.concurrentPerform(iterations: count) { i in withDenormalsFlushed { body(i) } }
        }
    }

    /// Splits 0..<count into about `chunks` contiguous ranges and runs them in parallel.
    @inline(__always)
    func parallelRanges(_ count: Int, chunks: Int = 8, _ body: (Range<Int>) -> Void) {
        let n = max(1, min(chunks, count))
        parallelFor(n) { i in
            let lo = count * i / n
            let hi = count * (i + 1) / n
            if lo < hi { body(lo..<hi) }
        }
    }
}
