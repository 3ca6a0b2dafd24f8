#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ULID: 48 bits of milliseconds since the epoch and 80 random bits, in Crockford base32 (26 characters).
public struct ULID: Hashable, Sendable, CustomStringConvertible {
    public let string: String

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new ULID for the current time.
    public init() {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let millis = UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
        var rng = SystemRandomNumberGenerator()
        self.init(millis: millis, random: (rng.next(), rng.next()))
    }

    init(millis: UInt64, random: (UInt64, UInt64)) {
        // 128 bits: high 48 = time, low 80 = randomness.
        let hi: UInt64 = (millis << 16) | (random.0 & 0xFFFF)
        let lo: UInt64 = random.1
        var out = [UInt8](repeating: 0, count: 26)
        // 26 chars * 5 bits = 130 bits; the first char holds the top 3 bits.
        for i in 0..<26 {
            let shift = 125 - i * 5  // bit offset from the least significant bit of the 130-bit field
            var v: UInt64 = 0
            for b in 0..<5 {
                let bit = shift + 4 - b
                let set: Bool
                if bit >= 128 {
                    set = false
                } else if bit >= 64 {
                    set = (hi >> UInt64(bit - 64)) & 1 == 1
                } else {
                    set = (lo >> UInt64(bit)) & 1 == 1
                }
                v = (v << 1) | (set ? 1 : 0)
            }
            out[i] = Self.alphabet[Int(v)]
        }
        self.string = String(decoding: out, as: UTF8.self)
    }

    public var description: String { string }

    /// Whether `text` has the shape of a ULID (26 Crockford base32 characters, any case).
    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count == 26 else { return false }
        let upper = text.uppercased().utf8
        guard let first = upper.first, first <= UInt8(ascii: "7") else { return false }
        return upper.allSatisfy { alphabet.contains($0) }
    }
}
