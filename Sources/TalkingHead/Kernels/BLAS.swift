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

/// Number of threads OpenBLAS uses inside one sgemm.
var blasThreadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(max(1, newValue))) }
}
