import CKernels
import Foundation

/// What the kernels of one `TalkingHead` may use, taken from its `Configuration`: the vector
/// level, the threads, the spinning pool, the activation buffers and the tuning knobs. The
/// layers hold it (from their `WeightStore`) and every kernel is a method on it, so two
/// instances with different configurations in one process each run with theirs: the kernels
/// read no process-wide knob. Tests and benchmarks make one and change its fields.
struct KernelContext: @unchecked Sendable {
    /// The widest loops the C kernels may run (`CKernelDispatch`); never above the CPU's level.
    var level: VectorLevel {
        didSet { level = min(level, VectorLevel.detected) }
    }
    /// Parallel workers a kernel splits its work into (1: all of it on the calling thread).
    var workerCount: Int
    /// Whether `parallelFor` runs on the spinning pool (`CKernels/Pool.c`) rather than GCD.
    var usePool: Bool
    /// Band sizes, the packed product, deferred norms (defaults measured, `Benchmarks/RESULTS.md`).
    var tuning: TalkingHead.Tuning
    /// Where activations and kernel scratch come from (capacity and huge pages per configuration).
    let pool: BufferPool

    init(_ configuration: TalkingHead.Configuration) {
        level = configuration.vectorLevel
        workerCount = configuration.resolvedThreads
        usePool = configuration.spinningPool
        tuning = configuration.tuning
        pool = BufferPool.shared(capacityBytes: configuration.bufferPoolMegabytes << 20,
                                 hugePages: configuration.hugePages)
    }

    /// The default configuration's context: the CPU's level, every core, the shared pool.
    static var standard: KernelContext { KernelContext(TalkingHead.Configuration()) }

    /// `level` as the C kernels take it.
    var cLevel: Int32 { Int32(level.rawValue) }

    /// Whether `kernel` has a loop at `level` (else it declines and its Swift twin runs): the C
    /// side's table (`CKernels/Dispatch.c`) is the one place that knows.
    func runs(_ kernel: CKernel) -> Bool { th_kernel_runs(kernel.code, cLevel) != 0 }

    /// A tensor of this context's pool whose values are garbage until written.
    func tensor(uninitializedChannels channels: Int, height: Int, width: Int) -> Tensor {
        Tensor(uninitializedChannels: channels, height: height, width: width, pool: pool)
    }
}

/// The C kernels whose loops depend on the vector level (`th_kernel_runs`).
enum CKernel: CaseIterable {
    case depthwiseRows, depthwiseBand, depthwiseUp2, convRows, scaleShift, moments, activate, gemmPacked

    var code: Int32 {
        switch self {
        case .depthwiseRows: return Int32(TH_KERNEL_DEPTHWISE_ROWS)
        case .depthwiseBand: return Int32(TH_KERNEL_DEPTHWISE_BAND)
        case .depthwiseUp2: return Int32(TH_KERNEL_DEPTHWISE_UP2)
        case .convRows: return Int32(TH_KERNEL_CONV_ROWS)
        case .scaleShift: return Int32(TH_KERNEL_SCALE_SHIFT)
        case .moments: return Int32(TH_KERNEL_MOMENTS)
        case .activate: return Int32(TH_KERNEL_ACTIVATE)
        case .gemmPacked: return Int32(TH_KERNEL_GEMM_PACKED)
        }
    }
}
