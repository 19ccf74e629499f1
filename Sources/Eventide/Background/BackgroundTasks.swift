/// The request's background tasks, shared by the handler and every dependency it
/// resolves (FastAPI's `BackgroundTasks`). They run one after another, in the order
/// added, once the response's last byte was written.
///
/// ```swift
/// router.post("/send-notification/{email}") { request, tasks in
///     try tasks.add(writeNotification, request.pathParameters["email"]!, "some notification")
///     return ["message": "Notification sent in the background"]
/// }
/// ```
public struct BackgroundTasks: Sendable {
    @usableFromInline let context: RequestContext

    /// Stores a call to the synchronous `function` with `arguments` (captured now).
    /// It runs on the blocking thread pool unless `options` says otherwise.
    ///
    /// - Throws: `BackgroundTaskRejected` when the queue is full (uncaught: 503).
    @discardableResult @inlinable
    public func add<each Argument: Sendable>(
        _ function: @escaping @Sendable (repeat each Argument) throws -> Void,
        _ arguments: repeat each Argument,
        name: String? = nil,
        options: BackgroundTaskOptions = BackgroundTaskOptions(),
        fileID: String = #fileID,
        line: Int = #line
    ) throws(BackgroundTaskRejected) -> BackgroundTaskHandle {
        try context.append(BackgroundTask(function, repeat each arguments, name: name, options: options, fileID: fileID, line: line))
    }

    /// Stores a call to the `async` `function` with `arguments` (captured now). It
    /// runs on the request's event loop unless `options` says otherwise.
    ///
    /// - Throws: `BackgroundTaskRejected` when the queue is full (uncaught: 503).
    @discardableResult @inlinable
    public func add<each Argument: Sendable>(
        _ function: @escaping @Sendable (repeat each Argument) async throws -> Void,
        _ arguments: repeat each Argument,
        name: String? = nil,
        options: BackgroundTaskOptions = BackgroundTaskOptions(),
        fileID: String = #fileID,
        line: Int = #line
    ) throws(BackgroundTaskRejected) -> BackgroundTaskHandle {
        try context.append(BackgroundTask(function, repeat each arguments, name: name, options: options, fileID: fileID, line: line))
    }

    /// Stores a task made beforehand.
    @discardableResult
    public func add(_ task: BackgroundTask) throws(BackgroundTaskRejected) -> BackgroundTaskHandle {
        try context.append(task)
    }

    /// Adds a durable task: it is committed to the server's `TaskQueue` together with the
    /// request's other durable tasks, in one transaction, before the response leaves (a
    /// failed commit answers 503 with `Retry-After` instead, nothing stored). Not stored
    /// when the handler throws or answers 400 or above, unless `options.always`.
    ///
    /// - Throws: `DurableTaskUnavailable` when the server has no task queue or `Task` is
    ///   not registered with it (a programming error: the request answers 500).
    public func add<Task: DurableTask>(durable task: Task, options: DurableTaskOptions = DurableTaskOptions()) throws {
        try context.appendDurable(task, options: options)
    }

    /// Commits the durable tasks added so far now, in one transaction (grouped with other
    /// requests'), instead of with the response, and returns what each became: for a
    /// response that names its task (`/tasks/{id}`). They stay stored even if the handler
    /// fails afterwards; durable tasks added later commit with the response as usual.
    ///
    /// - Throws: `DurableTaskUnavailable.noTaskQueue`, or the store's error (nothing of
    ///   these tasks is stored then; uncaught, the request answers 500).
    @discardableResult
    public func commitDurable() async throws -> [TaskQueue.Receipt] {
        let (queue, rows) = try context.takeDurable()
        let (outcomes, handOff) = try await queue.commit(rows)
        context.addHandOff(handOff)
        return outcomes.map(TaskQueue.Receipt.init)
    }

    /// How many tasks this request has added so far.
    public var count: Int { context.taskCount }
}

extension Request {
    /// The request's background tasks (the same collection dependencies receive).
    public var backgroundTasks: BackgroundTasks { BackgroundTasks(context: context) }
}
