import CKernels

/// The pointwise (1x1) weights [cout, cin] of `separableConv2d`, in the layout its band products
/// read: packed for `th_gemm_packed` (tiles of a few rows, each read as one stream) where that
/// product runs (AVX2 and AVX-512, tiles as tall as the context's level wants, from
/// `Tuning.packedProductMinimumInputs` inputs), row-major for sgemm otherwise.
/// Packing happens once, when the weights are loaded, in the weights' own buffer.
struct PointwiseWeights {
    /// rows * columns floats.
    let storage: Tensor
    let rows: Int
    let columns: Int
    /// Rows per tile of the packed layout (`th_gemm_tile_rows`), or 0 when row-major.
    let tileRows: Int

    /// Takes `weights` (rows x columns, row-major) and packs it in place when the separable
    /// convolutions' product will read it packed.
    init(_ weights: Tensor, rows: Int, columns: Int, context: KernelContext) {
        precondition(weights.count == rows * columns, "PointwiseWeights: \(weights.count) values for \(rows)x\(columns)")
        storage = weights
        self.rows = rows
        self.columns = columns
        guard context.runs(.gemmPacked) && context.tuning.packedProduct && columns >= context.tuning.packedProductMinimumInputs else {
            tileRows = 0
            return
        }
        tileRows = Int(th_gemm_tile_rows(context.cLevel, columns))
        let rowMajor = [Float](UnsafeBufferPointer(start: weights.data, count: rows * columns))
        th_pack_rows(rowMajor, columns, rows, columns, Int32(tileRows), weights.data)
    }

    /// A copy of row-major `values` (rows x columns), packed like `init(_:rows:columns:)`.
    init(copying values: UnsafePointer<Float>, rows: Int, columns: Int, context: KernelContext) {
        let t = Tensor(uninitializedChannels: 1, height: rows, width: columns)
        t.data.update(from: values, count: rows * columns)
        self.init(t, rows: rows, columns: columns, context: context)
    }

    /// The weights row-major, as a new tensor (only used when a benchmark or test switched the
    /// packed product off after loading).
    func unpacked() -> Tensor {
        let copy = Tensor(uninitializedChannels: 1, height: rows, width: columns)
        var o0 = 0
        while o0 < rows {
            let r = min(tileRows, rows - o0)
            let tile = storage.data + o0 * columns
            for kk in 0..<columns {
                for i in 0..<r { copy.data[(o0 + i) * columns + kk] = tile[kk * r + i] }
            }
            o0 += r
        }
        return copy
    }
}
