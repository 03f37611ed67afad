import CKernels
import Foundation

// Convolutions on batch-1 NCHW float32 planes. Each kernel has a naive twin in
// Tests/KernelTests/NaiveKernels.swift and is checked against PyTorch fixtures.

/// Output size of a convolution along one axis (PyTorch's formula).
@inline(__always)
func convOutputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
    (size + 2 * padding - kernel) / stride + 1
}

/// The output positions `lo..<hi` whose input position `o * stride + offset` lies in [0, inSize).
@inline(__always)
func validRange(outSize: Int, inSize: Int, offset: Int, stride: Int) -> (Int, Int) {
    // o*stride + offset >= 0  <=>  o >= ceil(-offset / stride)
    var lo = 0
    if offset < 0 { lo = (-offset + stride - 1) / stride }
    // o*stride + offset <= inSize - 1  <=>  o <= floor((inSize - 1 - offset) / stride)
    let last = inSize - 1 - offset
    let hi = last < 0 ? 0 : min(outSize, last / stride + 1)
    return (lo, max(lo, hi))
}

/// The weights [cout, cin, k, k] of a direct convolution (`convDirect`, the output heads)
/// regrouped once, at load, for `th_conv_rows` at one vector level: groups of output channels
/// whose weights the loop reads in order, zero past cout.
struct HeadWeights {
    let storage: [Float]
    let group: Int
    let level: VectorLevel
    let cin, cout, kernel: Int

    /// Nil when `th_conv_rows` has no loop at the context's level.
    init?(_ weight: UnsafePointer<Float>, cin: Int, cout: Int, kernel k: Int, context: KernelContext) {
        let group = th_conv_group(context.cLevel, cout)
        guard group > 0 else { return nil }
        var storage = [Float](repeating: 0, count: (cout + group - 1) / group * group * cin * k * k)
        th_conv_pack(weight, cin, cout, k * k, group, &storage)
        (self.storage, self.group, level) = (storage, group, context.level)
        (self.cin, self.cout, kernel) = (cin, cout, k)
    }
}

extension KernelContext {
    /// 1x1 convolution as one sgemm.
    /// input [cin, plane], weight [cout, cin], bias [cout] or nil -> output [cout, plane].
    func conv1x1(
        input: UnsafePointer<Float>, cin: Int, plane: Int,
        weight: UnsafePointer<Float>, cout: Int, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>
    ) {
        if let bias {
            parallelFor(cout) { o in
                (output + o * plane).update(repeating: bias[o], count: plane)
            }
        }
        parallelSgemm(m: cout, n: plane, k: cin, a: weight, lda: cin, b: input, ldb: plane,
              c: output, ldc: plane, beta: bias == nil ? 0 : 1)
    }

    /// General (groups = 1) convolution: 1x1 as one sgemm, 3x3 with few outputs directly, stride 1
    /// and stride 2 (even kernel) as shifted-tap sgemms (`ShiftedConvolution.swift`), else im2col.
    /// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil
    /// -> output [cout, ho, wo] with ho = (h + 2p - k) / s + 1 (likewise wo).
    ///
    /// `norm`, a deferred instance norm of the input (see `DeferredTensor`), is taken only where
    /// `conv2dAppliesNorm` says so (the direct loops, which copy their input rows anyway).
    func conv2d(
        input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, cout: Int, kernel k: Int, stride s: Int, padding p: Int,
        bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, norm: ChannelScaleShift? = nil, heads: HeadWeights? = nil
    ) {
        precondition(norm == nil || conv2dAppliesNorm(cout: cout, kernel: k, stride: s, padding: p),
                     "conv2d: a deferred norm on a path that does not apply it")
        if k == 1 && s == 1 && p == 0 {
            conv1x1(input: input, cin: cin, plane: h * w, weight: weight, cout: cout, bias: bias, output: output)
            return
        }
        if conv2dAppliesNorm(cout: cout, kernel: k, stride: s, padding: p) {
            convDirect(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k, bias: bias,
                       output: output, norm: norm, heads: heads)
            return
        }
        // Shifted taps win on large planes, im2col's one long sgemm on small ones (Benchmarks/RESULTS.md).
        let largePlane = convOutputSize(h, kernel: k, stride: s, padding: p) * convOutputSize(w, kernel: k, stride: s, padding: p) >= 8192
        if s == 1 && p < k && cin >= 16 && largePlane {
            conv2dShifted(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k,
                          padding: p, bias: bias, output: output)
            return
        }
        if s == 2 && k % 2 == 0 && p < k && cin >= 4 && largePlane {
            conv2dStride2Shifted(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k,
                                 padding: p, bias: bias, output: output)
            return
        }
        conv2dIm2col(input: input, cin: cin, height: h, width: w, weight: weight, cout: cout, kernel: k, stride: s,
                     padding: p, bias: bias, output: output)
    }

    /// Whether `conv2d` of this geometry runs the direct loops (stride 1, odd 'same' kernels, few
    /// outputs), which apply a deferred norm of the input as they copy it.
    func conv2dAppliesNorm(cout: Int, kernel k: Int, stride s: Int, padding p: Int) -> Bool {
        s == 1 && k % 2 == 1 && p == k / 2 && cout <= 32 && runs(.convRows)
    }

