import Foundation

// Full (groups = 1) convolutions with large kernels as sums of k*k matrix products over shifted
// views of one padded copy of the input, instead of an im2col matrix k*k times the input's size.
//
// With the input zero-padded to [C, hp, wp] (one channel every `cs` floats), output row-band
// position n = r * wp + ox (ox < wo kept, the wp - wo columns past it discarded) reads, for tap
// (ky, kx), padded[c][n + (oy0 + ky) * wp + kx]: so the tap's operand is the padded buffer itself,
// offset, with leading dimension cs. Each tap is one sgemm [cout, C] x [C, band] accumulated into
// the band. Stride-2 convolutions become stride-1 ones over the four 2x2 phases of the input
// (space-to-depth), and so do 4x4 stride-2 transposed convolutions, one output phase at a time.
// Used by `conv2d` and `convTranspose2d`; the THA v1 networks spend most of their time here.

extension KernelContext {
    /// Sum over the taps of a stride-1, unpadded convolution of an already padded input.
    /// padded [C] planes of hp*wp floats (hp = ho + k - 1, wp >= wo + k - 1), channel stride cs >=
    /// hp*wp + k - 1 (the tail zeroed); taps [k*k][cout][C]; tapOffsets[t] = ky*wp + kx.
    /// Writes out[o][(oy * wo + ox)] for the ho x wo output through `store(o, row, values)`.
    private func shiftedTapSum(
        padded: UnsafePointer<Float>, channels c: Int, channelStride cs: Int, rowStride wp: Int,
        taps: UnsafePointer<Float>, tapOffsets: [Int], cout: Int, outHeight ho: Int, outWidth wo: Int,
        store: (_ band: UnsafePointer<Float>, _ oy0: Int, _ rows: Int) -> Void
    ) {
        let workers = workerCount
        // Bands of output rows: about 4096 columns per sgemm, and at least one band per worker.
        var rows = max(1, min(ho, 4096 / wp))
        if (ho + rows - 1) / rows < workers { rows = max(1, (ho + workers - 1) / workers) }
        let bands = (ho + rows - 1) / rows
        let tapCount = tapOffsets.count
        func band(_ b: Int, parallel: Bool) {
            let oy0 = b * rows
            let r = min(rows, ho - oy0)
            let n = r * wp
            let acc = pool.take(cout * n)
            defer { pool.give(acc, count: cout * n) }
            for t in 0..<tapCount {
                let bPtr = padded + oy0 * wp + tapOffsets[t]
                let aPtr = taps + t * cout * c
                if parallel {
                    parallelSgemm(m: cout, n: n, k: c, a: aPtr, lda: c, b: bPtr, ldb: cs, c: acc, ldc: n, beta: t == 0 ? 0 : 1)
                } else {
                    sgemm(m: cout, n: n, k: c, a: aPtr, lda: c, b: bPtr, ldb: cs, c: acc, ldc: n, beta: t == 0 ? 0 : 1)
                }
            }
            store(acc, oy0, r)
        }
        if bands >= workers {
            parallelFor(bands) { band($0, parallel: false) }
        } else {
            for b in 0..<bands { band(b, parallel: true) }
        }
    }

    /// Copies input [cin, h, w] into a zero-filled [cin] x (hp x wp) buffer at (top, left), channel
    /// stride cs. The caller gives the buffer back to the pool (cin * cs floats).
    private func padded(
        _ input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        hp: Int, wp: Int, cs: Int, top: Int, left: Int
    ) -> UnsafeMutablePointer<Float> {
        let buffer = pool.take(cin * cs)
        parallelFor(cin) { ci in
            let dst = buffer + ci * cs
            dst.update(repeating: 0, count: cs)
            let src = input + ci * h * w
            for y in 0..<h where y + top >= 0 && y + top < hp {
                let x0 = max(0, -left), x1 = min(w, wp - left)
                if x1 > x0 { (dst + (y + top) * wp + left + x0).update(from: src + y * w + x0, count: x1 - x0) }
            }
        }
        return buffer
    }

