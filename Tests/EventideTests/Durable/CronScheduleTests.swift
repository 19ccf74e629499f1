import Eventide
import Foundation
import Testing

/// `CronSchedule`: each piece of the grammar, each refusal, `next(after:)` across months,
/// years, leap days and daylight-saving changes.
@Suite struct CronScheduleTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    /// The next `count` times of `expression` after `start`, written as `text(_:in:)` does.
    func times(_ expression: String, after start: String, count: Int = 1, in zone: TimeZone = TimeZone(identifier: "UTC")!) throws -> [String] {
        let schedule = try CronSchedule(expression, timeZone: zone)
        var found: [String] = []
        var last = date(start)
        while found.count < count, let next = schedule.next(after: last) {
            found.append(text(next, in: zone))
            last = next
        }
        return found
    }

    /// `2024-03-31 02:30 +0100` (the offset may be left out for UTC; seconds may be added).
    func date(_ text: String) -> Date {
        let parts = text.split(separator: " ")
        let day = parts[0].split(separator: "-").map { Int($0)! }
        let time = parts[1].split(separator: ":").map { Double($0)! }
        let offset = parts.count > 2 ? Int(parts[2])! : 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: (offset / 100) * 3600 + (offset % 100) * 60)!
        let minute = calendar.date(from: DateComponents(year: day[0], month: day[1], day: day[2], hour: Int(time[0]), minute: Int(time[1])))!
        return minute.addingTimeInterval(time.count > 2 ? time[2] : 0)
    }

    /// `date` on `zone`'s wall clock with its offset, seconds shown only when not 0.
    func text(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let offset = zone.secondsFromGMT(for: date) / 60
        var text = String(format: "%04d-%02d-%02d %02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
        if parts.second != 0 || parts.nanosecond != 0 { text += ":\(parts.second!).\(parts.nanosecond!)" }
        let sign = offset < 0 ? "-" : "+"
        return text + String(format: " %@%02d%02d", sign, abs(offset) / 60, abs(offset) % 60)
    }

    /// The refusal of `expression`, or nil if it was accepted.
    func refusal(_ expression: String) -> String? {
        do {
            _ = try CronSchedule(expression)
            return nil
        } catch {
            return error.description
        }
    }
}

// MARK: - Grammar

extension CronScheduleTests {
    @Test func everyMinuteIsStrictlyAfter() throws {
        #expect(try times("* * * * *", after: "2024-05-01 10:00") == ["2024-05-01 10:01 +0000"])
        #expect(try times("* * * * *", after: "2024-05-01 10:00:30") == ["2024-05-01 10:01 +0000"])
        #expect(try times("*/5 * * * *", after: "2024-05-01 10:05") == ["2024-05-01 10:10 +0000"])
        #expect(try times("*/5 * * * *", after: "2024-05-01 10:04:59.5") == ["2024-05-01 10:05 +0000"])
        #expect(try times("0 12 * * *", after: "2024-05-01 12:00", count: 2) == ["2024-05-02 12:00 +0000", "2024-05-03 12:00 +0000"])
    }

