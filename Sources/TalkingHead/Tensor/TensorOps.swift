/// Shape-level operations on `Tensor`: concatenation, crop, paste, broadcast.
extension Tensor {
    /// Concatenation along channels, as `torch.cat([...], dim=1)`. All parts share h and w.
    static func concat(_ parts: [Tensor]) -> Tensor {
        let h = parts[0].height
        let w = parts[0].width
        precondition(parts.allSatisfy { $0.height == h && $0.width == w }, "concat: spatial sizes differ")
        let out = Tensor(uninitializedChannels: parts.reduce(0) { $0 + $1.channels }, height: h, width: w, pool: parts[0].pool)
        var offset = 0
        for p in parts {
            (out.data + offset).update(from: p.data, count: p.count)
            offset += p.count
        }
        return out
    }

    /// The values of `parts` one after another, as a [1, 1, total] tensor (stacked weights).
    convenience init(stacking parts: [Tensor]) {
        self.init(uninitializedChannels: 1, height: 1, width: parts.reduce(0) { $0 + $1.count })
        var offset = 0
        for p in parts {
            (data + offset).update(from: p.data, count: p.count)
            offset += p.count
        }
    }

    /// The rows `top..<top+height`, columns `left..<left+width` of every channel,
    /// as `x[:, :, top:top+height, left:left+width].clone()`.
    func crop(top: Int, left: Int, height h: Int, width w: Int) -> Tensor {
        precondition(top >= 0 && left >= 0 && top + h <= height && left + w <= width, "crop out of range")
        let out = Tensor(uninitializedChannels: channels, height: h, width: w, pool: pool)
        for c in 0..<channels {
            for y in 0..<h {
                (out.channel(c) + y * w).update(from: channel(c) + (top + y) * width + left, count: w)
            }
        }
        return out
    }

    /// Writes `patch` into this tensor at (top, left), as `x[:, :, top:.., left:..] = patch`.
    func paste(_ patch: Tensor, top: Int, left: Int) {
        precondition(patch.channels == channels && top >= 0 && left >= 0
                     && top + patch.height <= height && left + patch.width <= width, "paste out of range")
        for c in 0..<channels {
            for y in 0..<patch.height {
                (channel(c) + (top + y) * width + left).update(from: patch.channel(c) + y * patch.width, count: patch.width)
            }
        }
    }

    /// The channels `range` as a new tensor, as `x[:, range]`.
    func channels(_ range: Range<Int>) -> Tensor {
        let out = Tensor(uninitializedChannels: range.count, height: height, width: width, pool: pool)
        out.data.update(from: channel(range.lowerBound), count: out.count)
        return out
    }
}

extension KernelContext {
    /// A [values.count, h, w] tensor whose channel i is filled with values[i], as
    /// `pose.view(n, c, 1, 1).repeat(1, 1, h, w)`.
    func broadcast<C: Collection>(_ values: C, height h: Int, width w: Int) -> Tensor where C.Element == Float {
        let out = tensor(uninitializedChannels: values.count, height: h, width: w)
        let planes = Array(values)
        parallelFor(planes.count) { i in out.channel(i).update(repeating: planes[i], count: h * w) }
        return out
    }
}
