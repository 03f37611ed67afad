import Foundation

// Naive twins of the kernels: textbook loops in Double over PyTorch's definitions.

struct Planes {
    var c: Int, h: Int, w: Int
    var v: [Double]
    subscript(c: Int, y: Int, x: Int) -> Double { v[(c * h + y) * w + x] }
}

enum Naive {
    /// F.conv2d(x, weight [o, c/g, k, k], bias, stride, padding, groups)
    static func conv2d(_ x: Planes, weight: [Double], cout: Int, k: Int, stride s: Int, padding p: Int,
                       groups g: Int, bias: [Double]?) -> Planes {
        let ho = (x.h + 2 * p - k) / s + 1, wo = (x.w + 2 * p - k) / s + 1
        let cinG = x.c / g, coutG = cout / g
        var out = [Double](repeating: 0, count: cout * ho * wo)
        for o in 0..<cout {
            let group = o / coutG
            for oy in 0..<ho { for ox in 0..<wo {
                var acc = bias?[o] ?? 0
                for ci in 0..<cinG { for ky in 0..<k { for kx in 0..<k {
                    let iy = oy * s + ky - p, ix = ox * s + kx - p
                    if iy < 0 || iy >= x.h || ix < 0 || ix >= x.w { continue }
                    acc += weight[((o * cinG + ci) * k + ky) * k + kx] * x[group * cinG + ci, iy, ix]
                } } }
                out[(o * ho + oy) * wo + ox] = acc
            } }
        }
        return Planes(c: cout, h: ho, w: wo, v: out)
    }

    /// F.conv_transpose2d(x, weight [c, o/g, k, k], stride, padding, groups)
    static func convTranspose2d(_ x: Planes, weight: [Double], cout: Int, k: Int, stride s: Int, padding p: Int,
                                groups g: Int) -> Planes {
        let ho = (x.h - 1) * s - 2 * p + k, wo = (x.w - 1) * s - 2 * p + k
        let cinG = x.c / g, coutG = cout / g
        var out = [Double](repeating: 0, count: cout * ho * wo)
        for ci in 0..<x.c {
            let group = ci / cinG
            for oc in 0..<coutG {
                let o = group * coutG + oc
                for iy in 0..<x.h { for ix in 0..<x.w { for ky in 0..<k { for kx in 0..<k {
                    let oy = iy * s - p + ky, ox = ix * s - p + kx
                    if oy < 0 || oy >= ho || ox < 0 || ox >= wo { continue }
                    out[(o * ho + oy) * wo + ox] += x[ci, iy, ix] * weight[((ci * coutG + oc) * k + ky) * k + kx]
                } } } }
            }
        }
        return Planes(c: cout, h: ho, w: wo, v: out)
    }

    static func instanceNorm(_ x: Planes, gamma: [Double], beta: [Double], eps: Double = 1e-5) -> Planes {
        var out = x.v
        let n = x.h * x.w
        for c in 0..<x.c {
            let vals = x.v[(c * n)..<((c + 1) * n)]
            let mean = vals.reduce(0, +) / Double(n)
            let variance = vals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            for i in 0..<n { out[c * n + i] = (x.v[c * n + i] - mean) / (variance + eps).squareRoot() * gamma[c] + beta[c] }
        }
        return Planes(c: x.c, h: x.h, w: x.w, v: out)
    }

    /// F.interpolate(mode='bilinear', align_corners=False, size=(ho, wo))
    static func bilinear(_ x: Planes, ho: Int, wo: Int) -> Planes {
        func src(_ d: Int, _ inSize: Int, _ outSize: Int) -> (Int, Int, Double) {
            let r = max(Double(inSize) / Double(outSize) * (Double(d) + 0.5) - 0.5, 0)
            let i0 = min(Int(r), inSize - 1)
            return (i0, min(i0 + 1, inSize - 1), r - Double(i0))
        }
        var out = [Double]()
        for c in 0..<x.c { for y in 0..<ho { for xx in 0..<wo {
            let (y0, y1, ly) = src(y, x.h, ho), (x0, x1, lx) = src(xx, x.w, wo)
            out.append((1 - ly) * ((1 - lx) * x[c, y0, x0] + lx * x[c, y0, x1]) + ly * ((1 - lx) * x[c, y1, x0] + lx * x[c, y1, x1]))
        } } }
        return Planes(c: x.c, h: ho, w: wo, v: out)
    }

    static func nearest2x(_ x: Planes) -> Planes {
        var out = [Double]()
        for c in 0..<x.c { for y in 0..<(2 * x.h) { for xx in 0..<(2 * x.w) { out.append(x[c, y / 2, xx / 2]) } } }
        return Planes(c: x.c, h: 2 * x.h, w: 2 * x.w, v: out)
    }

    /// grid_sample(bilinear, padding 'border') at normalised (gx, gy) per output position.
    static func gridSample(_ x: Planes, gx: [Double], gy: [Double], ho: Int, wo: Int, alignCorners: Bool) -> Planes {
        func unnormalise(_ g: Double, _ size: Int) -> Double {
            let v = alignCorners ? (g + 1) / 2 * Double(size - 1) : ((g + 1) * Double(size) - 1) / 2
            return min(max(v, 0), Double(size - 1))
        }
        var out = [Double](repeating: 0, count: x.c * ho * wo)
        for i in 0..<(ho * wo) {
            let fx = unnormalise(gx[i], x.w), fy = unnormalise(gy[i], x.h)
            let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
            let ax = fx - Double(x0), ay = fy - Double(y0)
            for c in 0..<x.c {
                var v = 0.0
                for (dy, wy) in [(0, 1 - ay), (1, ay)] { for (dx, wx) in [(0, 1 - ax), (1, ax)] {
                    let yy = y0 + dy, xx = x0 + dx
                    if yy < x.h && xx < x.w { v += wy * wx * x[c, yy, xx] }
                } }
                out[c * ho * wo + i] = v
            }
        }
        return Planes(c: x.c, h: ho, w: wo, v: out)
    }

    /// affine_grid(identity) coordinate of sample i of n.
    static func identity(_ i: Int, _ n: Int, alignCorners: Bool) -> Double {
        alignCorners ? (n == 1 ? 0 : -1 + 2 * Double(i) / Double(n - 1)) : (2 * Double(i) + 1) / Double(n) - 1
    }
}
