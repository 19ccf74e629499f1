import EventidePostgres

extension TaskQueue {
    /// The PostgreSQL client of a queue on `.postgres` (nil for other stores): its pool
    /// serves your own queries too, and `withTransaction` opens the transactions that
    /// `enqueue(_:options:in:)` writes tasks in.
    public var postgres: PostgresClient? { (store as? PostgresTaskStore)?.client }

    /// Creates or updates the task tables (idempotent; safe when several processes run it
    /// at once: they wait for each other on an advisory lock). Returns the schema version
    /// found before. A queue does this by itself when it connects unless
    /// `PostgresStoreSettings.migrate` is false.
    @discardableResult
    public func migrate() async throws -> Int {
        guard let client = postgres else { return PostgresTaskSchema.version }
        return try await PostgresTaskSchema.migrate(client)
    }

    /// Stores `task` inside your own transaction: it exists, and workers see it, only if
    /// and when that transaction commits, together with your rows.
    ///
    /// ```swift
    /// try await queue.postgres!.withTransaction { transaction in
    ///     _ = try await transaction.query("INSERT INTO users (email) VALUES ($1)", [.text(email)])
    ///     try await queue.enqueue(SendWelcome(email: email), in: transaction)
    /// }
    /// ```
    @discardableResult
    public func enqueue<Task: DurableTask>(
        _ task: Task, options: DurableTaskOptions = DurableTaskOptions(), in transaction: PostgresTransaction
    ) async throws -> Receipt {
        try await enqueue([(task, options)], in: transaction)[0]
    }

    /// Stores several tasks inside your own transaction (see `enqueue(_:options:in:)`).
    public func enqueue<Task: DurableTask>(
        _ tasks: [(Task, DurableTaskOptions)], in transaction: PostgresTransaction
    ) async throws -> [Receipt] {
        let now = store.now()
        var batch = EnqueueBatch()
        for (index, (task, options)) in tasks.enumerated() {
            batch.append(try Self.row(for: task, options: options, now: now), job: 0, row: index, now: now)
        }
        let answers = try await transaction.pipeline(batch.statements)
        let outcomes = batch.outcomes(inserted: answers[0], holders: batch.hasKeys ? answers[1] : nil)
        return try zip(outcomes, tasks).map { outcome, task in
            guard let outcome else { throw PostgresTaskStoreError.uniqueKeyRace(key: task.1.uniqueKey ?? "") }
            return Receipt(outcome)
        }
    }
}
