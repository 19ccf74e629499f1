import EventideUVLoop
import Logging

/// Per-request state shared by the handler and its dependencies: the background task
/// list and the dependency cache. `Sendable`: handlers may hand the request to other
/// tasks, so both are behind a lock.
@usableFromInline
package final class RequestContext: Sendable {
    package let service: BackgroundTaskLifecycle.Shared
    private let state: Locked<State>

    struct State {
        var requestID: RequestID
        var tasks: [BackgroundTaskLifecycle.Entry] = []
        var dependencies: [ObjectIdentifier: any Sendable] = [:]
        var sealed = false
        /// Durable tasks to commit before the response leaves, and which are `always` (two
        /// arrays: the common end hands the rows over whole, with no copy of each).
        var durable: [NewDurableTask] = []
        var durableAlways: [Bool] = []
        var durableSealed = false
        /// Committed durable tasks this process's workers start once the response is written.
        var handOff = DurableHandOff()
        /// The body of a `body: .stream` route, as it arrives.
        var streamedBody: RequestBodyChannel?

        /// `State(requestID:)` in place: only what the last request changed is written
        /// (assigning a fresh value released and stored every field, about 240
        /// instructions more per keep-alive request). A field added above must be reset here.
        mutating func reset(for id: RequestID) {
            requestID = id
            if !tasks.isEmpty { tasks = [] }
            if !dependencies.isEmpty { dependencies = [:] }
            sealed = false
            if !durable.isEmpty { durable = [] }
            if !durableAlways.isEmpty { durableAlways = [] }
            durableSealed = false
            if !handOff.isEmpty { handOff = DurableHandOff() }
            if streamedBody != nil { streamedBody = nil }
        }
    }

    package init(requestID: RequestID, service: BackgroundTaskLifecycle.Shared) {
        self.state = Locked(State(requestID: requestID))
        self.service = service
    }

    /// The body of a `body: .stream` route (kept here rather than in `Request`, which every
    /// request copies: a field there cost instructions on every plaintext request).
    var streamedBody: RequestBodyChannel? {
        get { state.withLock { $0.streamedBody } }
        set { state.withLock { $0.streamedBody = newValue } }
    }

    /// The request this context belongs to.
    var requestID: RequestID { state.withLock { $0.requestID } }

    /// Makes a sealed context that nobody else references fresh for the next request
    /// on the same connection, saving an allocation per request.
    func reuse(for requestID: RequestID) {
        state.withLock { $0.reset(for: requestID) }
    }

    /// Admits `task` and adds it to the list, in one critical section: a task is never
    /// admitted after `seal()` took the list (it would never run nor finish).
    @usableFromInline func append(_ task: BackgroundTask) throws(BackgroundTaskRejected) -> BackgroundTaskHandle {
        try state.withLock { (state: inout State) throws(BackgroundTaskRejected) -> BackgroundTaskHandle in
            if state.sealed {
                throw BackgroundTaskRejected(reason: .requestFinished, retryAfterSeconds: service.configuration.retryAfterSeconds)
            }
            let handle = BackgroundTaskHandle(id: try service.admit(), name: task.name)
            state.tasks.append((task: task, handle: handle))
            return handle
        }
    }

    var taskCount: Int { state.withLock { $0.tasks.count } }

    /// Ends the request: later `add` calls throw; returns the tasks in the order added.
    func seal() -> [BackgroundTaskLifecycle.Entry] {
        state.withLock { state in
            state.sealed = true
            defer { state.tasks = [] }
            return state.tasks
        }
    }

    /// Adds a durable task to commit with the response.
    ///
    /// - Throws: `DurableTaskUnavailable` when the server has no task queue, the kind is not
    ///   registered with it, or the response is already committed; `EncodingError` when
    ///   the task does not encode.
    func appendDurable<Task: DurableTask>(_ task: Task, options: DurableTaskOptions) throws {
        guard let queue = service.taskQueue else { throw DurableTaskUnavailable.noTaskQueue }
        guard let kind = queue.kinds[Task.name] else { throw DurableTaskUnavailable.unregistered(kind: Task.name) }
        let row = try TaskQueue.row(for: task, options: options, now: queue.store.now(), kind: kind)
        try state.withLock { (state: inout State) throws(DurableTaskUnavailable) in
            guard !state.durableSealed else { throw DurableTaskUnavailable.requestFinished }
            state.durable.append(row)
            state.durableAlways.append(options.always)
        }
    }

    /// Takes the durable tasks added so far (all of them: the handler commits them itself).
    func takeDurable() throws(DurableTaskUnavailable) -> (TaskQueue, [NewDurableTask]) {
        guard let queue = service.taskQueue else { throw .noTaskQueue }
        return (queue, state.withLock { state in
            state.durableAlways = []
            return Self.take(&state.durable)
        })
    }

    /// Ends the durable part of the request: later `add(durable:)` calls throw. Returns the
    /// rows to commit: all of them, or only the `always` ones when the request `failed`.
    func sealDurable(failed: Bool) -> [NewDurableTask] {
        state.withLock { state in
            state.durableSealed = true
            let always = Self.take(&state.durableAlways)
            let rows = Self.take(&state.durable)
            return failed ? rows.indices.filter { always[$0] }.map { rows[$0] } : rows
        }
    }

    /// Moves `array` out, leaving it empty.
    private static func take<Element>(_ array: inout [Element]) -> [Element] {
        var taken: [Element] = []
        swap(&taken, &array)
        return taken
    }

    /// Keeps committed tasks to start once the response is written.
    func addHandOff(_ handOff: DurableHandOff) {
        guard !handOff.isEmpty else { return }
        state.withLock { $0.handOff.append(contentsOf: handOff) }
    }

    /// Takes the committed tasks to start once the response is written.
    func takeHandOff() -> DurableHandOff {
        state.withLock { state in
            defer { state.handOff = DurableHandOff() }
            return state.handOff
        }
    }

    func cachedDependency(_ key: ObjectIdentifier) -> (any Sendable)? {
        state.withLock { $0.dependencies[key] }
    }

    func cacheDependency(_ key: ObjectIdentifier, _ value: any Sendable) {
        state.withLock { $0.dependencies[key] = value }
    }
}
