import CBLAS

// The only file that imports CBLAS: every matrix product of the package goes through here.

/// C[m, n] = A[m, k] * B[k, n] + beta * C[m, n], all row-major with leading dimensions
/// `lda`, `ldb`, `ldc` (OpenBLAS `cblas_sgemm`).
@inline(__always)
func sgemm(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    beta: Float = 0
) {
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans,
        Int32(m), Int32(n), Int32(k), 1,
        a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

extension KernelContext {
    /// sgemm split over the cores by column blocks of B and C (or by row blocks of A and C when
    /// there are few columns), each block a single-threaded OpenBLAS call. OpenBLAS's own threads
    /// are kept at 1 (`configureBLASThreads`) so they never compete with the package's workers.
    func parallelSgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0
    ) {
        let workers = workerCount
        let flops = 2 * m * n * k
        if workers == 1 || flops < 1 << 20 {
            withDenormalsFlushed { sgemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, beta: beta) }
            return
        }
        if n >= 64 * workers {
            // Column blocks, multiples of 16 wide.
            let chunks = workers
            parallelFor(chunks) { i in
                let lo = (n * i / chunks) & ~15
                let hi = i == chunks - 1 ? n : (n * (i + 1) / chunks) & ~15
                if hi > lo {
                    sgemm(m: m, n: hi - lo, k: k, a: a, lda: lda, b: b + lo, ldb: ldb, c: c + lo, ldc: ldc, beta: beta)
                }
            }
        } else {
            let chunks = min(workers, max(1, m / 8))
            parallelFor(chunks) { i in
                let lo = m * i / chunks
                let hi = m * (i + 1) / chunks
                if hi > lo {
                    sgemm(m: hi - lo, n: n, k: k, a: a + lo * lda, lda: lda, b: b, ldb: ldb,
                          c: c + lo * ldc, ldc: ldc, beta: beta)
                }
            }
        }
    }
}

/// Sets OpenBLAS to one thread per call, once: the package parallelises around it.
let configureBLASThreads: Void = {
    openblas_set_num_threads(1)
}()

/// Number of threads OpenBLAS uses inside one sgemm.
var blasThreadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(max(1, newValue))) }
}

/// Runs `body` with denormal floats flushed to zero on this thread (FTZ/DAZ on x86), then
/// restores the thread's previous mode. Every parallel work item of the kernels runs in it.
@inline(__always)
func withDenormalsFlushed<T>(_ body: () throws -> T) rethrows -> T {
    let old = th_denormals_off()
    defer { th_denormals_restore(old) }
    return try body()
}
