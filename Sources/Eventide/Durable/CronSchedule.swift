import Foundation

/// When a periodic task runs, as a standard five-field cron expression read in a time zone.
///
/// ```swift
/// let schedule = try CronSchedule("*/5 9-17 * * MON-FRI", timeZone: TimeZone(identifier: "Europe/Berlin")!)
/// let due = schedule.next(after: .now)
/// ```
///
/// The fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC)
/// and day of week (0-7 or SUN-SAT, 0 and 7 both Sunday). Each is a comma-separated list
/// of `*`, `a` or `a-b`, each optionally stepped: `*/n`, `a-b/n`, or `a/n` for `a` to the
/// field's end. Names are case-insensitive. The macros `@yearly` (`@annually`), `@monthly`,
/// `@weekly`, `@daily` (`@midnight`) and `@hourly` stand for their usual expressions.
///
/// Days follow Vixie cron: when both day fields are restricted, a day matches if either
/// does (`0 0 13 * FRI` is every 13th and every Friday). As in Vixie cron, a day field
/// whose text starts with `*` (so `*/2` too) counts as unrestricted, and then a day must
/// match both (`0 0 */2 * MON` is odd-numbered days that are Mondays).
///
/// Around daylight-saving changes the expression is matched against the zone's wall clock,
/// and a matching wall time fires once:
/// - a wall time skipped by a spring-forward gap fires at the first instant after the gap
///   (`30 2 * * *` in Europe/Berlin fires at 03:00 that day), so a daily task still runs;
///   several such wall times fire once, not once each;
/// - a wall time repeated by a fall-back fires at its first occurrence only, so the
///   repeated hour fires nothing (`*/30 * * * *` fires 02:00, 02:30 in summer time, then
///   03:00 in winter time, an hour and a half later).
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The expression as given.
    public let description: String
    /// The zone whose wall clock the expression is read in.
    public let timeZone: TimeZone
    let minutes: CronField
    let hours: CronField
    let daysOfMonth: CronField
    let months: CronField
    /// 0 is Sunday.
    let daysOfWeek: CronField
    /// Whether a day must match both day fields (one of them starts with `*`) rather than either.
    let daysMatchBoth: Bool

    /// The schedule `expression` describes, read in `timeZone` (UTC unless given).
    ///
    /// Throws for a wrong number of fields, an unknown macro, a value out of its field's
    /// range, a reversed range, a step of 0, an empty list item or anything unreadable;
    /// the error names the field and the reason.
    public init(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(CronScheduleError) {
        let texts = try Self.fieldTexts(of: expression)
        description = expression
        self.timeZone = timeZone
        minutes = try Self.parse(texts[0], as: .minute)
        hours = try Self.parse(texts[1], as: .hour)
        daysOfMonth = try Self.parse(texts[2], as: .dayOfMonth)
        months = try Self.parse(texts[3], as: .month)
        daysOfWeek = try Self.parse(texts[4], as: .dayOfWeek)
        daysMatchBoth = texts[2].hasPrefix("*") || texts[4].hasPrefix("*")
    }

    /// The first time strictly after `date` that matches, at a whole minute (seconds 0);
    /// nil if none within the next 8 years (enough for every leap day, 2100 not being one).
    ///
    /// Whole months, days and hours that cannot match are skipped, so an expression that
    /// never matches (`0 0 30 2 *`) answers nil after about a hundred months' checks.
    public func next(after date: Date) -> Date? {
        var start = wallTime(of: date)
        start.minute += 1
        return firstMatch(from: start, throughYear: start.year + 8) { wall in
            let instant = self.instant(of: wall)
            return instant > date ? instant : nil
        }
    }

    /// Whether day `day` of a month, a `weekday` (0 Sunday), matches the day fields.
    func matchesDay(_ day: Int, weekday: Int) -> Bool {
        let (dayOfMonth, dayOfWeek) = (daysOfMonth.contains(day), daysOfWeek.contains(weekday))
        return daysMatchBoth ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek
    }
}
