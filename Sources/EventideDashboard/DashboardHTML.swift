import Eventide
/// Builds the dashboard's pages as text. Everything that comes from tasks (kinds, queues,
/// arguments, errors, names) goes in through `text`, which escapes it for both element
/// content and quoted attribute values: a task argument `<script>` is shown, never run
/// (and the Content-Security-Policy would refuse an inline script anyway).
struct DashboardHTML {
    private(set) var output = ""

    init() {
        output.reserveCapacity(16 * 1024)
    }

    /// Markup written by the dashboard itself, as is.
    mutating func raw(_ markup: String) { output += markup }

    /// Text from anywhere, escaped.
    mutating func text(_ value: String) { output += Self.escape(value) }

    /// Text from anywhere, escaped, cut to `limit` characters (with an ellipsis).
    mutating func text(_ value: String, limit: Int) {
        text(value.count > limit ? String(value.prefix(limit)) + "…" : value)
    }

    /// `value` with `&`, `<`, `>`, `"` and `'` replaced by character references.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            return value
        }
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 16)
        for character in value.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// Milliseconds since the Unix epoch as `2026-12-07 18:20:01` (UTC).
    static func time(_ milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
    }
}
