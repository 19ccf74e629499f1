/// Why a cron expression was refused: the field, its text and the reason, as in
/// `minute field "61": 61 is out of 0-59`.
public struct CronScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One of the five fields of a cron expression.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case minute
        case hour
        case dayOfMonth = "day-of-month"
        case month
        case dayOfWeek = "day-of-week"
    }

    /// The field at fault; nil when the expression as a whole is (wrong field count,
    /// unknown macro, empty).
    public let field: Field?
    /// The field's text, or the whole expression when `field` is nil.
    public let text: String
    /// What is wrong, e.g. `61 is out of 0-59`.
    public let reason: String

    /// An error about `text`, the text of `field` (or the whole expression).
    public init(field: Field?, text: String, reason: String) {
        self.field = field
        self.text = text
        self.reason = reason
    }

    public var description: String {
        if let field { return "\(field.rawValue) field \"\(text)\": \(reason)" }
        return "cron expression \"\(text)\": \(reason)"
    }
}
