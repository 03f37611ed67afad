/// SplitMix64: a small, fast generator whose sequence depends only on its seed, so a seeded
/// `Animator` repeats itself exactly (the system generator cannot be seeded).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 finaliser: a well-spread 64-bit hash of `z`.
    static func mix(_ z: UInt64) -> UInt64 {
        var z = z
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in `a...b`.
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * Double(next() >> 11) * 0x1p-53
    }

    /// The value of the `index`-th draw of stream `stream`, without state: the talking mouth
    /// uses it so a key frame's shape does not depend on how often the animator was asked.
    static func uniform(seed: UInt64, stream: UInt64, index: UInt64, _ a: Double, _ b: Double) -> Double {
        let h = mix(seed ^ mix(stream &* 0xD6E8_FEB8_6659_FD93 &+ index))
        return a + (b - a) * Double(h >> 11) * 0x1p-53
    }
}
