import Eventide
import EventideUVLoop

/// A thread-safe list of strings that tasks append to, for asserting what ran in which order.
final class Journal: Sendable {
    private let entries = Locked<[String]>([])

    func record(_ entry: String) { entries.withLock { $0.append(entry) } }

    var all: [String] { entries.withLock { $0 } }
}
