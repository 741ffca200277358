import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct HTTPDateTests {
    static let valid: [(String, Int64)] = [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("  Thu, 01 Jan 1970 00:00:00 GMT ", 0),
        ("Tue, 29 Feb 2000 23:59:59 GMT", 951_868_799),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ("Wednesday, 01-Jan-25 00:00:00 GMT", 1_735_689_600),
        ("sun, 06 NOV 1994 08:49:37 gmt", 784_111_777),
    ]
    static let invalid = [
        "0", "", "-1", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 31 Feb 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT extra", "Sun, 06 Nov 94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49 GMT", "Mon, 29 Feb 1900 00:00:00 GMT",
    ]

    @Test(arguments: valid) func parsesValidDates(_ c: (String, Int64)) {
        #expect(HTTPDate.parse(c.0) == c.1)
    }

    @Test(arguments: invalid) func rejectsInvalidDates(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test func twoDigitYearsWithinFiftyYears() {
        #expect(HTTPDate.parse("Tuesday, 01-Jan-80 00:00:00 GMT", referenceYear: 2026) == 315_532_800)
        #expect(HTTPDate.parse("Saturday, 01-Jan-50 00:00:00 GMT", referenceYear: 2026) == 2_524_608_000)
    }

    @Test func formatRoundTrips() {
        var generator = SeededGenerator(seed: 0xDA7E)
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: 0...253_402_300_799, using: &generator)
            #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
        }
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    /// Mutated IMF-fixdates: whatever parses formats back to the same date (weekday and letter
    /// case aside, since neither is checked; a leap second `:60` moves to the next minute), and
    /// the formatted text parses to the same instant. So a mutation is either refused or read
    /// as exactly the date its digits spell, never normalised into another one.
    @Test func mutatedDatesParseToTheDateTheySpellOrNotAtAll() {
        var generator = SeededGenerator(seed: 0xF022)
        // Dates next to month ends and leap days, so digit changes reach invalid days.
        let seeds = ["Sun, 06 Nov 1994 08:49:37 GMT", "Mon, 28 Feb 2000 23:59:59 GMT", "Tue, 30 Apr 2024 12:00:00 GMT"].map { Array($0.utf8) }
        let digits = Array("0123456789".utf8)
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = generator.element(of: seeds)
            let digitPositions = bytes.indices.filter { digits.contains(bytes[$0]) }
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                if round % 2 == 0 {
                    bytes[generator.element(of: digitPositions)] = generator.element(of: digits)
                } else {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            guard let seconds = HTTPDate.parse(text) else { continue }
            accepted += 1
            let formatted = HTTPDate.format(seconds)
            #expect(HTTPDate.parse(formatted) == seconds, "\(text) -> \(formatted)")
            if !text.hasSuffix(":60 GMT") {
                #expect(formatted.dropFirst(3).lowercased() == text.dropFirst(3).lowercased(), "\(text) -> \(formatted)")
            }
        }
        #expect(accepted > 1_000)
    }

}
