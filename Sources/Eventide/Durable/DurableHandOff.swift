import EventideUVLoop

/// Tasks a commit stored already `running` for this process's workers (their queue had a
/// free slot and nothing else waiting): they start without a claim, once the response
/// that added them has been written (or at once, for `TaskQueue.enqueue`).
struct DurableHandOff: Sendable {
    fileprivate(set) var tasks: [(runner: QueueRunner, task: ClaimedTask)] = []

    var isEmpty: Bool { tasks.isEmpty }

    mutating func reserveCapacity(_ count: Int) {
        tasks.reserveCapacity(count)
    }

    mutating func append(_ task: ClaimedTask, to runner: QueueRunner) {
        tasks.append((runner, task))
    }

    mutating func append(contentsOf other: DurableHandOff) {
        tasks.append(contentsOf: other.tasks)
    }

    /// Hands each task to its runner; blocking ones go to the blocking pool through
    /// `submit` (by default, straight to the queue's pool).
    func start(submittingBlockingWork submit: ((@escaping WorkerPool.Job) -> Void)? = nil) {
        for (runner, task) in tasks { runner.adopt(task, submit: submit) }
    }
}
