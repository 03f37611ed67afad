import CKernels
import Foundation

/// The widest SIMD instruction set the C inner loops (CKernels) may use.
public enum VectorLevel: Int, Comparable, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// No C vector loops: the Swift SIMD loops run (any CPU).
    case portable = 0
    /// AVX2 + FMA (Intel since Haswell, AMD since Zen 1).
    case avx2 = 1
    /// AVX-512 F/BW/VL/DQ (AMD Zen 4, Intel server chips).
    case avx512 = 2

    /// What this CPU offers, read once.
    public static let detected = VectorLevel(rawValue: Int(th_vector_level())) ?? .portable

    public static func < (a: VectorLevel, b: VectorLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .portable: return "portable"
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        }
    }

    /// Parses `portable`, `avx2` or `avx512` (the names `description` prints).
    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = level
    }
}

extension TalkingHead {
    /// How a `TalkingHead` uses the machine. The library reads no environment variable: the
    /// command-line tool maps `TALKING_HEAD_*` onto this value.
    ///
    /// ```swift
    /// var configuration = TalkingHead.Configuration()
    /// configuration.threads = 1
    /// configuration.maxVectorLevel = .avx2
    /// let head = try TalkingHead(weightsDirectory: url, configuration: configuration)
    /// ```
    public struct Configuration: Sendable, Equatable, Codable {
        /// Threads a pose is split over; nil: every active core.
        public var threads: Int?
        /// The highest vector level the kernels may use; the CPU's own level caps it.
        public var maxVectorLevel: VectorLevel = .avx512
        /// Activation buffers of 2 MB and more on transparent huge pages (fewer TLB misses).
        public var hugePages: Bool = true
        /// Parallel work on the package's spinning thread pool (else on GCD, which wakes slower).
        public var spinningPool: Bool = true
        /// Idle activation buffers kept for reuse, in MiB.
        public var bufferPoolMegabytes: Int = 384
        /// Kernel tuning knobs (the benchmarks vary them); the defaults are the measured best.
        public var tuning: Tuning = Tuning()

        public init() {}

        /// The vector level the kernels run at: `maxVectorLevel` capped by the CPU.
        public var vectorLevel: VectorLevel { min(maxVectorLevel, VectorLevel.detected) }

        /// The threads a pose is split over.
        public var resolvedThreads: Int { max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount) }

        /// Throws `TalkingHeadError.invalidConfiguration` naming the field that is out of range.
        public func validate() throws {
            if let threads, !(1...256).contains(threads) {
                throw TalkingHeadError.invalidConfiguration(field: "threads", reason: "\(threads) is not in 1...256")
            }
            if bufferPoolMegabytes < 0 {
                throw TalkingHeadError.invalidConfiguration(field: "bufferPoolMegabytes", reason: "must be 0 or more")
            }
            try tuning.validate()
        }
    }

    /// Kernel tuning knobs. Each default was measured (`Benchmarks/RESULTS.md`).
    public struct Tuning: Sendable, Equatable, Codable {
        /// Floats of depthwise result per band of a separable convolution.
        public var separableBandFloats: Int = 256 << 10
        /// Bands of a separable convolution per core, at least.
        public var separableBandsPerCore: Int = 2
        /// Whether the packed pointwise product (`th_gemm_packed`) may replace OpenBLAS.
        public var packedProduct: Bool = true
        /// Input channels from which the packed product is used.
        public var packedProductMinimumInputs: Int = 32
        /// Instance norms applied by their consumer instead of in a pass of their own.
        public var deferredNorms: Bool = true

        public init() {}

        func validate() throws {
            guard separableBandFloats >= 1024 else {
                throw TalkingHeadError.invalidConfiguration(field: "tuning.separableBandFloats", reason: "must be 1024 or more")
            }
            guard (1...64).contains(separableBandsPerCore) else {
                throw TalkingHeadError.invalidConfiguration(field: "tuning.separableBandsPerCore", reason: "must be in 1...64")
            }
            guard packedProductMinimumInputs >= 1 else {
                throw TalkingHeadError.invalidConfiguration(field: "tuning.packedProductMinimumInputs", reason: "must be 1 or more")
            }
        }
    }
}

extension TalkingHead.Configuration {
    /// The configuration that `TALKING_HEAD_THREADS`, `TALKING_HEAD_MAX_VECTOR_LEVEL`
    /// (`portable`, `avx2`, `avx512`; `TALKING_HEAD_PORTABLE=1` is `portable`),
    /// `TALKING_HEAD_HUGE_PAGES=0` and `TALKING_HEAD_POOL_MB` describe in `environment` (the
    /// caller passes it: the library reads no environment of its own). Unset variables keep
    /// the defaults; a malformed one throws naming it.
    public init(environment: [String: String]) throws {
        self.init()
        func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let n = Int(text), range.contains(n) else {
                throw TalkingHeadError.invalidConfiguration(field: name, reason: "\"\(text)\" is not a whole number in \(range)")
            }
            return n
        }
        threads = try integer("TALKING_HEAD_THREADS", 1...256)
        if let mb = try integer("TALKING_HEAD_POOL_MB", 0...(1 << 20)) { bufferPoolMegabytes = mb }
        if let text = environment["TALKING_HEAD_MAX_VECTOR_LEVEL"], !text.isEmpty {
            guard let level = VectorLevel(name: text) else {
                throw TalkingHeadError.invalidConfiguration(
                    field: "TALKING_HEAD_MAX_VECTOR_LEVEL", reason: "\"\(text)\" is not one of portable, avx2, avx512")
            }
            maxVectorLevel = level
        }
        if environment["TALKING_HEAD_PORTABLE"] == "1" { maxVectorLevel = .portable }
        if environment["TALKING_HEAD_HUGE_PAGES"] == "0" { hugePages = false }
    }
}
