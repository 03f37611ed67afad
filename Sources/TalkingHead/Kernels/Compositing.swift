extension KernelContext {
    /// Upstream `apply_color_change(alpha, color_change, image)`:
    /// out = colorChange * alpha + image * (1 - alpha).
    /// alpha [ca, plane] with ca = 1 (broadcast) or c; colorChange, image, out [c, plane].
    func applyColorChange(
        alpha: UnsafePointer<Float>, alphaChannels ca: Int,
        colorChange: UnsafePointer<Float>, image: UnsafePointer<Float>,
        channels c: Int, plane: Int, output: UnsafeMutablePointer<Float>
    ) {
        parallelFor(c) { ch in
            let a = alpha + (ca == 1 ? 0 : ch * plane)
            let t = colorChange + ch * plane
            let b = image + ch * plane
            let o = output + ch * plane
            for i in 0..<plane { o[i] = t[i] * a[i] + b[i] * (1 - a[i]) }
        }
    }

    /// Upstream `apply_rgb_change(alpha, color_change, image)`: RGB blended as in
    /// `applyColorChange`, alpha channel copied from `image`.
    /// alpha [1, plane]; colorChange, image, out [4, plane].
    func applyRGBChange(
        alpha: UnsafePointer<Float>, colorChange: UnsafePointer<Float>, image: UnsafePointer<Float>,
        plane: Int, output: UnsafeMutablePointer<Float>
    ) {
        applyColorChange(alpha: alpha, alphaChannels: 1, colorChange: colorChange, image: image,
                         channels: 3, plane: plane, output: output)
        (output + 3 * plane).update(from: image + 3 * plane, count: plane)
    }

    /// y[count] += x, in place (a residual connection `x + f(x)`: float addition is commutative,
    /// so the result is the bits of PyTorch's `x + y`).
    func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        parallelRanges(count) { r in for i in r { y[i] += x[i] } }
    }
}
