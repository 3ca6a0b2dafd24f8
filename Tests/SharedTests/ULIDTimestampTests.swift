import Foundation
import Shared
import Testing

/// Decodes the 48-bit millisecond time held in the first 10 Crockford base32 characters of a ULID.
private func ulidMillis(_ text: String) -> UInt64? {
    let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    var value: UInt64 = 0
    for c in text.prefix(10) {
        guard let i = alphabet.firstIndex(of: c) else { return nil }
        value = value << 5 | UInt64(i)
    }
    return value
}

@Suite("ULID")
struct ULIDTests {
    @Test func hasTheShapeOfAULID() {
        let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        for _ in 0..<200 {
            let id = ULID().string
            #expect(id.count == 26)
            #expect(id.allSatisfy { crockford.contains($0) }, "\(id) has a character outside Crockford base32")
            // 26 chars carry 130 bits but a ULID has 128: the first char is at most 7.
            #expect(id.first! <= "7")
            #expect(ULID.isValid(id))
            #expect(ULID().description.count == 26)
        }
    }

    @Test func encodesTheCurrentTimeInItsFirstTenCharacters() throws {
        let before = UInt64(Timestamp.nowMillis())
        let id = ULID().string
        let after = UInt64(Timestamp.nowMillis())
        let millis = try #require(ulidMillis(id))
        #expect(millis >= before && millis <= after, "ULID \(id) encodes \(millis), expected between \(before) and \(after)")
    }

    @Test func isUnique() {
        var seen = Set<String>()
        for _ in 0..<5000 { seen.insert(ULID().string) }
        #expect(seen.count == 5000)
    }

    @Test func sortsInTimeOrder() async throws {
        var ids: [String] = []
        for _ in 0..<5 {
            ids.append(ULID().string)
            try await Task.sleep(for: .milliseconds(3))
        }
        #expect(ids == ids.sorted(), "ULIDs made milliseconds apart must sort in creation order: \(ids)")
        // The time prefixes strictly increase.
        let times = ids.compactMap(ulidMillis)
        #expect(times.count == 5)
        for i in 1..<times.count { #expect(times[i] > times[i - 1]) }
    }

    @Test func validationAcceptsAnyCaseAndRejectsBadShapes() {
        let good = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
        #expect(ULID.isValid(good))
        #expect(ULID.isValid(good.lowercased()))
        #expect(!ULID.isValid(String(good.dropLast())))  // 25 chars
        #expect(!ULID.isValid(good + "A"))  // 27 chars
        #expect(!ULID.isValid("01ARZ3NDEKTSV4RRFFQ69G5FAU"))  // U is not Crockford
        #expect(!ULID.isValid("01ARZ3NDEKTSV4RRFFQ69G5FAI"))  // I is not Crockford
        #expect(!ULID.isValid("01ARZ3NDEKTSV4RRFFQ69G5FAL"))  // L is not Crockford
        #expect(!ULID.isValid("01ARZ3NDEKTSV4RRFFQ69G5FAO"))  // O is not Crockford
        #expect(!ULID.isValid("81ARZ3NDEKTSV4RRFFQ69G5FAV"))  // overflows 128 bits
        #expect(ULID.isValid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"))  // the largest ULID
        #expect(!ULID.isValid(""))
        #expect(!ULID.isValid("01ARZ3NDEKTSV4RRFFQ69G5FA-"))
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_700_000_000_123), "2023-11-14T22:13:20.123Z"),
        (Int64(1_709_251_199_999), "2024-02-29T23:59:59.999Z"),
        (Int64(946_684_800_001), "2000-01-01T00:00:00.001Z"),
        (Int64(2_147_483_648_000), "2038-01-19T03:14:08.000Z"),
    ])
    func formatsAndParsesKnownInstants(millis: Int64, text: String) {
        #expect(Timestamp.format(millis: millis) == text)
        #expect(Timestamp.parse(text) == millis)
    }

    @Test func nowIsRFC3339UTCWithMilliseconds() throws {
        let text = Timestamp.now()
        let regex = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#)
        #expect(text.wholeMatch(of: regex) != nil, "\(text) is not YYYY-MM-DDTHH:MM:SS.mmmZ")
        let parsed = try #require(Timestamp.parse(text))
        #expect(abs(parsed - Timestamp.nowMillis()) < 5_000)
    }

    @Test func roundTripsManyInstants() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let millis = Int64.random(in: 0...4_102_444_800_000, using: &rng)  // up to 2100
            let text = Timestamp.format(millis: millis)
            #expect(text.count == 24)
            #expect(Timestamp.parse(text) == millis, "\(millis) -> \(text) did not round-trip")
        }
    }

    @Test func textOrderIsTimeOrder() {
        let a = Timestamp.format(millis: 1_700_000_000_999)
        let b = Timestamp.format(millis: 1_700_000_001_000)
        let c = Timestamp.format(millis: 1_800_000_000_000)
        #expect(a < b && b < c)
    }

    @Test(arguments: [
        "2023-11-14T22:13:20Z",  // no milliseconds
        "2023-11-14T22:13:20.123",  // no zone
        "2023-11-14T22:13:20.123+00:00",  // offset instead of Z
        "2023-11-14 22:13:20.123Z",  // space separator
        "2023-11-14T22:13:20.12Z",  // two-digit fraction
        "2023-1a-14T22:13:20.123Z",  // non-digit
        "",
        "not a time",
    ])
    func rejectsOtherForms(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
