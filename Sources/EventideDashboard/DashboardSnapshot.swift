import Eventide
import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the dashboard shows at one moment, besides the task lists: the durable tasks'
/// counts per queue and state, the in-process counters and the in-process tasks not
/// finished. `GET counts.json` is this as JSON; the page's script polls it and reloads
/// the page's content when `version` changes.
struct DashboardSnapshot: Encodable, Sendable {
    /// Durable tasks per queue and state (nil: the dashboard has no durable queue).
    var durable: [String: [String: Int]]?
    /// The server's in-process task counters (`BackgroundTaskStatistics`).
    var inProcess: InProcessCounts
    /// The in-process tasks accepted and not finished, oldest first.
    var unfinished: [InProcessTask]
    /// Changes whenever `durable` or `unfinished` does (not with the counters alone).
    var version: String
    /// When this was taken, in milliseconds since the Unix epoch.
    var time: Int64

    struct InProcessCounts: Encodable, Sendable {
        var added, running, succeeded, failed, skipped, rejected, cancelled, unfinished: Int

        init(_ statistics: BackgroundTaskStatistics) {
            (added, running, succeeded, failed, skipped) =
                (statistics.added, statistics.running, statistics.succeeded, statistics.failed, statistics.skipped)
            (rejected, cancelled, unfinished) = (statistics.rejected, statistics.cancelled, statistics.unfinished)
        }

        /// Name and value, in the order the page shows them.
        var fields: [(String, Int)] {
            [("added", added), ("running", running), ("succeeded", succeeded), ("failed", failed), ("skipped", skipped),
             ("rejected", rejected), ("cancelled", cancelled), ("unfinished", unfinished)]
        }
    }

    struct InProcessTask: Encodable, Sendable {
        var id: UInt64
        var name: String
        /// `running`, or `pending` (waiting for its response's write or the tasks before it).
        var state: String
    }

    /// Reads the counts of `queue` (if any) and the server's in-process tasks.
    static func take(queue: TaskQueue?, service: BackgroundTaskLifecycle.Shared) async throws -> DashboardSnapshot {
        let durable = try await queue?.counts().mapValues { states in
            Dictionary(uniqueKeysWithValues: states.map { ($0.key.rawValue, $0.value) })
        }
        let unfinished = await service.unfinishedTasks().map { handle in
            InProcessTask(id: handle.id, name: handle.name, state: handle.state == .running ? "running" : "pending")
        }
        let statistics = service.counters.snapshot
        // Sorted keys: the same content gives the same version.
        var hash = SHA256()
        hash.update(data: try JSONBytesEncoder.encode(durable, formatting: [.sortedKeys]))
        hash.update(data: try JSONBytesEncoder.encode(unfinished, formatting: [.sortedKeys]))
        let version = DashboardKeys.hex(Array(hash.finalize().prefix(8)))
        return DashboardSnapshot(
            durable: durable, inProcess: InProcessCounts(statistics), unfinished: unfinished, version: version,
            time: queue?.store.now() ?? Self.wallClock())
    }

    /// The total of `state` over the queues (or in `queue` only).
    func count(_ state: DurableTaskState, queue: String? = nil) -> Int {
        guard let durable else { return 0 }
        if let queue { return durable[queue]?[state.rawValue] ?? 0 }
        return durable.values.reduce(0) { $0 + ($1[state.rawValue] ?? 0) }
    }

    private static func wallClock() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