    /// General (groups = 1) convolution by im2col over bands of output rows and sgemm: the fallback
    /// of `conv2d` for strides and kernels `ShiftedConvolution.swift` does not cover.
    /// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil -> output [cout, ho, wo].
    func conv2dIm2col(
        input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, cout: Int, kernel k: Int, stride s: Int, padding p: Int,
        bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>
    ) {
        let ho = convOutputSize(h, kernel: k, stride: s, padding: p)
        let wo = convOutputSize(w, kernel: k, stride: s, padding: p)
        let rowsK = cin * k * k
        // Bands of about 1M floats of im2col matrix (4 MB), at least one output row.
        let bandRows = max(1, min(ho, (1 << 22) / max(1, rowsK * wo)))
        let columns = pool.take(rowsK * bandRows * wo)
        defer { pool.give(columns, count: rowsK * bandRows * wo) }
        let outPlane = ho * wo
        if let bias {
            parallelFor(cout) { o in (output + o * outPlane).update(repeating: bias[o], count: outPlane) }
        }
        var oy0 = 0
        while oy0 < ho {
            let rows = min(bandRows, ho - oy0)
            let n = rows * wo
            // columns[(ci*k + ky)*k + kx][(oy - oy0)*wo + ox] = input[ci][oy*s + ky - p][ox*s + kx - p]
            parallelFor(cin) { ci in
                let src = input + ci * h * w
                for ky in 0..<k {
                    for kx in 0..<k {
                        let dst = columns + ((ci * k + ky) * k + kx) * n
                        let (oxLo, oxHi) = validRange(outSize: wo, inSize: w, offset: kx - p, stride: s)
                        for r in 0..<rows {
                            let iy = (oy0 + r) * s + ky - p
                            let d = dst + r * wo
                            if iy < 0 || iy >= h || oxLo >= oxHi {
                                d.update(repeating: 0, count: wo)
                                continue
                            }
                            let row = src + iy * w + kx - p
                            if oxLo > 0 { d.update(repeating: 0, count: oxLo) }
                            if s == 1 {
                                (d + oxLo).update(from: row + oxLo, count: oxHi - oxLo)
                            } else {
                                for ox in oxLo..<oxHi { d[ox] = row[ox * s] }
                            }
                            if oxHi < wo { (d + oxHi).update(repeating: 0, count: wo - oxHi) }
                        }
                    }
                }
            }
            parallelSgemm(m: cout, n: n, k: rowsK, a: weight, lda: rowsK, b: columns, ldb: n,
                  c: output + oy0 * wo, ldc: outPlane, beta: bias == nil ? 0 : 1)
            oy0 += rows
        }
    }

    /// k x k (k odd), stride 1, padding k / 2 convolution with few output channels (the stacked
    /// output heads: 3x3 in THA3, 7x7 in THA v1), computed directly by the C vector loops
    /// (`th_conv_rows`) over bands of output rows: im2col + sgemm spends most of its time on the
    /// im2col copy when cout is this small, and the shifted-tap sgemms on packing.
    /// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil -> output [cout, h, w].
    /// `heads`: the weights regrouped at load (else regrouped here, once per call). Needs `runs(.convRows)`.
    func convDirect(
        input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, cout: Int, kernel k: Int, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, norm: ChannelScaleShift? = nil, heads: HeadWeights? = nil
    ) {
        guard let packed = heads ?? HeadWeights(weight, cin: cin, cout: cout, kernel: k, context: self) else {
            preconditionFailure("convDirect: th_conv_rows has no loop at \(level)")
        }
        precondition(packed.level == level && packed.cout == cout && packed.cin == cin && packed.kernel == k,
                     "convDirect: head weights regrouped for another level or shape")
        let p = k / 2
        let rowStride = w + 2 * p + 16
        // Rows per band: about 256 Ki floats of padded input, and at least 2 bands per core.
        let byCache = max(1, (256 << 10) / max(1, cin * rowStride) - 2 * p)
        let bandRows = max(1, min(byCache, h / (2 * workerCount)))
        let bands = (h + bandRows - 1) / bandRows
        let chanStride = (bandRows + 2 * p) * rowStride
        parallelFor(bands) { b in
            let oy0 = b * bandRows
            let rows = min(bandRows, h - oy0)
            let padded = pool.take(cin * chanStride)
            defer { pool.give(padded, count: cin * chanStride) }
            for ci in 0..<cin {
                let src = input + ci * h * w
                let dst = padded + ci * chanStride
                for r in 0..<(rows + 2 * p) {
                    let y = oy0 - p + r
                    let row = dst + r * rowStride
                    if y < 0 || y >= h {
                        row.update(repeating: 0, count: rowStride)
                    } else {
                        row.update(repeating: 0, count: p)
                        copyRow(src + y * w, row + p, count: w,
                                norm: norm.map { RowNorm(scale: $0.scale[ci], shift: $0.shift[ci], activation: $0.activation) })
                        (row + w + p).update(repeating: 0, count: rowStride - w - p)
                    }
                }
            }
            let done = packed.storage.withUnsafeBufferPointer {
                th_conv_rows(cLevel, Int32(k), padded, cin, chanStride, rowStride, $0.baseAddress, packed.group, bias, cout,
                             rows, w, output + oy0 * w, h * w)
            }
            precondition(done != 0, "convDirect: th_conv_rows declined")
        }
    }
}
