import Eventide
import EventideHTTP1

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
        let date = HTTPDate.civilDate(daysSince1970: Int(days))
        let (year, month, day) = (Int64(date.year), Int64(date.month), Int64(date.day))
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
    }
}
