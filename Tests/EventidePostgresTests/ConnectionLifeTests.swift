#if canImport(Glibc)
import Glibc
#endif
import EventidePostgres
import EventideUVLoop
import Testing

@Suite struct ConnectionLifeTests {
    @Test func notificationsAreDelivered() async throws {
        let test = try TestLoop()
        let listener = try await test.connect()
        let sender = try await test.connect()
        _ = try await test.query(listener, #"LISTEN "eventide test""#)
        let notification: PostgresNotification = await onLoop(test.loop) { done in
            listener.value.onNotification = done
            sender.value.run([PostgresStatement("SELECT pg_notify('eventide test', $1)", [.text("payload ✓")])]) { _ in }
        }
        #expect(notification.channel == "eventide test")
        #expect(notification.payload == "payload ✓")
        #expect(notification.backendPID == (await onLoop(test.loop) { done in done(sender.value.backendPID) }))
        try await test.finish(closing: [listener, sender])
    }

    @Test func aTerminatedBackendFailsPendingRunsAsConnectionLoss() async throws {
        let test = try TestLoop()
        let victim = try await test.connect()
        let killer = try await test.connect()
        let (runResult, closeError): (Result<PostgresRows, PostgresError>, PostgresError?) = await onLoop(test.loop) { done in
            var runResult: Result<PostgresRows, PostgresError>?
            victim.value.onClose = { error in done((runResult!, error)) }
            victim.value.run([PostgresStatement("SELECT pg_sleep(10)")]) { runResult = $0[0] }
            killer.value.run([PostgresStatement("SELECT pg_terminate_backend($1)", [.int32(victim.value.backendPID)])]) { _ in }
        }
        guard case .failure(let error) = runResult else {
            Issue.record("the sleep finished")
            return
        }
        #expect(error.isConnectionLoss)
        #expect(closeError?.isConnectionLoss == true)
        #expect(await onLoop(test.loop) { done in done(victim.value.isOpen) } == false)
        try await test.finish(closing: [killer])
    }

    @Test func connectingToAClosedPortFailsFast() async throws {
        let test = try TestLoop()
        let (result, elapsed) = await test.timedConnect(to: try PostgresConnectionString("postgres://postgres@127.0.0.1:1/postgres"), timeout: .seconds(2))
        #expect(elapsed < .seconds(2))
        guard case .failure(let error) = result else {
            Issue.record("connected to port 1")
            return
        }
        #expect(error.kind == .connectFailed)
        try await test.finish()
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        // A socket that listens but never accepts: the TCP connect succeeds, no reply comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)
        let test = try TestLoop()
        let (result, elapsed) = await test.timedConnect(to: try PostgresConnectionString("host=127.0.0.1 port=\(port) user=x"), timeout: .milliseconds(200))
        #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(2))
        if case .failure(let error) = result { #expect(error.kind == .timeout) } else { Issue.record("connected") }
        try await test.finish()
    }

    @Test func aSlowQueryNeverBlocksTheLoop() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        let (gaps, ticks, rows): ([UInt64], Int, Result<PostgresRows, PostgresError>) = await onLoop(test.loop) { done in
            let timer = LoopTimer(loop: test.loop)
            var last = EventLoop.monotonicNanoseconds
            var gaps: [UInt64] = []
            timer.start(afterMilliseconds: 10, repeating: 10) {
                let now = EventLoop.monotonicNanoseconds
                gaps.append(now - last)
                last = now
            }
            connection.value.run([PostgresStatement("SELECT pg_sleep(0.5)")]) { results in
                timer.close()
                done((gaps, gaps.count, results[0]))
            }
        }
        #expect(throws: Never.self) { try rows.get() }
        // A loop blocked in libpq would tick once, after a gap as long as the query (500
        // ms). The bounds leave room for a thread descheduled by a busy machine.
        #expect(ticks >= 10)
        #expect((gaps.max() ?? 0) < 350_000_000)
        try await test.finish(closing: [connection])
    }
}