    /// Stride-1 convolution, any k and padding p < k, through `shiftedTapSum`.
    /// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil -> output [cout, ho, wo],
    /// ho = h + 2p - k + 1 (likewise wo).
    func conv2dShifted(
        input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, cout: Int, kernel k: Int, padding p: Int,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        let ho = h + 2 * p - k + 1, wo = w + 2 * p - k + 1
        let hp = ho + k - 1, wp = wo + k - 1
        let cs = hp * wp + k
        let buffer = padded(input, cin: cin, height: h, width: w, hp: hp, wp: wp, cs: cs, top: p, left: p)
        defer { pool.give(buffer, count: cin * cs) }
        // taps[t][o][ci] = weight[o][ci][t]
        let kk = k * k
        let taps = pool.take(kk * cout * cin)
        defer { pool.give(taps, count: kk * cout * cin) }
        parallelFor(cout) { o in
            for ci in 0..<cin { for t in 0..<kk { taps[(t * cout + o) * cin + ci] = weight[(o * cin + ci) * kk + t] } }
        }
        let offsets = (0..<kk).map { ($0 / k) * wp + $0 % k }
        shiftedTapSum(padded: buffer, channels: cin, channelStride: cs, rowStride: wp, taps: taps, tapOffsets: offsets,
                      cout: cout, outHeight: ho, outWidth: wo) { band, oy0, rows in
            storeBand(band, rowStride: wp, cout: cout, oy0: oy0, rows: rows, bias: bias,
                      output: output, outWidth: wo, outPlane: ho * wo)
        }
    }

    /// Stride-2 convolution with an even kernel k, as a stride-1 (k/2)x(k/2) convolution over the
    /// 4 * cin channels of the input's 2x2 phases: phase (a, b)[ci][y][x] = input[ci][2y+a-p][2x+b-p].
    /// input [cin, h, w], weight [cout, cin, k, k], bias [cout] or nil -> output [cout, ho, wo],
    /// ho = (h + 2p - k) / 2 + 1 (likewise wo).
    func conv2dStride2Shifted(
        input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, cout: Int, kernel k: Int, padding p: Int,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
    ) {
        precondition(k % 2 == 0, "space-to-depth needs an even kernel")
        let ho = (h + 2 * p - k) / 2 + 1, wo = (w + 2 * p - k) / 2 + 1
        let k2 = k / 2
        let hp = ho + k2 - 1, wp = wo + k2 - 1
        let cs = hp * wp + k2
        let c4 = 4 * cin
        let phases = pool.take(c4 * cs)
        defer { pool.give(phases, count: c4 * cs) }
        parallelFor(c4) { idx in
            let ab = idx / cin, ci = idx % cin, a = ab / 2, b = ab % 2
            let dst = phases + idx * cs
            dst.update(repeating: 0, count: cs)
            let src = input + ci * h * w
            for y in 0..<hp {
                let iy = 2 * y + a - p
                if iy < 0 || iy >= h { continue }
                let row = dst + y * wp, srow = src + iy * w
                for x in 0..<wp {
                    let ix = 2 * x + b - p
                    if ix >= 0 && ix < w { row[x] = srow[ix] }
                }
            }
        }
        // taps[(dy, dx)][o][(a*2+b)*cin + ci] = weight[o][ci][2dy+a][2dx+b]
        let t2 = k2 * k2
        let taps = pool.take(t2 * cout * c4)
        defer { pool.give(taps, count: t2 * cout * c4) }
        parallelFor(cout) { o in
            for dy in 0..<k2 { for dx in 0..<k2 { for a in 0..<2 { for b in 0..<2 { for ci in 0..<cin {
                taps[((dy * k2 + dx) * cout + o) * c4 + (a * 2 + b) * cin + ci] =
                    weight[((o * cin + ci) * k + 2 * dy + a) * k + 2 * dx + b]
            } } } } }
        }
        let offsets = (0..<t2).map { ($0 / k2) * wp + $0 % k2 }
        shiftedTapSum(padded: phases, channels: c4, channelStride: cs, rowStride: wp, taps: taps, tapOffsets: offsets,
                      cout: cout, outHeight: ho, outWidth: wo) { band, oy0, rows in
            storeBand(band, rowStride: wp, cout: cout, oy0: oy0, rows: rows, bias: bias,
                      output: output, outWidth: wo, outPlane: ho * wo)
        }
    }

