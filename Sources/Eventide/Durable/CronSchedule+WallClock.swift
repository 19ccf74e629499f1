import Foundation

extension CronSchedule {
    /// A time on the zone's wall clock, to the minute: what the expression's fields match.
    struct WallTime: Sendable, Hashable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
    }

    /// The gregorian calendar at UTC, used to read wall times as if they were UTC instants.
    /// The zone's offset is applied apart (`instant(of:)`), because Foundation resolves
    /// skipped and repeated wall times differently across platforms and the policy must
    /// be this type's own.
    static let wallCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The wall time at `date` in `timeZone`, seconds dropped.
    func wallTime(of date: Date) -> WallTime {
        let local = date.addingTimeInterval(TimeInterval(timeZone.secondsFromGMT(for: date)))
        let parts = Self.wallCalendar.dateComponents([.year, .month, .day, .hour, .minute], from: local)
        return WallTime(year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!)
    }

    /// When `wall` happens in `timeZone`: its first occurrence if a fall-back repeats it,
    /// the end of the gap if a spring-forward skips it.
    func instant(of wall: WallTime) -> Date {
        let components = DateComponents(year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute)
        let naive = Int64(Self.wallCalendar.date(from: components)!.timeIntervalSince1970)
        // The offsets in force a day before, at and a day after: a wall time is at most
        // one of them away from its instants.
        let candidates = [naive - 86_400, naive, naive + 86_400].map { naive - offset(at: $0) }
        if let first = candidates.filter({ naive - offset(at: $0) == $0 }).min() {
            return Date(timeIntervalSince1970: TimeInterval(first))
        }
        return Date(timeIntervalSince1970: TimeInterval(offsetChange(after: candidates.min()!, notAfter: candidates.max()!)))
    }

    /// The first second after `start` whose offset differs from `start`'s (the caller knows
    /// `end`'s does), found by halving.
    private func offsetChange(after start: Int64, notAfter end: Int64) -> Int64 {
        let before = offset(at: start)
        var (low, high) = (start, end)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == before { low = middle } else { high = middle }
        }
        return high
    }

    /// The zone's offset from UTC at `second` (since 1970), in seconds.
    private func offset(at second: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(second))))
    }
}
