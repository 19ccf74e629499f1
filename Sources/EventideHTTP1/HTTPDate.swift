/// Formatting of HTTP dates (RFC 9110 §5.6.7) without Foundation.
public enum HTTPDate {
    private static let weekdays: [StaticString] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// The IMF-fixdate for a Unix time, e.g. `"Sun, 06 Nov 1994 08:49:37 GMT"`.
    /// Years are assumed to have four digits (0001–9999).
    public static func imfFixdate(secondsSince1970: Int) -> String {
        let (days, secondOfDay) = floorDivide(secondsSince1970, 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        // 1970-01-01 was a Thursday, index 0 of `weekdays`.
        let weekday = floorDivide(days, 7).remainder

        var out: [UInt8] = []
        out.reserveCapacity(29)
        append(weekdays[weekday], to: &out)
        out.append(contentsOf: [0x2C, 0x20])
        appendDigits(day, count: 2, to: &out)
        out.append(0x20)
        append(months[month &- 1], to: &out)
        out.append(0x20)
        appendDigits(year, count: 4, to: &out)
        out.append(0x20)
        appendDigits(secondOfDay / 3600, count: 2, to: &out)
        out.append(0x3A)
        appendDigits(secondOfDay / 60 % 60, count: 2, to: &out)
        out.append(0x3A)
        appendDigits(secondOfDay % 60, count: 2, to: &out)
        append(" GMT", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Converts days since 1970-01-01 to a proleptic Gregorian (year, month 1–12, day 1–31),
    /// using 400-year eras that start on March 1st so leap days fall at the end of a year.
    package static func civilDate(daysSince1970: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSince1970 + 719_468
        let era = floorDivide(z, 146_097).quotient
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> (quotient: Int, remainder: Int) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    private static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private static func appendDigits(_ value: Int, count: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: 0x30 + v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }
}
