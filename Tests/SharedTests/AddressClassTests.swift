import Shared
import Testing

/// auth.md, "Classes of address".
@Suite("AddressClass")
struct AddressClassTests {
    @Test(arguments: [
        "127.0.0.1", "127.0.0.0", "127.255.255.255", "127.1.2.3",
        "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LOCALHOST", "LocalHost",
        "::ffff:127.0.0.1",
    ])
    func loopbackIsLocal(host: String) {
        #expect(AddressClass.of(host: host) == .local, "\(host)")
    }

    @Test(arguments: [
        // RFC 1918
        "10.0.0.0", "10.0.0.1", "10.255.255.255",
        "172.16.0.0", "172.16.0.1", "172.20.1.1", "172.31.255.255",
        "192.168.0.0", "192.168.1.1", "192.168.255.255",
        // CGNAT 100.64/10
        "100.64.0.0", "100.64.0.1", "100.100.100.100", "100.127.255.255",
        // link-local
        "169.254.0.0", "169.254.1.1", "169.254.255.255",
        "fe80::1", "FE80::1", "fe80::1%eth0", "[fe80::1]", "febf:ffff::1",
        // ULA fc00::/7
        "fc00::1", "fd12:3456:789a::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "[fd00::1]",
        // IPv4-mapped private
        "::ffff:10.0.0.1", "::ffff:192.168.1.1",
    ])
    func privateRangesArePrivate(host: String) {
        #expect(AddressClass.of(host: host) == .private, "\(host)")
    }

    @Test(arguments: [
        // just outside each private range
        "9.255.255.255", "11.0.0.0",
        "172.15.255.255", "172.32.0.0",
        "192.167.255.255", "192.169.0.0",
        "100.63.255.255", "100.128.0.0",
        "169.253.255.255", "169.255.0.0",
        "128.0.0.1", "126.255.255.255",
        "fec0::1",  // just above fe80::/10
        "fe7f::1",  // just below fe80::/10
        "fbff::1",  // just below fc00::/7
        "fe00::1",  // just above fc00::/7
        // plain public addresses
        "8.8.8.8", "1.1.1.1", "2001:db8::1", "2606:4700::1111", "::2",
        "::ffff:8.8.8.8",
    ])
    func everyOtherLiteralIsPublic(host: String) {
        #expect(AddressClass.of(host: host) == .public, "\(host)")
    }

    @Test(arguments: ["example.com", "kata.internal", "my-host", "localhost.example.com", "mylocalhost", "corp.lan"])
    func dnsNamesArePublic(host: String) {
        #expect(AddressClass.of(host: host) == .public, "\(host)")
    }

    @Test(arguments: ["0.0.0.0", "::", "[::]", "", "0:0:0:0:0:0:0:0"])
    func wildcardsArePublicAndRecognised(host: String) {
        #expect(AddressClass.of(host: host) == .public, "\(host)")
        #expect(AddressClass.isWildcard(host), "\(host)")
    }

    @Test(arguments: ["127.0.0.1", "::1", "localhost", "10.0.0.1", "example.com", "0.0.0.1", "::2"])
    func nonWildcards(host: String) {
        #expect(!AddressClass.isWildcard(host), "\(host)")
    }

    /// A malformed literal is not an IP; it must never be taken for a private or loopback one.
    @Test(arguments: [
        "10.0.0", "10.0.0.0.1", "256.0.0.1", "10.256.0.1", "010.0.0.1", "127.0.0.01", "10..0.1", "10.0.0.-1",
        "192.168.1.1a", "fe80::1::2", "fc00:::1", "fd00::12345", "gggg::1", "1:2:3:4:5:6:7:8:9", "127.0.0.1.",
        " 127.0.0.1",
    ])
    func malformedLiteralsArePublic(host: String) {
        #expect(AddressClass.of(host: host) == .public, "\(host)")
    }

    @Test func parseIPv4IsStrict() {
        #expect(AddressClass.parseIPv4("192.168.1.20") == [192, 168, 1, 20])
        #expect(AddressClass.parseIPv4("0.0.0.0") == [0, 0, 0, 0])
        #expect(AddressClass.parseIPv4("255.255.255.255") == [255, 255, 255, 255])
        #expect(AddressClass.parseIPv4("256.1.1.1") == nil)
        #expect(AddressClass.parseIPv4("01.1.1.1") == nil)
        #expect(AddressClass.parseIPv4("1.1.1") == nil)
        #expect(AddressClass.parseIPv4("1.1.1.1.1") == nil)
        #expect(AddressClass.parseIPv4("") == nil)
        #expect(AddressClass.parseIPv4("a.b.c.d") == nil)
        #expect(AddressClass.parseIPv4("١.١.١.١") == nil)  // non-ASCII digits
    }

    @Test func parseIPv6HandlesCompressionAndEmbeddedIPv4() {
        #expect(AddressClass.parseIPv6("::1") == [UInt8](repeating: 0, count: 15) + [1])
        #expect(AddressClass.parseIPv6("::") == [UInt8](repeating: 0, count: 16))
        #expect(AddressClass.parseIPv6("::ffff:10.0.0.1") == [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 10, 0, 0, 1])
        #expect(
            AddressClass.parseIPv6("2001:db8::8:800:200c:417a")
                == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0x00, 0x20, 0x0c, 0x41, 0x7a])
        #expect(AddressClass.parseIPv6("1:2:3:4:5:6:7:8") == [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8])
        #expect(AddressClass.parseIPv6("fe80::1%eth0") == [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1])
        #expect(AddressClass.parseIPv6("1:2:3:4:5:6:7") == nil)
        #expect(AddressClass.parseIPv6("1:2:3:4:5:6:7:8:9") == nil)
        #expect(AddressClass.parseIPv6("1::2::3") == nil)
        #expect(AddressClass.parseIPv6("1:2:3:4::5:6:7:8") == nil)
        #expect(AddressClass.parseIPv6("12345::") == nil)
        #expect(AddressClass.parseIPv6("::ffff:300.0.0.1") == nil)
        #expect(AddressClass.parseIPv6("127.0.0.1") == nil)
        #expect(AddressClass.parseIPv6("") == nil)
    }

    @Test func listenAddressClassUsesTheHost() throws {
        #expect(ListenAddress.unix(path: "/tmp/k.sock").addressClass == .local)
        #expect(try ListenAddress.parse("127.0.0.1:7777").addressClass == .local)
        #expect(try ListenAddress.parse("[::1]:7777").addressClass == .local)
        #expect(try ListenAddress.parse("10.1.2.3:7777").addressClass == .private)
        #expect(try ListenAddress.parse("[fd00::1]:7777").addressClass == .private)
        #expect(try ListenAddress.parse("0.0.0.0:7777").addressClass == .public)
        #expect(try ListenAddress.parse("[::]:7777").addressClass == .public)
        #expect(try ListenAddress.parse(":7777").addressClass == .public)
        #expect(try ListenAddress.parse("kata.example.com:7777").addressClass == .public)
    }
}