    @Test func numbersAndLists() throws {
        #expect(try times("5,35 * * * *", after: "2024-05-01 10:06", count: 3)
            == ["2024-05-01 10:35 +0000", "2024-05-01 11:05 +0000", "2024-05-01 11:35 +0000"])
        #expect(try times("0 6,18 * * *", after: "2024-05-01 18:00", count: 2) == ["2024-05-02 06:00 +0000", "2024-05-02 18:00 +0000"])
    }

    @Test func ranges() throws {
        #expect(try times("0 9-11 * * *", after: "2024-05-01 09:30", count: 3)
            == ["2024-05-01 10:00 +0000", "2024-05-01 11:00 +0000", "2024-05-02 09:00 +0000"])
        #expect(try times("58-59,1-2 * * * *", after: "2024-05-01 09:57", count: 4)
            == ["2024-05-01 09:58 +0000", "2024-05-01 09:59 +0000", "2024-05-01 10:01 +0000", "2024-05-01 10:02 +0000"])
    }

    @Test func steps() throws {
        #expect(try times("*/20 * * * *", after: "2024-05-01 10:00", count: 3)
            == ["2024-05-01 10:20 +0000", "2024-05-01 10:40 +0000", "2024-05-01 11:00 +0000"])
        #expect(try times("10-30/10 * * * *", after: "2024-05-01 10:00", count: 4)
            == ["2024-05-01 10:10 +0000", "2024-05-01 10:20 +0000", "2024-05-01 10:30 +0000", "2024-05-01 11:10 +0000"])
        // `a/n` runs from a to the field's end.
        #expect(try times("50/5 * * * *", after: "2024-05-01 10:00", count: 3)
            == ["2024-05-01 10:50 +0000", "2024-05-01 10:55 +0000", "2024-05-01 11:50 +0000"])
        #expect(try times("0 */6 * * *", after: "2024-05-01 19:00", count: 2) == ["2024-05-02 00:00 +0000", "2024-05-02 06:00 +0000"])
        #expect(try times("0 0 1 */4 *", after: "2024-05-01 00:00", count: 2) == ["2024-09-01 00:00 +0000", "2025-01-01 00:00 +0000"])
    }

    @Test func monthNamesInAnyCase() throws {
        #expect(try times("0 0 1 jan,Jul *", after: "2024-05-01 00:00", count: 2) == ["2024-07-01 00:00 +0000", "2025-01-01 00:00 +0000"])
        #expect(try times("0 0 1 MAR-may *", after: "2024-05-01 00:00", count: 2) == ["2025-03-01 00:00 +0000", "2025-04-01 00:00 +0000"])
    }

    /// 2024-05-01 is a Wednesday.
    @Test func dayNamesAndSundayAsSeven() throws {
        #expect(try times("0 12 * * mon-FRI", after: "2024-05-02 12:00", count: 3)
            == ["2024-05-03 12:00 +0000", "2024-05-06 12:00 +0000", "2024-05-07 12:00 +0000"])
        let sundays = ["2024-05-05 00:00 +0000", "2024-05-12 00:00 +0000"]
        #expect(try times("0 0 * * 0", after: "2024-05-01 00:00", count: 2) == sundays)
        #expect(try times("0 0 * * 7", after: "2024-05-01 00:00", count: 2) == sundays)
        #expect(try times("0 0 * * Sun", after: "2024-05-01 00:00", count: 2) == sundays)
        #expect(try times("0 0 * * 5-7", after: "2024-05-01 00:00", count: 4)
            == ["2024-05-03 00:00 +0000", "2024-05-04 00:00 +0000", "2024-05-05 00:00 +0000", "2024-05-10 00:00 +0000"])
    }

    /// Both day fields restricted: either matches. September 2024's Fridays are 6, 13, 20, 27.
    @Test func dayOfMonthOrDayOfWeek() throws {
        #expect(try times("0 0 13 * FRI", after: "2024-09-01 00:00", count: 8) == [
            "2024-09-06 00:00 +0000", "2024-09-13 00:00 +0000", "2024-09-20 00:00 +0000", "2024-09-27 00:00 +0000",
            "2024-10-04 00:00 +0000", "2024-10-11 00:00 +0000", "2024-10-13 00:00 +0000", "2024-10-18 00:00 +0000",
        ])
    }

    /// A day field starting with `*` counts as unrestricted (Vixie cron): then both must match.
    /// September 2024's Mondays are 2, 9, 16, 23, 30; October's 7, 14, 21, 28.
    @Test func starredDayFieldNeedsBoth() throws {
        #expect(try times("0 0 */2 * MON", after: "2024-09-01 00:00", count: 4)
            == ["2024-09-09 00:00 +0000", "2024-09-23 00:00 +0000", "2024-10-07 00:00 +0000", "2024-10-21 00:00 +0000"])
        #expect(try times("0 0 13 */2 *", after: "2024-09-01 00:00", count: 2) == ["2024-09-13 00:00 +0000", "2024-11-13 00:00 +0000"])
    }

    @Test func macros() throws {
        let expansions = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        for (macro, expansion) in expansions {
            #expect(try times(macro, after: "2024-05-01 10:30", count: 3) == times(expansion, after: "2024-05-01 10:30", count: 3), "\(macro)")
            #expect(try CronSchedule(macro).description == macro)
        }
        #expect(try times("@Hourly", after: "2024-05-01 10:30") == ["2024-05-01 11:00 +0000"])
        #expect(try times("@weekly", after: "2024-05-01 10:30") == ["2024-05-05 00:00 +0000"])
    }

    @Test func descriptionAndEquality() throws {
        #expect(try CronSchedule(" */5  * * * *\t").description == " */5  * * * *\t")
        #expect(try CronSchedule("*/5 * * * *") == CronSchedule("*/5 * * * *"))
        #expect(try CronSchedule("*/5 * * * *") != CronSchedule("*/5 * * * *", timeZone: Self.berlin))
        #expect(try Set([CronSchedule("@daily"), CronSchedule("@daily"), CronSchedule("@hourly")]).count == 2)
    }
}

