// The Tensor-level doors into the pointer kernels: `Layers/` and `Networks/` call only these, so
// every raw pointer and every lifetime guard stays in `Kernels/` (and `Tensor/`). Each entry
// point checks shapes, holds its tensors alive while the loops run, and calls the pointer kernel
// of its family unchanged (same bits).

/// A block of input channels of the tensor-level `separableConv2d`: `tensor` read at the
/// convolution's size, or (`upsampled`) as its nearest-neighbour 2x upsampling, with its deferred
/// norm (`DeferredTensor`) applied as rows are read. Several in a row are their concatenation.
struct SeparableInput {
    let tensor: Tensor
    let upsampled: Bool
    var norm: ChannelScaleShift? = nil
}

extension KernelContext {
    // MARK: Convolution (Convolution.swift, Transposed.swift)

    /// `conv2d` of x [cin, h, w] by weight [cout, cin, k, k] (+ bias [cout]) into y [cout, ho, wo].
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, cout: Int, kernel: Int, stride: Int, padding: Int,
                into y: Tensor, norm: ChannelScaleShift? = nil, heads: HeadWeights? = nil) {
        precondition(y.channels == cout && weight.count == cout * x.channels * kernel * kernel, "conv2d: shapes")
        withExtendedLifetime((x, weight, bias, y)) {
            conv2d(input: x.data, cin: x.channels, height: x.height, width: x.width, weight: weight.data, cout: cout,
                   kernel: kernel, stride: stride, padding: padding, bias: bias?.data, output: y.data,
                   norm: norm, heads: heads)
        }
    }

    /// `convTranspose2d` of x [cin, h, w] by weight [cin, cout, k, k] into y [cout, ho, wo].
    func convTranspose2d(_ x: Tensor, weight: Tensor, kernel: Int, stride: Int, padding: Int, into y: Tensor) {
        precondition(weight.count == x.channels * y.channels * kernel * kernel, "convTranspose2d: shapes")
        withExtendedLifetime((x, weight, y)) {
            convTranspose2d(input: x.data, cin: x.channels, height: x.height, width: x.width, weight: weight.data,
                            cout: y.channels, kernel: kernel, stride: stride, padding: padding, output: y.data)
        }
    }

    /// `separableConv2d` of the concatenation of `inputs` into y; returns the output's statistics
    /// (2 x cout: means then variances) when `gatheringStatistics`.
    func separableConv2d(_ inputs: [SeparableInput], height h: Int, width w: Int, depthwise: Tensor,
                         kernel: Int, stride: Int, padding: Int, transposed: Bool = false,
                         pointwise: PointwiseWeights, bias: Tensor?, into y: Tensor,
                         gatheringStatistics: Bool) -> [Double]? {
        let sources = inputs.map {
            ChannelSource(data: $0.tensor.data, channels: $0.tensor.channels, upsampled: $0.upsampled, norm: $0.norm)
        }
        var statistics = [Double](repeating: 0, count: gatheringStatistics ? 2 * y.channels : 0)
        withExtendedLifetime((inputs, depthwise, bias, y)) {
            statistics.withUnsafeMutableBufferPointer { s in
                separableConv2d(sources: sources, height: h, width: w, depthwise: depthwise.data, kernel: kernel,
                                stride: stride, padding: padding, transposed: transposed, pointwise: pointwise,
                                cout: y.channels, bias: bias?.data, output: y.data,
                                statistics: gatheringStatistics ? s.baseAddress : nil)
            }
        }
        return gatheringStatistics ? statistics : nil
    }

    // MARK: Normalisation and activation (InstanceNorm.swift, Activation.swift)

    /// `activate` on every value of x, in place.
    func activate(_ x: Tensor, _ activation: Activation) {
        withExtendedLifetime(x) { activate(x.data, count: x.count, activation) }
    }

    /// `instanceNorm` of x in place (statistics: 2 x channels when already known).
    func instanceNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, activation: Activation, statistics: [Double]?) {
        precondition(gamma.count == x.channels && beta.count == x.channels, "instanceNorm: shapes")
        withExtendedLifetime((x, gamma, beta)) {
            guard let statistics else {
                return instanceNorm(x.data, channels: x.channels, plane: x.plane, gamma: gamma.data, beta: beta.data,
                                    activation: activation)
            }
            precondition(statistics.count == 2 * x.channels)
            statistics.withUnsafeBufferPointer {
                instanceNorm(x.data, channels: x.channels, plane: x.plane, gamma: gamma.data, beta: beta.data,
                             activation: activation, statistics: $0.baseAddress)
            }
        }
    }

    /// x = norm(x) (+ residual), in place, with `scaleShift` (the bits of `instanceNorm`).
    func apply(_ norm: ChannelScaleShift, to x: Tensor, adding residual: Tensor? = nil) {
        precondition(norm.scale.count == x.channels && (residual == nil || residual!.count == x.count))
        withExtendedLifetime((x, residual)) {
            let (p, r, plane) = (x.data, residual?.data, x.plane)
            parallelFor(x.channels) { c in
                scaleShift(p + c * plane, p + c * plane, count: plane, scale: norm.scale[c], shift: norm.shift[c],
                           activation: norm.activation, residual: r.map { $0 + c * plane })
            }
        }
    }

    /// y += x in place (a residual connection).
    func add(_ x: Tensor, into y: Tensor) {
        precondition(x.count == y.count, "add: \(x.count) values into \(y.count)")
        withExtendedLifetime((x, y)) { addInPlace(y.data, x.data, count: y.count) }
    }

    // MARK: Compositing and resampling (Compositing.swift, Resampling.swift)

    /// Upstream `apply_color_change(alpha, color_change, image)` as a new tensor of image's shape;
    /// alpha has 1 channel (broadcast) or as many as image.
    func applyColorChange(alpha: Tensor, colorChange: Tensor, image: Tensor) -> Tensor {
        precondition(colorChange.count == image.count && alpha.plane == image.plane
                     && (alpha.channels == 1 || alpha.channels == image.channels), "applyColorChange: shapes")
        let out = tensor(uninitializedChannels: image.channels, height: image.height, width: image.width)
        withExtendedLifetime((alpha, colorChange, image)) {
            applyColorChange(alpha: alpha.data, alphaChannels: alpha.channels, colorChange: colorChange.data,
                             image: image.data, channels: image.channels, plane: image.plane, output: out.data)
        }
        return out
    }

    /// Upstream `apply_rgb_change(alpha, color_change, image)` as a new [4, h, w] tensor.
    func applyRGBChange(alpha: Tensor, colorChange: Tensor, image: Tensor) -> Tensor {
        precondition(image.channels == 4 && colorChange.count == image.count && alpha.count == image.plane,
                     "applyRGBChange: shapes")
        let out = tensor(uninitializedChannels: 4, height: image.height, width: image.width)
        withExtendedLifetime((alpha, colorChange, image)) {
            applyRGBChange(alpha: alpha.data, colorChange: colorChange.data, image: image.data, plane: image.plane,
                           output: out.data)
        }
        return out
    }

    /// `applyGridChange`: image [c, h, w] warped by gridChange [2, h, w], as a new tensor.
    func applyGridChange(_ image: Tensor, gridChange: Tensor, alignCorners: Bool) -> Tensor {
        precondition(gridChange.channels == 2 && gridChange.plane == image.plane, "applyGridChange: shapes")
        let out = tensor(uninitializedChannels: image.channels, height: image.height, width: image.width)
        withExtendedLifetime((image, gridChange)) {
            applyGridChange(image: image.data, channels: image.channels, height: image.height, width: image.width,
                            gridChange: gridChange.data, alignCorners: alignCorners, output: out.data)
        }
        return out
    }

    /// The identity grid (`affine_grid`) plus gridChange [2, h, w]: the grid `applyGridChange` samples at.
    func identityGrid(plus gridChange: Tensor, alignCorners: Bool) -> Tensor {
        let (h, w) = (gridChange.height, gridChange.width)
        let bx = identityGridCoordinates(w, alignCorners: alignCorners)
        let by = identityGridCoordinates(h, alignCorners: alignCorners)
        let grid = tensor(uninitializedChannels: 2, height: h, width: w)
        withExtendedLifetime(gridChange) {
            let (g, d) = (grid.data, gridChange.data)
            for y in 0..<h {
                for x in 0..<w {
                    g[y * w + x] = bx[x] + d[y * w + x]
                    g[h * w + y * w + x] = by[y] + d[h * w + y * w + x]
                }
            }
        }
        return grid
    }

    /// `resizeBilinear` (align_corners=False) of x to size x size, as a new tensor.
    func resizedBilinear(_ x: Tensor, to size: Int) -> Tensor {
        let y = tensor(uninitializedChannels: x.channels, height: size, width: size)
        withExtendedLifetime(x) {
            resizeBilinear(input: x.data, channels: x.channels, height: x.height, width: x.width,
                           output: y.data, outHeight: size, outWidth: size)
        }
        return y
    }

    /// a + b, elementwise, as a new tensor.
    func sum(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.count == b.count, "sum: \(a.count) and \(b.count) values")
        let out = tensor(uninitializedChannels: a.channels, height: a.height, width: a.width)
        withExtendedLifetime((a, b)) {
            let (o, p, q) = (out.data, a.data, b.data)
            for i in 0..<out.count { o[i] = p[i] + q[i] }
        }
        return out
    }

    /// (x[channel] + 1) / 2 as a [1, h, w] tensor: a tanh-range alpha channel as a blending alpha.
    func unitAlpha(_ x: Tensor, channel: Int) -> Tensor {
        let out = tensor(uninitializedChannels: 1, height: x.height, width: x.width)
        withExtendedLifetime(x) {
            let (o, src) = (out.data, x.channel(channel))
            for i in 0..<x.plane { o[i] = (src[i] + 1) / 2 }
        }
        return out
    }
}

extension HeadWeights {
    /// The weights [cout, cin, k, k] regrouped for `th_conv_rows`; nil when it has no loop here.
    static func regrouped(_ weight: Tensor, cin: Int, cout: Int, kernel: Int, context: KernelContext) -> HeadWeights? {
        precondition(weight.count == cout * cin * kernel * kernel, "HeadWeights: shapes")
        return withExtendedLifetime(weight) { HeadWeights(weight.data, cin: cin, cout: cout, kernel: kernel, context: context) }
    }
}
