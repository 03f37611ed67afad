import Foundation

// Pillow's `Image.resize(size, LANCZOS, box)` for RGBA images (libImaging/Resample.c): alpha
// premultiplied first (RGBA -> RGBa), a separable Lanczos-3 filter whose support widens with
// the downscale factor, 8-bit fixed-point coefficients (22 fraction bits), horizontal pass then
// vertical, and un-premultiplied at the end (RGBa -> RGBA).

private let precisionBits = 32 - 8 - 2

private func lanczos(_ x: Double) -> Double {
    func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let px = x * Double.pi
        return sin(px) / px
    }
    if -3.0 <= x && x < 3.0 { return sinc(x) * sinc(x / 3) }
    return 0
}

/// Per output position: first input index, count, and fixed-point weights (Pillow's
/// precompute_coeffs + normalize_coeffs_8bpc).
private func coefficients(inSize: Int, in0: Double, in1: Double, outSize: Int) -> (bounds: [(Int, Int)], weights: [[Int32]]) {
    let scale = (in1 - in0) / Double(outSize)
    let filterScale = max(scale, 1.0)
    let support = 3.0 * filterScale
    var bounds: [(Int, Int)] = []
    var weights: [[Int32]] = []
    for xx in 0..<outSize {
        let center = in0 + (Double(xx) + 0.5) * scale
        let ss = 1.0 / filterScale
        var xmin = Int((center - support + 0.5).rounded(.towardZero))
        if xmin < 0 { xmin = 0 }
        var xmax = Int((center + support + 0.5).rounded(.towardZero))
        if xmax > inSize { xmax = inSize }
        xmax -= xmin
        var k = [Double](repeating: 0, count: max(xmax, 0))
        var ww = 0.0
        for x in 0..<max(xmax, 0) {
            let w = lanczos((Double(x + xmin) - center + 0.5) * ss)
            k[x] = w
            ww += w
        }
        if ww != 0 { for x in 0..<k.count { k[x] /= ww } }
        let scaleFixed = Double(1 << precisionBits)
        weights.append(k.map { $0 < 0 ? Int32((-0.5 + $0 * scaleFixed).rounded(.towardZero)) : Int32((0.5 + $0 * scaleFixed).rounded(.towardZero)) })
        bounds.append((xmin, max(xmax, 0)))
    }
    return (bounds, weights)
}

@inline(__always)
private func clip8(_ v: Int64) -> UInt8 {
    let s = v >> Int64(precisionBits)
    return UInt8(min(max(s, 0), 255))
}

/// Resizes RGBA pixels like Pillow's LANCZOS resize with `box` = (left, top, right, bottom).
func lanczosResizeRGBA(_ pixels: [UInt8], width: Int, height: Int, box: (Int, Int, Int, Int),
                       outWidth: Int, outHeight: Int) -> [UInt8] {
    // RGBA -> RGBa (Pillow's rgba2rgbA with MULDIV255)
    var src = pixels
    for i in stride(from: 0, to: src.count, by: 4) {
        let a = Int(src[i + 3])
        if a == 255 { continue }
        if a == 0 { src[i] = 0; src[i + 1] = 0; src[i + 2] = 0; continue }
        for c in 0..<3 {
            let t = Int(src[i + c]) * a + 128
            src[i + c] = UInt8(((t >> 8) + t) >> 8)
        }
    }
    let (bx0, by0, bx1, by1) = (Double(box.0), Double(box.1), Double(box.2), Double(box.3))
    let needH = outWidth != width || box.0 != 0 || box.2 != width
    let needV = outHeight != height || box.1 != 0 || box.3 != height
    let vert = coefficients(inSize: height, in0: by0, in1: by1, outSize: outHeight)
    var cur = src
    var curW = width
    var curH = height
    var rowOffset = 0
    if needH {
        let horiz = coefficients(inSize: width, in0: bx0, in1: bx1, outSize: outWidth)
        // Only the rows the vertical pass reads.
        let yFirst = needV ? vert.bounds[0].0 : 0
        let yLast = needV ? vert.bounds[outHeight - 1].0 + vert.bounds[outHeight - 1].1 : height
        let rows = yLast - yFirst
        var out = [UInt8](repeating: 0, count: outWidth * rows * 4)
        for y in 0..<rows {
            let sy = y + yFirst
            for x in 0..<outWidth {
                let (xmin, n) = horiz.bounds[x]
                let k = horiz.weights[x]
                for c in 0..<4 {
                    var ss = Int64(1) << Int64(precisionBits - 1)
                    for i in 0..<n { ss += Int64(cur[(sy * curW + xmin + i) * 4 + c]) * Int64(k[i]) }
                    out[(y * outWidth + x) * 4 + c] = clip8(ss)
                }
            }
        }
        cur = out
        curW = outWidth
        curH = rows
        rowOffset = yFirst
    }
    if needV {
        var out = [UInt8](repeating: 0, count: curW * outHeight * 4)
        for y in 0..<outHeight {
            let (ymin, n) = vert.bounds[y]
            let k = vert.weights[y]
            for x in 0..<curW {
                for c in 0..<4 {
                    var ss = Int64(1) << Int64(precisionBits - 1)
                    for i in 0..<n { ss += Int64(cur[((ymin - rowOffset + i) * curW + x) * 4 + c]) * Int64(k[i]) }
                    out[(y * curW + x) * 4 + c] = clip8(ss)
                }
            }
        }
        cur = out
        curH = outHeight
    }
    _ = curH
    // RGBa -> RGBA (Pillow's rgbA2rgba)
    for i in stride(from: 0, to: cur.count, by: 4) {
        let a = Int(cur[i + 3])
        if a == 255 || a == 0 { continue }
        for c in 0..<3 { cur[i + c] = UInt8(min(255, (255 * Int(cur[i + c])) / a)) }
    }
    return cur
}
