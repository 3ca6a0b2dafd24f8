import Shared
import Testing

@Suite("ListenAddress")
struct ListenAddressTests {
    @Test func acceptsAbsoluteUnixSockets() throws {
        #expect(try ListenAddress.parse("unix:///tmp/kata.sock") == .unix(path: "/tmp/kata.sock"))
        #expect(try ListenAddress.parse("unix:///srv/kata/run/katad.sock") == .unix(path: "/srv/kata/run/katad.sock"))
        #expect(try ListenAddress.parse("unix:///tmp/kata.sock").isUnix)
    }

    @Test func acceptsHostPort() throws {
        #expect(try ListenAddress.parse("127.0.0.1:7777") == .tcp(host: "127.0.0.1", port: 7777))
        #expect(try ListenAddress.parse("localhost:80") == .tcp(host: "localhost", port: 80))
        #expect(try ListenAddress.parse("10.0.0.5:65535") == .tcp(host: "10.0.0.5", port: 65535))
        #expect(try ListenAddress.parse("0.0.0.0:7777") == .tcp(host: "0.0.0.0", port: 7777))
        #expect(try ListenAddress.parse("kata.example.com:443") == .tcp(host: "kata.example.com", port: 443))
        #expect(try !ListenAddress.parse("127.0.0.1:7777").isUnix)
    }

    @Test func acceptsBracketedIPv6() throws {
        #expect(try ListenAddress.parse("[::1]:7777") == .tcp(host: "::1", port: 7777))
        #expect(try ListenAddress.parse("[fd00::1]:8080") == .tcp(host: "fd00::1", port: 8080))
        #expect(try ListenAddress.parse("[::]:7777") == .tcp(host: "::", port: 7777))
    }

    @Test func describesItselfInTheFormItParses() throws {
        for text in ["unix:///tmp/kata.sock", "127.0.0.1:7777", "[::1]:7777", "[fd00::1]:8080", "localhost:80"] {
            let parsed = try ListenAddress.parse(text)
            #expect(parsed.description == text)
            #expect(try ListenAddress.parse(parsed.description) == parsed)
        }
    }

    @Test(arguments: [
        "unix://relative/kata.sock",  // not absolute
        "unix://",  // no path
        "unix:///",  // root is not a socket
        "http://127.0.0.1:7777",  // a URL, not a listener
        "tcp://127.0.0.1:7777",
        "127.0.0.1",  // no port
        "localhost",
        "::1:7777",  // IPv6 without brackets
        "fd00::1:7777",
        "[::1]",  // no port
        "[::1]7777",
        "[::1:7777",  // unclosed bracket
        "127.0.0.1:65536",  // port out of range
        "127.0.0.1:-1",
        "127.0.0.1:http",
        "127.0.0.1:",
        "",
    ])
    func rejectsOtherForms(text: String) {
        do {
            let parsed = try ListenAddress.parse(text)
            Testing.Issue.record("\(text) should be rejected, parsed as \(parsed)")
        } catch {
            #expect(error.key == "listen")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func errorForUnbracketedIPv6ShowsTheBracketedForm() {
        do {
            _ = try ListenAddress.parse("::1:7777")
            Testing.Issue.record("unbracketed IPv6 accepted")
        } catch {
            #expect(error.message.contains("["), "message should show the bracketed form: \(error.message)")
        }
    }
}

@Suite("ServerTarget")
struct ServerTargetTests {
    @Test func parsesUnixSockets() throws {
        #expect(try ServerTarget.parse("unix:///tmp/kata.sock") == .unix(path: "/tmp/kata.sock"))
    }

    @Test func parsesHTTPAndHTTPS() throws {
        #expect(try ServerTarget.parse("http://127.0.0.1:7777") == .http(host: "127.0.0.1", port: 7777))
        #expect(try ServerTarget.parse("https://kata.example.com:8443") == .https(host: "kata.example.com", port: 8443))
        #expect(try ServerTarget.parse("http://[::1]:7777") == .http(host: "::1", port: 7777))
        #expect(try ServerTarget.parse("https://[fd00::1]:9000") == .https(host: "fd00::1", port: 9000))
    }

    @Test func defaultsPortsByScheme() throws {
        #expect(try ServerTarget.parse("http://kata.example.com") == .http(host: "kata.example.com", port: 80))
        #expect(try ServerTarget.parse("https://kata.example.com") == .https(host: "kata.example.com", port: 443))
        #expect(try ServerTarget.parse("https://[::1]") == .https(host: "::1", port: 443))
    }

    @Test func ignoresAPathAndLowercasesTheHost() throws {
        #expect(try ServerTarget.parse("http://127.0.0.1:7777/") == .http(host: "127.0.0.1", port: 7777))
        #expect(try ServerTarget.parse("https://Kata.Example.COM/api/v1") == .https(host: "kata.example.com", port: 443))
    }

    @Test func describesItself() throws {
        #expect(try ServerTarget.parse("http://[::1]:7777").description == "http://[::1]:7777")
        #expect(try ServerTarget.parse("https://kata.example.com").description == "https://kata.example.com:443")
        #expect(try ServerTarget.parse("unix:///tmp/k.sock").description == "unix:///tmp/k.sock")
    }

    @Test(arguments: [
        "unix://relative.sock",
        "ftp://example.com",
        "127.0.0.1:7777",  // no scheme
        "http://",  // no host
        "https://:443",
        "http://host:0",
        "http://host:65536",
        "http://host:port",
        "http://[::1",  // unclosed
        "http://[::1]:99999",
        "",
    ])
    func rejectsOtherForms(url: String) {
        do {
            let parsed = try ServerTarget.parse(url)
            Testing.Issue.record("\(url) should be rejected, parsed as \(parsed)")
        } catch {
            // A bad --server is a usage error: exit 2.
            #expect(error.error.code == "usage")
            #expect(error.exitCode == .usage)
            #expect(error.error.hint?.contains("unix://") == true)
        }
    }
}
