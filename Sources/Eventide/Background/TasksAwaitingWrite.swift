/// One connection's background tasks whose response is not fully written yet (rule 5):
/// each list starts once the transport's written byte count reaches the end of its
/// response, or when the connection closes (the work was accepted, so it still runs).
/// Loop-bound.
struct TasksAwaitingWrite {
    private struct Waiting {
        /// The transport's `bytesQueued` once the response's last byte is queued.
        let offset: UInt64
        let requestID: RequestID
        let entries: [BackgroundTaskLifecycle.Entry]
    }

    private var waiting: [Waiting] = []

    /// Holds `entries` until `offset` bytes have been written.
    mutating func add(_ entries: [BackgroundTaskLifecycle.Entry], requestID: RequestID, startingAt offset: UInt64) {
        waiting.append(Waiting(offset: offset, requestID: requestID, entries: entries))
    }

    /// Hands every list whose response is written (`written` bytes so far) to `start`.
    mutating func takeWritten(upTo written: UInt64, _ start: ([BackgroundTaskLifecycle.Entry], RequestID) -> Void) {
        guard let first = waiting.first, first.offset <= written else { return }
        var started = 0
        for list in waiting {
            guard list.offset <= written else { break }
            start(list.entries, list.requestID)
            started += 1
        }
        waiting.removeFirst(started)
    }

    /// Hands every list to `start` (the connection closed).
    mutating func takeAll(_ start: ([BackgroundTaskLifecycle.Entry], RequestID) -> Void) {
        for list in waiting { start(list.entries, list.requestID) }
        waiting = []
    }
}
