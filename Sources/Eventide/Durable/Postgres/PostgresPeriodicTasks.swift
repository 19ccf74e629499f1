import EventidePostgres

/// Periodic tasks on PostgreSQL: the coordinator adds each schedule's due runs and moves
/// its next run on in one transaction, the schedule's row locked, so a run is added once
/// per period across the whole fleet (the same rules as `TaskStore.enqueueDue`).
enum PostgresPeriodicTasks {
    static func enqueueDue(_ schedules: [PeriodicTask], client: PostgresClient, now: Int64) async throws -> Int {
        try await client.withTransaction { transaction in
            var added = 0
            for periodic in schedules {
                let spec = periodic.schedule.description
                let stored = try await transaction.query(PostgresTaskSQL.periodicSchedule, [.text(periodic.name)])
                guard stored.count > 0, stored.string(0, 0) == spec else {
                    // New or changed: the first run is the schedule's next after now.
                    _ = try await transaction.query(PostgresTaskSQL.periodicReset, [
                        .text(periodic.name), .text(spec), timestamp(periodic.schedule.next(after: now)),
                    ])
                    continue
                }
                guard var due = stored.timestampMilliseconds(0, 1), due <= now else { continue }
                var batch = EnqueueBatch()
                while due <= now {
                    var run = periodic.template
                    run.runAt = due
                    batch.append(run, job: 0, row: batch.entries.count, now: now, keepingDueTime: true)
                    guard periodic.catchUp, batch.entries.count < PeriodicTask.maxCatchUp, let next = periodic.schedule.next(after: due) else {
                        break
                    }
                    due = next
                }
                added += try await transaction.pipeline(batch.statements)[0].count
                // Past the last run added: the next one due (catching up), else the
                // schedule's next after now (one run stood for every missed one).
                let next = due > now ? due : periodic.schedule.next(after: now)
                _ = try await transaction.query(PostgresTaskSQL.periodicAdvance, [.text(periodic.name), timestamp(next)])
            }
            return added
        }
    }

    private static func timestamp(_ milliseconds: Int64?) -> PostgresValue {
        milliseconds.map { .timestamp(milliseconds: $0) } ?? .null
    }
}
