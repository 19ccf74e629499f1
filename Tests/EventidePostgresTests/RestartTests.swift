import EventidePostgres
import EventideUVLoop
import Testing

/// Stops and starts a cluster of its own (ScratchCluster), so the shared one stays up.
@Suite(.serialized) struct RestartTests {
    @Test func acquireFailsFastWhileTheServerIsDownAndRecoversAfter() async throws {
        let cluster = try await ScratchCluster()
        defer { Task { await cluster.remove() } }  // when the test fails early
        let client = try PostgresClient(cluster.url, size: 2, logger: testLogger)
        _ = try await client.query("SELECT 1")
        try await cluster.stop()
        // Once the pool saw the loss and a reconnect failed, requests fail at once.
        var failure: PostgresError?
        for _ in 0..<150 where failure?.kind != .unavailable {
            do { _ = try await client.query("SELECT 1") } catch let error as PostgresError { failure = error }
            if failure?.kind != .unavailable { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(failure?.kind == .unavailable)
        #expect(!client.isAvailable)
        // "At once": before acquire returns, measured on the loop.
        let (immediate, answered) = await onLoop(client.loop) { done in
            var outcome: Result<PostgresConnection, PostgresError>?
            client.acquire { outcome = $0 }
            done((outcome?.failure?.kind, outcome != nil))
        }
        #expect(answered && immediate == .unavailable)
        try await cluster.start()
        var recovered = false
        for _ in 0..<200 where !recovered {
            recovered = (try? await client.query("SELECT 1")) != nil
            if !recovered { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(recovered)
        #expect(client.isAvailable)
        await client.close()

        // A server down when the pool starts: the first request fails, the pool keeps
        // probing, and requests work once the server is up.
        try await cluster.stop()
        let late = try PostgresClient(cluster.url, logger: testLogger)
        await #expect(throws: PostgresError.self) { try await late.query("SELECT 1") }
        try await cluster.start()
        var up = false
        for _ in 0..<200 where !up {
            up = (try? await late.query("SELECT 1")) != nil
            if !up { try await Task.sleep(for: .milliseconds(25)) }
        }
        #expect(up)
        await late.close()
        await cluster.remove()
    }

    @Test func theListenerListensAgainAfterItsSessionIsLost() async throws {
        let url = try TestDatabase.url()
        let client = try PostgresClient(url, logger: testLogger)
        let loop = client.loop
        let events = Events()
        let listener: LoopBound<PostgresListener> = await onLoop(loop) { done in
            let listener = PostgresListener(client: client, channels: ["jobs"])
            listener.onNotification = { events.append("notify \($0.payload)") }
            listener.onReconnect = { events.append("reconnect") }
            listener.onSessionLost = { events.append("lost \($0.isConnectionLoss)") }
            listener.onListening = { [unowned listener] in
                listener.onListening = nil
                done(LoopBound(listener, loop: loop))
            }
        }
        let verified: Result<Void, PostgresError> = await onLoop(loop) { done in listener.value.verify(done) }
        #expect(verified.isSuccess)
        _ = try await client.query("SELECT pg_notify('jobs', 'one')")
        try await events.wait(for: "notify one")
        let pid = await onLoop(loop) { done in done(listener.value.backendPID) }
        _ = try await client.query("SELECT pg_terminate_backend($1)", [.int32(pid)])
        try await events.wait(for: "reconnect")
        _ = try await client.query("SELECT pg_notify('jobs', 'two')")
        try await events.wait(for: "notify two")
        #expect(events.all == ["notify one", "lost true", "reconnect", "notify two"])
        let ran: [Result<PostgresRows, PostgresError>] = await onLoop(loop) { done in
            listener.value.run([PostgresStatement("SELECT pg_try_advisory_lock(42)")], done)
        }
        #expect(try ran[0].get().bool(0, 0) == true)
        _ = await onLoop(loop) { done in listener.value.close(); done(true) }
        await client.close()
    }
}

/// Strings appended from the loop, awaited from the test.
final class Events: Sendable {
    private let list = Locked<[String]>([])

    func append(_ event: String) { list.withLock { $0.append(event) } }

    var all: [String] { list.withLock { $0 } }

    func wait(for event: String) async throws {
        for _ in 0..<250 {
            if all.contains(event) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no \(event) within 5 s; got \(all)")
    }
}
