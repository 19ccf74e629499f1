import EventidePostgres
import EventideUVLoop

/// At most one NOTIFY per queue per `interval` from this process, and never a lost one.
/// Loop-bound (the client's loop).
///
/// Every idle worker of a queue wakes and claims on each NOTIFY: one per commit, from
/// every web process, would cost the fleet a claim per commit per worker. A queue
/// notified within the interval is not notified with the next batch; once that batch
/// is committed, a trailing NOTIFY goes at the interval's end (after the commit: a
/// worker woken before it could miss its rows and sleep until the poll).
final class PostgresWakeUps {
    private let client: PostgresClient
    private let interval: UInt64
    /// When each queue was last notified (loop milliseconds).
    private var notifiedAt: [String: UInt64] = [:]
    private var trailing: Set<String> = []
    private var timer: LoopTimer?

    init(client: PostgresClient, interval milliseconds: UInt64 = 10) {
        self.client = client
        self.interval = milliseconds
    }

    /// Splits `queues` into those to notify with this batch (counted as notified now)
    /// and those to notify once the batch is committed (`defer`).
    func split(_ queues: Set<String>) -> (now: Set<String>, later: Set<String>) {
        guard !queues.isEmpty else { return ([], []) }
        let now = client.loop.nowMilliseconds
        var notifyNow: Set<String> = []
        var later: Set<String> = []
        for queue in queues {
            // One notified within the interval, or with a trailing NOTIFY pending: later.
            if trailing.contains(queue) || notifiedAt[queue].map({ now - $0 < interval }) == true {
                later.insert(queue)
            } else {
                notifyNow.insert(queue)
                notifiedAt[queue] = now
            }
        }
        return (notifyNow, later)
    }

    /// Queues whose committed tasks still need a NOTIFY: sent at the interval's end.
    func `defer`(_ queues: Set<String>) {
        guard !queues.isEmpty else { return }
        trailing.formUnion(queues)
        guard timer == nil else { return }
        let timer = LoopTimer(loop: client.loop)
        timer.keepsLoopAlive(false)
        self.timer = timer
        timer.start(afterMilliseconds: interval) { [self] in sendTrailing() }
    }

    private func sendTrailing() {
        timer?.close()
        timer = nil
        let queues = trailing
        trailing = []
        let now = client.loop.nowMilliseconds
        for queue in queues { notifiedAt[queue] = now }
        client.acquire { [client] result in
            guard case .success(let connection) = result else { return }
            connection.run([PostgresStatement(PostgresTaskSQL.notify, [.textArray(queues.sorted().map { $0 })])]) { _ in
                client.release(connection)
            }
        }
    }
}
