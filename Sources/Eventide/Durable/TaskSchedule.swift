import Foundation

/// When a periodic durable task runs: every fixed interval, or on a cron expression.
///
/// ```swift
/// try queue.schedule(.every(.minutes(5)), PruneSessions())
/// try queue.schedule(.cron("0 3 * * *", timeZone: TimeZone(identifier: "Europe/Berlin")!), NightlyReport())
/// ```
public struct TaskSchedule: Sendable, Hashable, CustomStringConvertible {
    private enum Rule: Sendable, Hashable {
        case every(milliseconds: Int64)
        case cron(CronSchedule)
    }
    private let rule: Rule

    /// Every `interval` (at least one second), counted from when the schedule was first
    /// stored: the first run is one interval after that.
    public static func every(_ interval: Duration) -> TaskSchedule {
        TaskSchedule(rule: .every(milliseconds: max(1_000, Int64(interval.wholeMilliseconds))))
    }

    /// At the times `schedule` matches.
    public static func cron(_ schedule: CronSchedule) -> TaskSchedule {
        TaskSchedule(rule: .cron(schedule))
    }

    /// At the times the cron `expression` matches, read in `timeZone` (UTC unless given).
    ///
    /// - Throws: `CronScheduleError` naming the field and the reason.
    public static func cron(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(CronScheduleError) -> TaskSchedule {
        .cron(try CronSchedule(expression, timeZone: timeZone))
    }

    /// The schedule as stored with its runs: when it changes, the next run is counted
    /// afresh from the change.
    public var description: String {
        switch rule {
        case .every(let milliseconds): "every \(milliseconds) ms"
        case .cron(let schedule): "cron \(schedule.description) \(schedule.timeZone.identifier)"
        }
    }

    /// The first run strictly after `time` (milliseconds since the Unix epoch); nil when
    /// there is none (a cron expression that never matches again).
    func next(after time: Int64) -> Int64? {
        switch rule {
        case .every(let milliseconds):
            return time + milliseconds
        case .cron(let schedule):
            let date = Date(timeIntervalSince1970: Double(time) / 1000)
            return schedule.next(after: date).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
        }
    }
}

/// A periodic task as a store sees it: which rows to add when it is due.
package struct PeriodicTask: Sendable {
    /// Its identity in the store (one next-run time per name).
    package var name: String
    /// The schedule's description: a change restarts the count from now.
    package var schedule: TaskSchedule
    /// The row each run adds (its `runAt` is the run's due time).
    package var template: NewDurableTask
    /// Whether runs missed while nothing was running are each added (at most
    /// `maxCatchUp`), rather than one for all of them.
    package var catchUp: Bool

    /// The most runs one pass adds for a schedule that catches up.
    package static let maxCatchUp = 1_000

    package init(name: String, schedule: TaskSchedule, template: NewDurableTask, catchUp: Bool) {
        self.name = name
        self.schedule = schedule
        self.template = template
        self.catchUp = catchUp
    }

    /// The runs to add at `now` for a schedule whose next run was `due` (at or before
    /// `now`): one for every run missed, or each of them when catching up (at most
    /// `maxCatchUp`); and the next run to keep: past the last one added (catching up),
    /// else the schedule's next after now.
    package func runs(due: Int64, now: Int64) -> (runs: [NewDurableTask], next: Int64?) {
        var due = due
        var runs: [NewDurableTask] = []
        while due <= now {
            var run = template
            run.runAt = due
            runs.append(run)
            guard catchUp, runs.count < Self.maxCatchUp, let next = schedule.next(after: due) else { break }
            due = next
        }
        return (runs, due > now ? due : schedule.next(after: now))
    }
}

extension Duration {
    /// `minutes` minutes, for schedules and delays: `.every(.minutes(5))`.
    public static func minutes(_ minutes: Int) -> Duration { .seconds(minutes * 60) }

    /// `hours` hours: `.every(.hours(6))`.
    public static func hours(_ hours: Int) -> Duration { .seconds(hours * 3600) }
}
