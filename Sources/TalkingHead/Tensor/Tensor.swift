import Foundation

/// A float32 image-shaped tensor of batch 1 in NCHW order: `channels x height x width`,
/// row-major, contiguous, 64-byte aligned. Reference semantics: kernels write into it in place.
///
/// Tensors are the activations of the networks; weights are `Tensor`s too (with `height` and
/// `width` taken from the trailing dimensions, see `WeightStore`).
final class Tensor: @unchecked Sendable {
    let channels: Int
    let height: Int
    let width: Int
    let data: UnsafeMutablePointer<Float>

    var count: Int { channels * height * width }
    var plane: Int { height * width }

    /// A zero-filled tensor.
    init(channels: Int, height: Int, width: Int) {
        precondition(channels >= 0 && height >= 0 && width >= 0)
        self.channels = channels
        self.height = height
        self.width = width
        let n = max(channels * height * width, 1)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating a \(channels)x\(height)x\(width) tensor")
        }
        data = raw.bindMemory(to: Float.self, capacity: n)
        data.initialize(repeating: 0, count: n)
    }

    /// A tensor holding a copy of `values`.
    convenience init(channels: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == channels * height * width, "value count does not match the shape")
        self.init(channels: channels, height: height, width: width)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { free(data) }

    /// Pointer to the first value of channel `c`.
    @inline(__always) func channel(_ c: Int) -> UnsafeMutablePointer<Float> { data + c * plane }

    /// The values as an array (tests and debugging).
    var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// A copy of this tensor.
    func copy() -> Tensor {
        let t = Tensor(channels: channels, height: height, width: width)
        t.data.update(from: data, count: count)
        return t
    }
}
