/// Formats Unix seconds as PostgreSQL timestamptz text (`2024-01-01 00:00:00+00`), in UTC.
///
/// Invariant: pure integer arithmetic (proleptic Gregorian calendar), so seeded timestamps do not
/// depend on locale, time zone or Foundation.
enum SeedTimestamp {
    static func format(_ unixSeconds: Int64) -> String {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let secs = unixSeconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        return "\(y)-\(pad(m))-\(pad(d)) \(pad(secs / 3600)):\(pad(secs % 3600 / 60)):\(pad(secs % 60))+00"
    }

    private static func pad(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// Days since 1970-01-01 to (year, month, day).
    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
