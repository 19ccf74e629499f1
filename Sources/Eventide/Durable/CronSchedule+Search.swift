import Foundation

extension CronSchedule {
    /// The first instant `accept` gives for a matching wall time at or after `start` (whose
    /// minute may be 60), trying matches in order, month by month until `lastYear` ends.
    func firstMatch(from start: WallTime, throughYear lastYear: Int, accept: (WallTime) -> Date?) -> Date? {
        var year = start.year
        var from = start
        while year <= lastYear {
            var month = months.next(atOrAfter: from.month)
            while let current = month {
                let first = from.month == current ? from : WallTime(year: year, month: current, day: 1, hour: 0, minute: 0)
                if let found = firstMatch(inMonthFrom: first, accept: accept) { return found }
                month = months.next(atOrAfter: current + 1)
            }
            year += 1
            from = WallTime(year: year, month: 1, day: 1, hour: 0, minute: 0)
        }
        return nil
    }

    /// The first accepted match in `start`'s month, at or after `start`.
    private func firstMatch(inMonthFrom start: WallTime, accept: (WallTime) -> Date?) -> Date? {
        let (length, firstWeekday) = Self.shape(ofMonth: start.month, in: start.year)
        guard start.day <= length else { return nil }
        var from = start
        for day in start.day...length {
            if matchesDay(day, weekday: (firstWeekday + day - 1) % 7) {
                from.day = day
                if let found = firstMatch(inDayFrom: from, accept: accept) { return found }
            }
            (from.hour, from.minute) = (0, 0)
        }
        return nil
    }

    /// The first accepted match on `start`'s day, at or after `start`.
    private func firstMatch(inDayFrom start: WallTime, accept: (WallTime) -> Date?) -> Date? {
        var hour = hours.next(atOrAfter: start.hour)
        var minuteFrom = start.minute
        while let currentHour = hour {
            if currentHour != start.hour { minuteFrom = 0 }
            var minute = minutes.next(atOrAfter: minuteFrom)
            while let currentMinute = minute {
                var candidate = start
                (candidate.hour, candidate.minute) = (currentHour, currentMinute)
                if let instant = accept(candidate) { return instant }
                minute = minutes.next(atOrAfter: currentMinute + 1)
            }
            hour = hours.next(atOrAfter: currentHour + 1)
        }
        return nil
    }

    /// The number of days of `month` in `year` and the weekday of its first (0 Sunday).
    static func shape(ofMonth month: Int, in year: Int) -> (days: Int, firstWeekday: Int) {
        let first = wallCalendar.date(from: DateComponents(year: year, month: month, day: 1))!
        let days = wallCalendar.range(of: .day, in: .month, for: first)!.count
        return (days, wallCalendar.component(.weekday, from: first) - 1)
    }
}