// MARK: - Refusals

extension CronScheduleTests {
    @Test(arguments: [
        ("61 * * * *", #"minute field "61": 61 is out of 0-59"#),
        ("* 24 * * *", #"hour field "24": 24 is out of 0-23"#),
        ("* * 0 * *", #"day-of-month field "0": 0 is out of 1-31"#),
        ("* * 32 * *", #"day-of-month field "32": 32 is out of 1-31"#),
        ("* * * 13 *", #"month field "13": 13 is out of 1-12"#),
        ("* * * * 8", #"day-of-week field "8": 8 is out of 0-7"#),
        ("1,99999999999999999999 * * * *", #"minute field "1,99999999999999999999": 99999999999999999999 is out of 0-59"#),
        ("5-1 * * * *", #"minute field "5-1": range 5-1 is reversed (5 is after 1)"#),
        ("* * * * FRI-MON", #"day-of-week field "FRI-MON": range FRI-MON is reversed (5 is after 1)"#),
        ("*/0 * * * *", #"minute field "*/0": step must be at least 1"#),
        ("* 1-5/0 * * *", #"hour field "1-5/0": step must be at least 1"#),
        ("*/60 * * * *", #"minute field "*/60": step 60 is out of 1-59"#),
        ("*/x * * * *", #"minute field "*/x": step "x" is not a number"#),
        ("*/ * * * *", #"minute field "*/": step "" is not a number"#),
        ("*/5/2 * * * *", #"minute field "*/5/2": "*/5/2" has more than one step"#),
        ("1,,2 * * * *", #"minute field "1,,2": empty list item"#),
        (",5 * * * *", #"minute field ",5": empty list item"#),
        ("* * 5, * *", #"day-of-month field "5,": empty list item"#),
        ("abc * * * *", #"minute field "abc": "abc" is not a number"#),
        ("+5 * * * *", #"minute field "+5": "+5" is not a number"#),
        ("-5 * * * *", #"minute field "-5": a value is missing"#),
        ("1-2-3 * * * *", #"minute field "1-2-3": "1-2-3" is not a value or a range a-b"#),
        ("5-* * * * *", #"minute field "5-*": "*" is not a number"#),
        ("* * * FOO *", #"month field "FOO": "FOO" is not a number or a month name"#),
        ("* * * * FUNDAY", #"day-of-week field "FUNDAY": "FUNDAY" is not a number or a day name"#),
        ("* * MON * *", #"day-of-month field "MON": "MON" is not a number"#),
        ("* * * *", #"cron expression "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 4"#),
        ("* * * * * *", #"cron expression "* * * * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 6"#),
        ("", #"cron expression "": the expression is empty"#),
        ("  ", #"cron expression "  ": the expression is empty"#),
        ("@reboot", #"cron expression "@reboot": unknown macro (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"#),
        ("@daily 5", #"cron expression "@daily 5": unknown macro (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"#),
    ])
    func refuses(_ expression: String, _ message: String) {
        #expect(refusal(expression) == message)
    }

    @Test func refusalNamesTheField() {
        #expect(throws: CronScheduleError(field: .hour, text: "24", reason: "24 is out of 0-23")) {
            try CronSchedule("0 24 * * *")
        }
    }
}

// MARK: - Months, years, leap days

extension CronScheduleTests {
    @Test func monthsWithoutTheDayAreSkipped() throws {
        #expect(try times("0 0 31 * *", after: "2024-01-31 00:00", count: 4)
            == ["2024-03-31 00:00 +0000", "2024-05-31 00:00 +0000", "2024-07-31 00:00 +0000", "2024-08-31 00:00 +0000"])
        #expect(try times("30 23 30 * *", after: "2024-01-30 23:30", count: 2) == ["2024-03-30 23:30 +0000", "2024-04-30 23:30 +0000"])
    }

    @Test func yearRollover() throws {
        #expect(try times("0 0 1 1 *", after: "2024-12-31 23:59:59") == ["2025-01-01 00:00 +0000"])
        #expect(try times("59 23 31 12 *", after: "2024-12-31 23:59", count: 2) == ["2025-12-31 23:59 +0000", "2026-12-31 23:59 +0000"])
        #expect(try times("* * * * *", after: "2024-12-31 23:59") == ["2025-01-01 00:00 +0000"])
    }

    @Test func leapDays() throws {
        #expect(try times("0 0 29 2 *", after: "2025-01-01 00:00", count: 2) == ["2028-02-29 00:00 +0000", "2032-02-29 00:00 +0000"])
        #expect(try times("0 0 29 2 *", after: "2024-02-29 00:00") == ["2028-02-29 00:00 +0000"])
        // 2100 is not a leap year: eight years to the next leap day.
        #expect(try times("0 0 29 2 *", after: "2096-03-01 00:00") == ["2104-02-29 00:00 +0000"])
        #expect(try times("0 0 28,29 2 *", after: "2023-02-28 00:00", count: 2)
            == ["2024-02-28 00:00 +0000", "2024-02-29 00:00 +0000"])
    }

    @Test func impossibleDatesNeverMatch() throws {
        #expect(try CronSchedule("0 0 30 2 *").next(after: date("2024-01-01 00:00")) == nil)
        #expect(try CronSchedule("0 0 31 4,6,9,11 *").next(after: date("2024-01-01 00:00")) == nil)
    }
}

// MARK: - Time zones and daylight saving (Europe/Berlin: 2024-03-31 02:00 CET -> 03:00 CEST, 2024-10-27 03:00 CEST -> 02:00 CET)

extension CronScheduleTests {
    @Test func readsTheWallClockOfItsZone() throws {
        #expect(try times("0 9 * * *", after: "2024-03-30 00:00 +0100", count: 2, in: Self.berlin)
            == ["2024-03-30 09:00 +0100", "2024-03-31 09:00 +0200"])
        #expect(try CronSchedule("0 9 * * *", timeZone: Self.berlin).next(after: date("2024-06-01 00:00")) == date("2024-06-01 07:00"))
    }

    /// A wall time the clock skips fires once, when the clock jumps past it.
    @Test func springForwardFiresAtTheEndOfTheGap() throws {
        #expect(try times("30 2 * * *", after: "2024-03-29 12:00 +0100", count: 3, in: Self.berlin)
            == ["2024-03-30 02:30 +0100", "2024-03-31 03:00 +0200", "2024-04-01 02:30 +0200"])
        #expect(try times("*/30 * * * *", after: "2024-03-31 01:00 +0100", count: 3, in: Self.berlin)
            == ["2024-03-31 01:30 +0100", "2024-03-31 03:00 +0200", "2024-03-31 03:30 +0200"])
        #expect(try times("30 2,3 * * *", after: "2024-03-31 00:00 +0100", count: 3, in: Self.berlin)
            == ["2024-03-31 03:00 +0200", "2024-03-31 03:30 +0200", "2024-04-01 02:30 +0200"])
        #expect(try times("0 3 * * *", after: "2024-03-30 12:00 +0100", count: 2, in: Self.berlin)
            == ["2024-03-31 03:00 +0200", "2024-04-01 03:00 +0200"])
    }

    /// A wall time the clock repeats fires at its first occurrence only.
    @Test func fallBackFiresOnce() throws {
        #expect(try times("30 2 * * *", after: "2024-10-26 12:00 +0200", count: 2, in: Self.berlin)
            == ["2024-10-27 02:30 +0200", "2024-10-28 02:30 +0100"])
        #expect(try times("*/30 * * * *", after: "2024-10-27 01:30 +0200", count: 4, in: Self.berlin)
            == ["2024-10-27 02:00 +0200", "2024-10-27 02:30 +0200", "2024-10-27 03:00 +0100", "2024-10-27 03:30 +0100"])
        #expect(try times("0 * * * *", after: "2024-10-27 00:30 +0200", count: 3, in: Self.berlin)
            == ["2024-10-27 01:00 +0200", "2024-10-27 02:00 +0200", "2024-10-27 03:00 +0100"])
        // From inside the repeat, its wall times already happened.
        #expect(try times("*/30 * * * *", after: "2024-10-27 02:10 +0100", in: Self.berlin) == ["2024-10-27 03:00 +0100"])
    }
}

extension CronScheduleTests {
    /// West of UTC (New York) and a half-hour change (Lord Howe Island, +1030 to +1100).
    @Test func otherZonesChanges() throws {
        let newYork = TimeZone(identifier: "America/New_York")!
        #expect(try times("30 2 * * *", after: "2024-03-09 12:00 -0500", count: 2, in: newYork)
            == ["2024-03-10 03:00 -0400", "2024-03-11 02:30 -0400"])
        #expect(try times("30 1 * * *", after: "2024-11-02 12:00 -0400", count: 2, in: newYork)
            == ["2024-11-03 01:30 -0400", "2024-11-04 01:30 -0500"])
        let lordHowe = TimeZone(identifier: "Australia/Lord_Howe")!
        #expect(try times("15 2 * * *", after: "2024-10-05 12:00 +1030", count: 2, in: lordHowe)
            == ["2024-10-06 02:30 +1100", "2024-10-07 02:15 +1100"])
    }
}

// MARK: - Many calls

extension CronScheduleTests {
    /// Not a timing assertion: these must merely finish, and each answer be right.
    @Test func manySuccessiveCalls() throws {
        let everyFive = try CronSchedule("*/5 * * * *")
        var last = date("2024-01-01 00:00")
        for _ in 0..<10_000 {
            let next = try #require(everyFive.next(after: last))
            #expect(next.timeIntervalSince(last) == 300)
            last = next
        }
        #expect(text(last, in: TimeZone(identifier: "UTC")!) == "2024-02-04 17:20 +0000")

        let leapDay = try CronSchedule("0 0 29 2 *", timeZone: Self.berlin)
        var leap = date("2000-01-01 00:00")
        for _ in 0..<50 { leap = try #require(leapDay.next(after: leap)) }
        #expect(text(leap, in: Self.berlin) == "2204-02-29 00:00 +0100")

        let never = try CronSchedule("0 0 30 2 *")
        for day in 0..<1_000 {
            #expect(never.next(after: date("2024-01-01 00:00").addingTimeInterval(Double(day) * 86_400)) == nil)
        }
    }
}
