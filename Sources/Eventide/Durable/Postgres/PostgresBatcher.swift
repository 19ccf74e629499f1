import EventidePostgres

/// Group commit on PostgreSQL: jobs handed in while `maxInFlight` batches are being
/// committed wait, and go together into the next batch, on one connection of the pool.
/// Loop-bound: every method runs on the client's loop.
///
/// A job marked alone goes in a batch of its own (it failed in a batch with others for a
/// reason of its own: bad data must not fail other requests' tasks).
final class PostgresBatcher<Job> {
    /// Commits `batch` on `connection` and calls `done` once it no longer needs it.
    typealias Commit = (_ batch: [Job], _ connection: PostgresConnection, _ done: @escaping () -> Void) -> Void

    private let client: PostgresClient
    private let maxInFlight: Int
    private let maxBatch: Int
    private let weight: (Job) -> Int
    private let isAlone: (Job) -> Bool
    private let commit: Commit
    private let fail: (_ batch: [Job], _ error: any Error) -> Void
    private var waiting: [Job] = []
    private var inFlight = 0
    private var idleWaiters: [() -> Void] = []
    /// Whether batches may go out (false until the store is ready).
    var isOpen = false {
        didSet { if isOpen { flush() } }
    }

    init(
        client: PostgresClient, maxInFlight: Int, maxBatch: Int, weight: @escaping (Job) -> Int, isAlone: @escaping (Job) -> Bool,
        commit: @escaping Commit, fail: @escaping (_ batch: [Job], _ error: any Error) -> Void
    ) {
        self.client = client
        self.maxInFlight = maxInFlight
        self.maxBatch = maxBatch
        self.weight = weight
        self.isAlone = isAlone
        self.commit = commit
        self.fail = fail
    }

    /// Jobs waiting for a batch.
    var backlog: Int { waiting.count }

    func add(_ job: Job) {
        waiting.append(job)
        flush()
    }

    /// Fails every waiting job with `error` (the store cannot reach the database).
    func failWaiting(_ error: any Error) {
        let jobs = waiting
        waiting = []
        if !jobs.isEmpty { fail(jobs, error) }
        callIdleWaiters()
    }

    /// Calls `idle` once no job waits and no batch is in flight (at once, if so).
    func whenIdle(_ idle: @escaping () -> Void) {
        idleWaiters.append(idle)
        callIdleWaiters()
    }

    private func callIdleWaiters() {
        guard waiting.isEmpty, inFlight == 0, !idleWaiters.isEmpty else { return }
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter() }
    }

    private func flush() {
        defer { callIdleWaiters() }
        while isOpen, inFlight < maxInFlight, !waiting.isEmpty {
            let batch = takeBatch()
            inFlight += 1
            client.acquire { [self] result in
                switch result {
                case .failure(let error):
                    fail(batch, error)
                    inFlight -= 1
                    flush()
                case .success(let connection):
                    commit(batch, connection) { [self] in
                        client.release(connection)
                        inFlight -= 1
                        flush()
                    }
                }
            }
        }
    }

    /// The first waiting job alone if it must be, else the waiting jobs up to `maxBatch`
    /// (by weight) or the next job that must go alone.
    private func takeBatch() -> [Job] {
        if isAlone(waiting[0]) { return [waiting.removeFirst()] }
        var count = 0
        var total = 0
        while count < waiting.count, !isAlone(waiting[count]), count == 0 || total + weight(waiting[count]) <= maxBatch {
            total += weight(waiting[count])
            count += 1
        }
        defer { waiting.removeFirst(count) }
        return Array(waiting[..<count])
    }
}
