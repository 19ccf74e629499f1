extension CronSchedule {
    /// The five fields' texts of `expression`, a macro replaced by its expansion.
    static func fieldTexts(of expression: String) throws(CronScheduleError) -> [Substring] {
        let texts = expression.split(whereSeparator: \.isWhitespace)
        guard let first = texts.first else {
            throw CronScheduleError(field: nil, text: expression, reason: "the expression is empty")
        }
        if first.hasPrefix("@") {
            guard texts.count == 1, let expansion = macros[first.lowercased()] else {
                throw CronScheduleError(
                    field: nil, text: expression,
                    reason: "unknown macro (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)")
            }
            return expansion.split(separator: " ")
        }
        guard texts.count == 5 else {
            throw CronScheduleError(
                field: nil, text: expression,
                reason: "expected 5 fields (minute hour day-of-month month day-of-week), got \(texts.count)")
        }
        return texts
    }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// The values `text` allows in `field`: a comma-separated list of `*`, `a`, `a-b`,
    /// each with an optional `/step`.
    static func parse(_ text: Substring, as field: CronScheduleError.Field) throws(CronScheduleError) -> CronField {
        let syntax = FieldSyntax(field)
        var values = CronField()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw syntax.error(text, "empty list item") }
            for value in try syntax.values(of: item, in: text) {
                // Day-of-week 7 is another name for Sunday.
                values.insert(field == .dayOfWeek && value == 7 ? 0 : value)
            }
        }
        return values
    }
}

/// What one field accepts: its range, the range `*` stands for, and its names.
struct FieldSyntax {
    let field: CronScheduleError.Field
    let range: ClosedRange<Int>
    /// `*` and `a/n` end here; for day-of-week at 6, since 7 repeats Sunday.
    let wildcard: ClosedRange<Int>
    /// Names for the values from `range.lowerBound` on, upper-case.
    let names: [String]

    init(_ field: CronScheduleError.Field) {
        self.field = field
        switch field {
        case .minute: (range, wildcard, names) = (0...59, 0...59, [])
        case .hour: (range, wildcard, names) = (0...23, 0...23, [])
        case .dayOfMonth: (range, wildcard, names) = (1...31, 1...31, [])
        case .month:
            (range, wildcard) = (1...12, 1...12)
            names = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        case .dayOfWeek:
            (range, wildcard) = (0...7, 0...6)
            names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        }
    }

    func error(_ text: Substring, _ reason: String) -> CronScheduleError {
        CronScheduleError(field: field, text: String(text), reason: reason)
    }

    /// The values of one list item: `*`, `a`, `a-b`, then optionally `/n`.
    func values(of item: Substring, in text: Substring) throws(CronScheduleError) -> StrideThrough<Int> {
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw error(text, "\"\(item)\" has more than one step") }
        let step = parts.count == 2 ? try self.step(parts[1], in: text) : 1
        let bounds = try self.bounds(of: parts[0], stepped: parts.count == 2, in: text)
        return stride(from: bounds.lowerBound, through: bounds.upperBound, by: step)
    }

    /// The range `*`, `a-b` or `a` covers; a stepped `a` runs to the end of the field.
    private func bounds(of base: Substring, stepped: Bool, in text: Substring) throws(CronScheduleError) -> ClosedRange<Int> {
        if base == "*" { return wildcard }
        let ends = base.split(separator: "-", omittingEmptySubsequences: false)
        switch ends.count {
        case 1:
            let start = try value(ends[0], in: text)
            return stepped ? start...max(start, wildcard.upperBound) : start...start
        case 2:
            let (low, high) = (try value(ends[0], in: text), try value(ends[1], in: text))
            guard low <= high else { throw error(text, "range \(base) is reversed (\(low) is after \(high))") }
            return low...high
        default:
            throw error(text, "\"\(base)\" is not a value or a range a-b")
        }
    }

    /// A number in `range`, or a name.
    private func value(_ token: Substring, in text: Substring) throws(CronScheduleError) -> Int {
        if token.isEmpty { throw error(text, "a value is missing") }
        if token.isDigits {
            guard let number = Int(token), range.contains(number) else {
                throw error(text, "\(token) is out of \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        if let index = names.firstIndex(of: token.uppercased()) { return range.lowerBound + index }
        let kind = names.isEmpty ? "a number" : "a number or a \(field == .month ? "month" : "day") name"
        throw error(text, "\"\(token)\" is not \(kind)")
    }

    /// A step from 1 to the field's largest value.
    private func step(_ token: Substring, in text: Substring) throws(CronScheduleError) -> Int {
        guard !token.isEmpty, token.isDigits else {
            throw error(text, "step \"\(token)\" is not a number")
        }
        guard let step = Int(token), step <= range.upperBound else {
            throw error(text, "step \(token) is out of 1-\(range.upperBound)")
        }
        guard step > 0 else { throw error(text, "step must be at least 1") }
        return step
    }
}

extension Substring {
    /// Whether this is ASCII digits only (`Int(_:)` would also take a sign).
    fileprivate var isDigits: Bool {
        utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