    /// 4x4, stride 2, padding 1 transposed convolution (groups = 1), one output phase at a time:
    /// output[o][2m+a][2n+b] is a 2x2 stride-1 convolution of the input padded by 1, with kernel
    /// rows ky = 3 - a - 2*dy... (see `phaseTap`). input [cin, h, w], weight [cin, cout, 4, 4]
    /// -> output [cout, 2h, 2w].
    func convTranspose2dShifted(
        input: UnsafePointer<Float>, cin: Int, height h: Int, width w: Int,
        weight: UnsafePointer<Float>, cout: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        // out[2m + a] = sum over ky with 2m + a = 2 iy - 1 + ky: a = 0 -> (ky 3, iy m-1), (ky 1, iy m);
        // a = 1 -> (ky 2, iy m), (ky 0, iy m+1). With the input padded by 1 (padded row m + d holds
        // iy = m + d - 1), tap d in {0, 1} of phase a uses ky = phaseTap(a, d).
        func phaseTap(_ a: Int, _ d: Int) -> Int { a == 0 ? (d == 0 ? 3 : 1) : (d == 0 ? 2 : 0) }
        let hp = h + 2, wp = w + 2
        let cs = hp * wp + 2
        let buffer = padded(input, cin: cin, height: h, width: w, hp: hp, wp: wp, cs: cs, top: 1, left: 1)
        defer { pool.give(buffer, count: cin * cs) }
        let taps = pool.take(4 * cout * cin)
        defer { pool.give(taps, count: 4 * cout * cin) }
        let wo = 2 * w, plane = 4 * h * w
        for a in 0..<2 {
            for b in 0..<2 {
                // taps[(dy, dx)][o][ci] = weight[ci][o][phaseTap(a, dy)][phaseTap(b, dx)]
                parallelFor(cout) { o in
                    for dy in 0..<2 { for dx in 0..<2 {
                        let t = (dy * 2 + dx) * cout + o, kyx = phaseTap(a, dy) * 4 + phaseTap(b, dx)
                        for ci in 0..<cin { taps[t * cin + ci] = weight[(ci * cout + o) * 16 + kyx] }
                    } }
                }
                // Phase a's output row m reads padded rows m + a + dy (a = 1 starts one row lower).
                let offsets = [a * wp + b, a * wp + b + 1, (a + 1) * wp + b, (a + 1) * wp + b + 1]
                shiftedTapSum(padded: buffer, channels: cin, channelStride: cs, rowStride: wp, taps: taps,
                              tapOffsets: offsets, cout: cout, outHeight: h, outWidth: w) { band, m0, rows in
                    for o in 0..<cout {
                        for r in 0..<rows {
                            let src = band + (o * rows + r) * wp
                            let dst = output + o * plane + (2 * (m0 + r) + a) * wo + b
                            for n in 0..<w { dst[2 * n] = src[n] }
                        }
                    }
                }
            }
        }
    }

    /// Copies the wo kept columns of each band row into output (adding the bias).
    @inline(__always)
    private func storeBand(
        _ band: UnsafePointer<Float>, rowStride wp: Int, cout: Int, oy0: Int, rows: Int,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, outWidth wo: Int, outPlane: Int
    ) {
        for o in 0..<cout {
            let bo = bias?[o] ?? 0
            for r in 0..<rows {
                let src = band + (o * rows + r) * wp
                let dst = output + o * outPlane + (oy0 + r) * wo
                if bias == nil {
                    dst.update(from: src, count: wo)
                } else {
                    for x in 0..<wo { dst[x] = src[x] + bo }
                }
            }
        }
    }
}
