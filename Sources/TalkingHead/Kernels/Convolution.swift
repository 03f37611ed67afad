import Foundation

// Convolutions on batch-1 NCHW float32 planes. Each kernel has a naive twin in
// Tests/KernelTests/NaiveKernels.swift and is checked against PyTorch fixtures.

/// Output size of a convolution along one axis (PyTorch's formula).
@inline(__always)
func convOutputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
    (size + 2 * padding - kernel) / stride + 1
}

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
    sgemm(m: cout, n: plane, k: cin, a: weight, lda: cin, b: input, ldb: plane,
          c: output, ldc: plane, beta: bias == nil ? 0 : 1)
}

/// General (groups = 1) convolution by im2col over bands of output rows and sgemm.
/// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil
/// -> output [cout, ho, wo] with ho = (h + 2p - k) / s + 1 (likewise wo).
func conv2d(
    input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
    weight: UnsafePointer<Float>, cout: Int, kernel k: Int, stride s: Int, padding p: Int,
    bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>
) {
    let ho = convOutputSize(h, kernel: k, stride: s, padding: p)
    let wo = convOutputSize(w, kernel: k, stride: s, padding: p)
    if k == 1 && s == 1 && p == 0 {
        conv1x1(input: input, cin: cin, plane: h * w, weight: weight, cout: cout, bias: bias, output: output)
        return
    }
    let rowsK = cin * k * k
    // Bands of about 1M floats of im2col matrix (4 MB), at least one output row.
    let bandRows = max(1, min(ho, (1 << 20) / max(1, rowsK * wo)))
    let columns = UnsafeMutablePointer<Float>.allocate(capacity: rowsK * bandRows * wo)
    defer { columns.deallocate() }
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
        sgemm(m: cout, n: n, k: rowsK, a: weight, lda: rowsK, b: columns, ldb: n,
              c: output + oy0 * wo, ldc: outPlane, beta: bias == nil ? 0 : 1)
        oy0 += rows
    }
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

/// Depthwise convolution (groups = channels, no bias).
/// input [c, h, w], weight [c, 1, k, k] -> output [c, ho, wo].
func depthwiseConv2d(
    input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
    weight: UnsafePointer<Float>, kernel k: Int, stride s: Int, padding p: Int,
    output: UnsafeMutablePointer<Float>
) {
    let ho = convOutputSize(h, kernel: k, stride: s, padding: p)
    let wo = convOutputSize(w, kernel: k, stride: s, padding: p)
    var ranges = [(Int, Int)]()
    for kx in 0..<k { ranges.append(validRange(outSize: wo, inSize: w, offset: kx - p, stride: s)) }
    ranges.withUnsafeBufferPointer { ranges in
        parallelFor(c) { ch in
            let src = input + ch * h * w
            let dst = output + ch * ho * wo
            let wk = weight + ch * k * k
            for oy in 0..<ho {
                let out = dst + oy * wo
                out.update(repeating: 0, count: wo)
                for ky in 0..<k {
                    let iy = oy * s + ky - p
                    if iy < 0 || iy >= h { continue }
                    let row = src + iy * w
                    for kx in 0..<k {
                        let wv = wk[ky * k + kx]
                        let (lo, hi) = ranges[kx]
                        if s == 1 {
                            let r = row + (kx - p)
                            for ox in lo..<hi { out[ox] += wv * r[ox] }
                        } else {
                            let r = row + (kx - p)
                            for ox in lo..<hi { out[ox] += wv * r[ox * s] }
                        }
                    }
                }
            }
        }
    }
}

/// Depthwise transposed convolution (groups = channels, no bias), as
/// `ConvTranspose2d(c, c, kernel_size=k, stride=s, padding=p, groups=c)`.
/// input [c, h, w], weight [c, 1, k, k] -> output [c, ho, wo], ho = (h - 1) * s - 2p + k.
func depthwiseConvTranspose2d(
    input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
    weight: UnsafePointer<Float>, kernel k: Int, stride s: Int, padding p: Int,
    output: UnsafeMutablePointer<Float>
) {
    let ho = (h - 1) * s - 2 * p + k
    let wo = (w - 1) * s - 2 * p + k
    parallelFor(c) { ch in
        let src = input + ch * h * w
        let dst = output + ch * ho * wo
        let wk = weight + ch * k * k
        dst.update(repeating: 0, count: ho * wo)
        // Gather form: out[oy][ox] = sum over (iy, ky) with oy = iy*s - p + ky, same for x.
        for oy in 0..<ho {
            let out = dst + oy * wo
            for ky in 0..<k {
                let t = oy + p - ky
                if t < 0 || t % s != 0 { continue }
                let iy = t / s
                if iy >= h { continue }
                let row = src + iy * w
                for kx in 0..<k {
                    let wv = wk[ky * k + kx]
                    // ox = ix*s - p + kx  for ix in 0..<w
                    var ix = 0
                    var ox = kx - p
                    while ox < 0 { ix += 1; ox += s }
                    while ix < w && ox < wo {
                        out[ox] += wv * row[ix]
                        ix += 1
                        ox += s
                    }
                }
            }
        }
    }
}

/// Full transposed convolution (groups = 1, no bias), as `ConvTranspose2d(cin, cout, k, s, p)`.
/// input [cin, h, w], weight [cin, cout, k, k] -> output [cout, ho, wo], ho = (h - 1) * s - 2p + k.
/// Computed as one sgemm (weightᵀ x input) into per-tap columns, then a col2im scatter.
func convTranspose2d(
    input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
    weight: UnsafePointer<Float>, cout: Int, kernel k: Int, stride s: Int, padding p: Int,
    output: UnsafeMutablePointer<Float>
) {
    let ho = (h - 1) * s - 2 * p + k
    let wo = (w - 1) * s - 2 * p + k
    let plane = h * w
    let taps = cout * k * k
    // weightT [cout*k*k, cin]
    let weightT = UnsafeMutablePointer<Float>.allocate(capacity: taps * cin)
    defer { weightT.deallocate() }
    for ci in 0..<cin {
        for t in 0..<taps { weightT[t * cin + ci] = weight[ci * taps + t] }
    }
    let columns = UnsafeMutablePointer<Float>.allocate(capacity: taps * plane)
    defer { columns.deallocate() }
    sgemm(m: taps, n: plane, k: cin, a: weightT, lda: cin, b: input, ldb: plane, c: columns, ldc: plane)
    parallelFor(cout) { o in
        let dst = output + o * ho * wo
        dst.update(repeating: 0, count: ho * wo)
        for ky in 0..<k {
            for kx in 0..<k {
                let col = columns + ((o * k + ky) * k + kx) * plane
                for iy in 0..<h {
                    let oy = iy * s - p + ky
                    if oy < 0 || oy >= ho { continue }
                    for ix in 0..<w {
                        let ox = ix * s - p + kx
                        if ox < 0 || ox >= wo { continue }
                        dst[oy * wo + ox] += col[iy * w + ix]
                    }
                }
            }
        }
    }
}
