extension TaskQueue {
    /// Runs `task` on `schedule`, as a durable task like any other (retried, unique by
    /// its options' key, visible in `counts()`), added by this process's workers when
    /// due: one run per period, also across restarts. Runs missed while no worker was
    /// running are made up by one run, or by one each (at most 1,000 at a time) with
    /// `catchUp`. Register schedules before `start()` (or the server's start) in every
    /// process that runs workers on the store; the store keeps one next-run time per
    /// `name` (default: the task's kind), so two schedules of one kind need two names.
    ///
    /// ```swift
    /// try queue.schedule(.every(.minutes(5)), PruneSessions())
    /// try queue.schedule(.cron("0 3 * * *"), NightlyReport(), options: .init(queue: "reports"))
    /// ```
    ///
    /// - Throws: `DurableTaskUnavailable.unregistered` when the task's type is not among
    ///   the queue's `tasks`; `EncodingError` when it does not encode;
    ///   `PeriodicTaskConflict` when `name` is scheduled already.
    public func schedule<Task: DurableTask>(
        _ schedule: TaskSchedule, _ task: Task, name: String? = nil, options: DurableTaskOptions = DurableTaskOptions(),
        catchUp: Bool = false
    ) throws {
        guard kinds[Task.name] != nil else { throw DurableTaskUnavailable.unregistered(kind: Task.name) }
        let periodic = PeriodicTask(
            name: name ?? Task.name, schedule: schedule, template: try Self.row(for: task, options: options, now: 0), catchUp: catchUp)
        try periodicTasks.withLock { (all: inout [PeriodicTask]) throws(PeriodicTaskConflict) in
            guard !all.contains(where: { $0.name == periodic.name }) else { throw PeriodicTaskConflict(name: periodic.name) }
            all.append(periodic)
        }
    }

    /// Adds the due runs of the periodic tasks (the workers call it at each poll).
    func enqueueDuePeriodicTasks() async {
        let schedules = periodicTasks.withLock { $0 }
        guard !schedules.isEmpty else { return }
        do {
            let added = try await store.enqueueDue(schedules)
            if added > 0 { for queue in Set(schedules.map(\.template.queue)) { wake(queue: queue) } }
        } catch {
            logger.error("durable tasks: adding the due periodic tasks failed: \(error)")
        }
    }
}

/// `TaskQueue.schedule` was given a name scheduled already.
public struct PeriodicTaskConflict: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name both schedules have.
    public let name: String

    package init(name: String) { self.name = name }

    public var description: String { "a periodic task named \"\(name)\" is scheduled already: give the second one its own name" }
}
