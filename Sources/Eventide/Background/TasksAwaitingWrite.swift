/// One connection's background tasks whose response is not fully written yet (rule 5):
/// each list starts once the transport's written byte count reaches the end of its
/// response, or when the connection closes (the work was accepted, so it still runs).
/// A list may also hold the request's committed durable tasks that this process's
/// workers start at the same moment. Loop-bound.
struct TasksAwaitingWrite {
    /// One request's tasks.
    struct Waiting {
        /// The transport's `bytesQueued` once the response's last byte is queued.
        let offset: UInt64
        let requestID: RequestID
        let entries: [BackgroundTaskLifecycle.Entry]
        let handOff: DurableHandOff
    }

    private var waiting: [Waiting] = []

    /// Holds `entries` and `handOff` until `offset` bytes have been written.
    mutating func add(
        _ entries: [BackgroundTaskLifecycle.Entry], handOff: DurableHandOff, requestID: RequestID, startingAt offset: UInt64
    ) {
        waiting.append(Waiting(offset: offset, requestID: requestID, entries: entries, handOff: handOff))
    }

    /// Hands every list whose response is written (`written` bytes so far) to `start`.
    mutating func takeWritten(upTo written: UInt64, _ start: (Waiting) -> Void) {
        guard let first = waiting.first, first.offset <= written else { return }
        var started = 0
        for list in waiting {
            guard list.offset <= written else { break }
            start(list)
            started += 1
        }
        waiting.removeFirst(started)
    }

    /// Hands every list to `start` (the connection closed).
    mutating func takeAll(_ start: (Waiting) -> Void) {
        for list in waiting { start(list) }
        waiting = []
    }
}
