import Foundation

// Conversions between 8-bit images and the model's tensors, exactly as upstream
// (`tha3/util.py`: extract_numpy_image_from_PIL_image_with_pytorch_layout, rgba_to_numpy_image,
// numpy_srgb_to_linear, numpy_linear_to_srgb; `tha3/app/manual_poser.py` for the final rint).

/// Model value of each byte: RGB (sRGB -> linear, then x*2-1) and alpha (x*2-1). Upstream works
/// in float64 numpy and converts to float32 at the end; so does this table.
private let inputTables: (rgb: [Float], alpha: [Float]) = {
    var rgb = [Float](repeating: 0, count: 256)
    var alpha = [Float](repeating: 0, count: 256)
    for v in 0..<256 {
        let x = min(max(Double(v) / 255.0, 0), 1)
        let linear = x <= 0.04045 ? x / 12.92 : Foundation.pow((x + 0.055) / 1.055, 2.4)
        rgb[v] = Float(linear * 2.0 + -1.0)
        alpha[v] = Float(x * 2.0 + -1.0)
    }
    return (rgb, alpha)
}()

/// Writes the model input for `image` into `out`: planar 4 x H x W floats in [-1, 1].
/// Pixels with alpha 0 become (0, 0, 0, 0) first, as upstream does.
func modelInput(from image: RGBAImage, into out: UnsafeMutablePointer<Float>, context: KernelContext = .standard) {
    let plane = image.width * image.height
    let (rgb, alpha) = inputTables
    image.pixels.withUnsafeBufferPointer { px in
        rgb.withUnsafeBufferPointer { rgb in
            alpha.withUnsafeBufferPointer { alpha in
                context.parallelRanges(plane) { r in
                    for i in r {
                        let a = px[4 * i + 3]
                        if a == 0 {
                            out[i] = rgb[0]; out[plane + i] = rgb[0]; out[2 * plane + i] = rgb[0]
                            out[3 * plane + i] = alpha[0]
                        } else {
                            out[i] = rgb[Int(px[4 * i])]
                            out[plane + i] = rgb[Int(px[4 * i + 1])]
                            out[2 * plane + i] = rgb[Int(px[4 * i + 2])]
                            out[3 * plane + i] = alpha[Int(a)]
                        }
                    }
                }
            }
        }
    }
}

/// upstream numpy_linear_to_srgb on a float32 value (numpy keeps float32 with Python scalars).
@inline(__always)
func linearToSRGB(_ v: Float) -> Float {
    let x = min(max(v, 0), 1)
    return x <= 0.003130804953560372 ? x * 12.92 : 1.055 * powf(x, Float(1.0 / 2.4)) - 0.055
}

/// The 8-bit image of a model output (planar 4 x H x W in [-1, 1]): x -> (x + 1) / 2, RGB
/// linear -> sRGB, alpha clipped to [0, 1], then uint8(rint(v * 255)).
func rgbaImage(fromModelOutput p: UnsafePointer<Float>, width: Int, height: Int, context: KernelContext = .standard) -> RGBAImage {
    let plane = width * height
    var pixels = [UInt8](repeating: 0, count: plane * 4)
    pixels.withUnsafeMutableBufferPointer { out in
        let outBase = out.baseAddress!
        context.parallelRanges(plane) { r in
            for i in r {
                for c in 0..<3 {
                    let v = linearToSRGB((p[c * plane + i] - -1.0) / 2.0)
                    outBase[4 * i + c] = UInt8((v * 255.0).rounded(.toNearestOrEven))
                }
                let a = min(max((p[3 * plane + i] - -1.0) / 2.0, 0), 1)
                outBase[4 * i + 3] = UInt8((a * 255.0).rounded(.toNearestOrEven))
            }
        }
    }
    return RGBAImage(width: width, height: height, pixels: pixels, hasAlpha: true)
}
