import Foundation

/// Source index pair and weight of one output position of a linear resize with
/// align_corners=False (PyTorch `compute_indices_weights_linear`).
struct LinearTap {
    var i0: Int
    var i1: Int
    var w0: Float
    var w1: Float
}

func linearTaps(inSize: Int, outSize: Int) -> [LinearTap] {
    let scale = Float(inSize) / Float(outSize)
    return (0..<outSize).map { d in
        var src = scale * (Float(d) + 0.5) - 0.5
        if src < 0 { src = 0 }
        let i0 = min(Int(src.rounded(.down)), inSize - 1)
        let lambda = min(max(src - Float(i0), 0), 1)
        let i1 = i0 < inSize - 1 ? i0 + 1 : i0
        return LinearTap(i0: i0, i1: i1, w0: 1 - lambda, w1: lambda)
    }
}

/// The x (or y) coordinates of `affine_grid` with the identity matrix along an axis of `n`
/// samples: `linspace(-1, 1, n)`, times (n - 1) / n when align_corners is false (PyTorch
/// `linspace_from_neg_one`, same float operations).
func identityGridCoordinates(_ n: Int, alignCorners: Bool) -> [Float] {
    if n <= 1 { return [Float](repeating: 0, count: n) }
    let step: Float = 2 / Float(n - 1)
    let half = n / 2
    return (0..<n).map { i in
        let v: Float = i < half ? -1 + step * Float(i) : 1 - step * Float(n - i - 1)
        return alignCorners ? v : v * Float(n - 1) / Float(n)
    }
}

extension KernelContext {
    /// Nearest-neighbour 2x upsampling, as `Upsample(scale_factor=2, mode='nearest')`.
    /// input [c, h, w] -> output [c, 2h, 2w].
    func upsampleNearest2x(
        input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let wo = 2 * w
        parallelFor(c) { ch in
            let src = input + ch * h * w
            let dst = output + ch * 4 * h * w
            for y in 0..<h {
                let row = src + y * w
                let out = dst + 2 * y * wo
                for x in 0..<w {
                    let v = row[x]
                    out[2 * x] = v
                    out[2 * x + 1] = v
                }
                (out + wo).update(from: out, count: wo)
            }
        }
    }

    /// Bilinear resize, as `F.interpolate(x, size=(ho, wo), mode='bilinear', align_corners=False)`.
    /// input [c, h, w] -> output [c, ho, wo].
    func resizeBilinear(
        input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
        output: UnsafeMutablePointer<Float>, outHeight ho: Int, outWidth wo: Int
    ) {
        let ty = linearTaps(inSize: h, outSize: ho)
        let tx = linearTaps(inSize: w, outSize: wo)
        ty.withUnsafeBufferPointer { ty in
            tx.withUnsafeBufferPointer { tx in
                parallelFor(c) { ch in
                    let src = input + ch * h * w
                    let dst = output + ch * ho * wo
                    for y in 0..<ho {
                        let t = ty[y]
                        let r0 = src + t.i0 * w
                        let r1 = src + t.i1 * w
                        let out = dst + y * wo
                        for x in 0..<wo {
                            let s = tx[x]
                            out[x] = t.w0 * (s.w0 * r0[s.i0] + s.w1 * r0[s.i1])
                                + t.w1 * (s.w0 * r1[s.i0] + s.w1 * r1[s.i1])
                        }
                    }
                }
            }
        }
    }

    /// Bilinear `grid_sample` with padding_mode 'border'.
    /// input [c, h, w]; gridX, gridY [ho * wo] normalised coordinates -> output [c, ho, wo].
    /// Mirrors PyTorch's CPU kernel: unnormalise, clip to the border, then weights
    /// nw = s*e, ne = s*w, sw = n*e, se = n*w; out-of-range corners contribute 0.
    /// `offsetX` [wo] and `offsetY` [ho], when given, are added to the grid first (the identity
    /// grid of `applyGridChange`: column x's offset to gridX, row y's to gridY).
    func gridSampleBilinearBorder(
        input: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
        gridX: UnsafePointer<Float>, gridY: UnsafePointer<Float>, outHeight ho: Int, outWidth wo: Int,
        alignCorners: Bool, output: UnsafeMutablePointer<Float>,
        offsetX: UnsafePointer<Float>? = nil, offsetY: UnsafePointer<Float>? = nil
    ) {
        let n = ho * wo
        let scaleX: Float = alignCorners ? Float(w - 1) / 2 : Float(w) / 2
        let scaleY: Float = alignCorners ? Float(h - 1) / 2 : Float(h) / 2
        let maxX = Float(w - 1)
        let maxY = Float(h - 1)
        // One pass over the output positions: each position's corners and weights, then every
        // channel (no per-position tables in memory, the grid read once).
        parallelRanges(n, chunks: 4 * workerCount) { r in
            // Column and row of position i, stepped along (no division per position).
            var (col, row) = (r.lowerBound % wo, r.lowerBound / wo)
            for i in r {
                var gx = gridX[i], gy = gridY[i]
                if let offsetX, let offsetY {
                    gx = offsetX[col] + gx
                    gy = offsetY[row] + gy
                }
                col += 1
                if col == wo { (col, row) = (0, row + 1) }
                var x = (gx + 1) * scaleX
                var y = (gy + 1) * scaleY
                if !alignCorners { x -= 0.5; y -= 0.5 }
                x = min(maxX, max(x, 0))
                y = min(maxY, max(y, 0))
                let xw = x.rounded(.down)
                let yn = y.rounded(.down)
                let we = x - xw
                let ea = 1 - we
                let ns = y - yn
                let so = 1 - ns
                let ix = Int(xw)
                let iy = Int(yn)
                let xOK = ix + 1 < w
                let yOK = iy + 1 < h
                let base = iy * w + ix
                let (w0, w1, w2, w3) = (so * ea, so * we, ns * ea, ns * we)
                for ch in 0..<c {
                    let src = input + ch * h * w + base
                    let nw = src[0] * w0
                    let ne = xOK ? src[1] * w1 : 0
                    let sw = yOK ? src[w] * w2 : 0
                    let se = xOK && yOK ? src[w + 1] * w3 : 0
                    output[ch * n + i] = nw + ne + sw + se
                }
            }
        }
    }

    /// Warps `image` by a predicted grid change, as upstream `GridChangeApplier.apply`:
    /// grid = identity affine_grid + gridChange (channel 0 is x, channel 1 is y), then
    /// bilinear grid_sample with border padding.
    /// image [c, h, w], gridChange [2, h, w] -> output [c, h, w].
    func applyGridChange(
        image: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
        gridChange: UnsafePointer<Float>, alignCorners: Bool,
        output: UnsafeMutablePointer<Float>
    ) {
        let bx = identityGridCoordinates(w, alignCorners: alignCorners)
        let by = identityGridCoordinates(h, alignCorners: alignCorners)
        // The grid itself is never stored: the sampler adds the identity to the change as it reads it.
        bx.withUnsafeBufferPointer { bx in
            by.withUnsafeBufferPointer { by in
                gridSampleBilinearBorder(
                    input: image, channels: c, height: h, width: w, gridX: gridChange, gridY: gridChange + h * w,
                    outHeight: h, outWidth: w, alignCorners: alignCorners, output: output,
                    offsetX: bx.baseAddress, offsetY: by.baseAddress)
            }
        }
    }
}
