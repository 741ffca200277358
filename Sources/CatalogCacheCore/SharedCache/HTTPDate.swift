/// HTTP-date (RFC 9110 §5.6.7) parsing and formatting, without Foundation.
///
/// Accepts the three forms a recipient must: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
/// Parsing is strict about layout and ranges but, like most caches, not about the case of
/// month, weekday and `GMT` (the grammar is case-sensitive; a recipient gains nothing by
/// treating `gmt` as "already expired"); anything else is nil (which callers treat as "in
/// the past", RFC 9111 §5.3). A two-digit RFC 850 year more than 50 years after
/// `referenceYear` is taken as the previous century. Values are seconds since the Unix epoch.
public enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    public static func parse(_ text: String, referenceYear: Int = 2026) -> Int64? {
        let trimmed = Substring(text).trimmingWhitespace()
        let bytes = Array(trimmed.utf8)
        guard bytes.count >= 24, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
        let s = canonicalCase(String(decoding: bytes, as: UTF8.self))
        if let comma = s.firstIndex(of: ",") {
            let day = String(s[..<comma])
            let rest = s[s.index(after: comma)...]
            if shortDays.contains(day) { return imfFixdate(rest) }
            if longDays.contains(day) { return rfc850(rest, referenceYear: referenceYear) }
            return nil
        }
        return asctime(s)
    }

    /// ` 06 Nov 1994 08:49:37 GMT`
    private static func imfFixdate(_ rest: Substring) -> Int64? {
        let b = Array(rest.utf8)
        guard b.count == 25, b[0] == 0x20, b[3] == 0x20, b[7] == 0x20, b[12] == 0x20, b[21] == 0x20,
              String(decoding: b[22...], as: UTF8.self) == "GMT",
              let day = digits(b[1...2]), let month = month(b[4...6]), let year = digits(b[8...11]),
              let time = timeOfDay(b[13...20]) else { return nil }
        return epochSeconds(year: year, month: month, day: day, time: time)
    }

    /// ` 06-Nov-94 08:49:37 GMT`
    private static func rfc850(_ rest: Substring, referenceYear: Int) -> Int64? {
        let b = Array(rest.utf8)
        guard b.count == 23, b[0] == 0x20, b[3] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == 0x20, b[19] == 0x20,
              String(decoding: b[20...], as: UTF8.self) == "GMT",
              let day = digits(b[1...2]), let month = month(b[4...6]), let yy = digits(b[8...9]),
              let time = timeOfDay(b[11...18]) else { return nil }
        var year = (referenceYear / 100) * 100 + yy
        if year > referenceYear + 50 { year -= 100 }
        return epochSeconds(year: year, month: month, day: day, time: time)
    }

    /// `Sun Nov  6 08:49:37 1994` (a one-digit day is space-padded).
    private static func asctime(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        guard b.count == 24, b[3] == 0x20, b[7] == 0x20, b[10] == 0x20, b[19] == 0x20,
              shortDays.contains(String(decoding: b[0...2], as: UTF8.self)),
              let month = month(b[4...6]), let time = timeOfDay(b[11...18]), let year = digits(b[20...23]) else { return nil }
        let day: Int?
        if b[8] == 0x20 { day = digits(b[9...9]) } else { day = digits(b[8...9]) }
        guard let day else { return nil }
        return epochSeconds(year: year, month: month, day: day, time: time)
    }

    /// Words in the case the grammar uses: first letter upper, the rest lower; `GMT` upper.
    private static func canonicalCase(_ s: String) -> String {
        var out: [UInt8] = []
        var previousIsLetter = false
        for byte in s.utf8 {
            let isLetter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a
            out.append(isLetter ? (previousIsLetter ? byte | 0x20 : byte & ~0x20) : byte)
            previousIsLetter = isLetter
        }
        var result = String(decoding: out, as: UTF8.self)
        if result.hasSuffix("Gmt") { result = String(result.dropLast(3)) + "GMT" }
        return result
    }

    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private static func month(_ bytes: ArraySlice<UInt8>) -> Int? {
        months.firstIndex(of: String(decoding: bytes, as: UTF8.self)).map { $0 + 1 }
    }

    /// `HH:MM:SS` as seconds of the day (a leap second `60` is accepted).
    private static func timeOfDay(_ bytes: ArraySlice<UInt8>) -> Int? {
        let b = Array(bytes)
        guard b.count == 8, b[2] == UInt8(ascii: ":"), b[5] == UInt8(ascii: ":"),
              let h = digits(b[0...1]), let m = digits(b[3...4]), let s = digits(b[6...7]),
              h < 24, m < 60, s <= 60 else { return nil }
        return h * 3600 + m * 60 + s
    }

    private static func epochSeconds(year: Int, month: Int, day: Int, time: Int) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400 + Int64(time)
    }

    private static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    private static func daysIn(month: Int, year: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// IMF-fixdate for `seconds` since the epoch, e.g. for a `Date` header. The year has four
    /// digits, zero-padded, for years 0 to 9999 (what `parse` reads back).
    public static func format(_ seconds: Int64) -> String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secs = Int(seconds - Int64(days) * 86_400)
        // civil from days (Hinnant)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 7 + 3) % 7  // 1970-01-01 was a Thursday (index 3 from Monday)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)  // 4DIGIT
        return "\(shortDays[weekday]), \(two(d)) \(months[m - 1]) \(year) \(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60)) GMT"
    }
}
