import Foundation

/// How exposed an address is (spec: auth.md, "Classes of address").
public enum AddressClass: String, Sendable, Equatable {
    /// A Unix socket, or loopback (`127.0.0.0/8`, `::1`, `localhost`).
    case local
    /// A literal RFC 1918, CGNAT, link-local or ULA address.
    case `private`
    /// Every other literal, every DNS name but `localhost`, and the wildcards.
    case `public`

    /// Classifies a host as written in a listener or URL (brackets allowed around IPv6).
    public static func of(host rawHost: String) -> AddressClass {
        var host = rawHost
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { return .public }
        if host.lowercased() == "localhost" { return .local }
        if let v4 = parseIPv4(host) { return classify(v4: v4) }
        if let v6 = parseIPv6(host) { return classify(v6: v6) }
        return .public
    }

    static func classify(v4 a: [UInt8]) -> AddressClass {
        switch (a[0], a[1]) {
        case (127, _): return .local
        case (10, _): return .private
        case (172, 16...31): return .private
        case (192, 168): return .private
        case (100, 64...127): return .private
        case (169, 254): return .private
        default: return .public
        }
    }

    static func classify(v6 a: [UInt8]) -> AddressClass {
        if a == [UInt8](repeating: 0, count: 15) + [1] { return .local }
        // IPv4-mapped ::ffff:a.b.c.d
        if a[0..<10].allSatisfy({ $0 == 0 }), a[10] == 0xff, a[11] == 0xff {
            return classify(v4: Array(a[12..<16]))
        }
        if a[0] == 0xfe, a[1] & 0xc0 == 0x80 { return .private }  // fe80::/10
        if a[0] & 0xfe == 0xfc { return .private }  // fc00::/7
        return .public
    }

    /// Parses dotted-quad IPv4 text strictly (four decimal parts, each 0–255, no leading zeros).
    public static func parseIPv4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            if p.count > 1, p.first == "0" { return nil }
            guard let v = Int(p), v <= 255 else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    /// Parses IPv6 text (with `::` compression and an optional trailing IPv4 part) into 16 bytes.
    public static func parseIPv6(_ s: String) -> [UInt8]? {
        var text = s
        if let pct = text.firstIndex(of: "%") { text = String(text[..<pct]) }  // zone id
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if i == items.count - 1, item.contains(".") {
                    guard let v4 = parseIPv4(String(item)) else { return nil }
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard !item.isEmpty, item.count <= 4, let v = UInt16(item, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            all = head
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// Whether `host` is a wildcard bind address (`0.0.0.0`, `::`, or empty).
    public static func isWildcard(_ rawHost: String) -> Bool {
        var host = rawHost
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { return true }
        if let v4 = parseIPv4(host) { return v4 == [0, 0, 0, 0] }
        if let v6 = parseIPv6(host) { return v6.allSatisfy { $0 == 0 } }
        return false
    }
}
