/// The bits of a Bloom filter: `hashCount` positions per key, derived from two 64-bit hashes as
/// h1 + i·h2 (double hashing). No false negatives: a key that was set always tests as held.
///
/// A value type: the filters that use it (`IndexedTerms`, `WordPairs`) keep it under their own lock.
struct BloomBits {
    /// A power of two.
    let bitCount: Int
    let hashCount: Int
    private var words: [UInt64]

    init(bitCount: Int, hashCount: Int) {
        precondition(bitCount > 0 && bitCount & (bitCount - 1) == 0, "bitCount must be a power of two")
        self.bitCount = bitCount
        self.hashCount = hashCount
        words = [UInt64](repeating: 0, count: max(1, bitCount / 64))
    }

    mutating func set(_ h: (UInt64, UInt64)) {
        for i in 0..<hashCount {
            let p = position(h, i)
            words[p >> 6] |= 1 << UInt64(p & 63)
        }
    }

    func contains(_ h: (UInt64, UInt64)) -> Bool {
        (0..<hashCount).allSatisfy { i in
            let p = position(h, i)
            return words[p >> 6] & (1 << UInt64(p & 63)) != 0
        }
    }

    private func position(_ h: (UInt64, UInt64), _ i: Int) -> Int {
        Int(truncatingIfNeeded: (h.0 &+ UInt64(i) &* h.1) & UInt64(bitCount - 1))
    }

    /// Two 64-bit hashes of `bytes`: FNV-1a, and a SplitMix64 finish of it (odd, so that the positions
    /// of one key differ).
    static func hashes(_ bytes: String.UTF8View) -> (UInt64, UInt64) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x100_0000_01b3
        }
        return (h, mix(h) | 1)
    }

    /// SplitMix64's finalizer.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
