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
                guard let due = stored.timestampMilliseconds(0, 1), due <= now else { continue }
                let (runs, next) = periodic.runs(due: due, now: now)
                var batch = EnqueueBatch()
                for (index, run) in runs.enumerated() { batch.append(run, job: 0, row: index, now: now, keepingDueTime: true) }
                added += try await transaction.pipeline(batch.statements)[0].count
                _ = try await transaction.query(PostgresTaskSQL.periodicAdvance, [.text(periodic.name), timestamp(next)])
            }
            return added
        }
    }

    private static func timestamp(_ milliseconds: Int64?) -> PostgresValue {
        milliseconds.map { .timestamp(milliseconds: $0) } ?? .null
    }
}
