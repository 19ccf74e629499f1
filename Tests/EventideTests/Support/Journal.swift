import Eventide
import EventideUVLoop

/// A thread-safe list of strings that tasks append to, for asserting what ran in which
/// order, and for waiting until the entries expected have been recorded.
final class Journal: Sendable {
    private let entries = Watched<[String]>([])

    func record(_ entry: String) { entries.update { $0.append(entry) } }

    var all: [String] { entries.current }

    /// Suspends until `matches` holds for the entries or `timeout` seconds passed;
    /// returns whether it holds.
    func wait(timeout: Double = 15, until matches: @escaping @Sendable ([String]) -> Bool) async -> Bool {
        await entries.wait(timeout: timeout, until: matches)
    }
}
