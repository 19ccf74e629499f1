import Eventide
import Foundation
import Testing

extension HostLoop.Mode: CustomTestStringConvertible {
    var testDescription: String {
        switch self {
        case .borrowed: "borrowed uv_loop_t run by the host"
        case .stepped: "owned loop in step mode"
        }
    }
}

/// A server embedded in a host's loop (`start(on:onStop:)`), the loop either a raw
/// `uv_loop_t` the host runs with `uv_run`, or an owned `EventLoop` the host advances
/// with `runOnce(wait: false)`. Each host has a timer of its own.
@Suite struct HostLoopEmbeddingTests {
    static let modes: [HostLoop.Mode] = [.borrowed, .stepped]

    @Test(arguments: modes)
    func servesRequestsAndRunsBackgroundTasksOnTheHostLoop(mode: HostLoop.Mode) async throws {
        let host = HostLoop(mode)
        let loop = host.loop!
        let journal = Journal()
        let server = try EmbeddingRoutes.server(journal)
        let onStop = Journal()
        try await loop.submit {
            try server.start(on: loop) { report in
                onStop.record("on its loop: \(loop.inEventLoop), drained: \(report.drainedCompletely)")
            }
        }
        let port = try #require(server.port)
        #expect(server.eventLoops.count == 1 && server.eventLoops.first === loop)

        #expect(try oneShotRequest(port, "GET", "/hello").text == "hello, on its loop: true")
        let notify = try oneShotRequest(port, "POST", "/notify/ada")
        #expect(notify.status == 200 && notify.text == "queued ada")
        #expect(await journal.wait { $0.count == 2 })
        #expect(journal.all == ["pool ada", "loop ada on its loop: true"])
        #expect(try await host.waitForTicks(2), "the host's timer keeps ticking beside the server")

        let report = try await server.stop()
        #expect(report.drainedCompletely)
        #expect(report.statistics.succeeded == 2)
        #expect(onStop.all == ["on its loop: true, drained: true"])
        #expect(isRefused(port))

        let outcome = try await host.finish()
        #expect(outcome.openHandles == 0)
        #expect(outcome.closeStatus == 0)
    }

    @Test(arguments: modes)
    func stopClosesEveryServerHandleAndLeavesTheHostsOwn(mode: HostLoop.Mode) async throws {
        let host = HostLoop(mode)
        let loop = host.loop!
        let journal = Journal()
        let gate = Gate()
        let server = try EmbeddingRoutes.server(journal, gate: gate)
        // The host's timer and the EventLoop wrapper's wake-up handle.
        #expect(try await loop.submit { loop.openHandleCount } == 2)
        try await loop.submit { try server.start(on: loop) }
        let port = try #require(server.port)

        // An idle keep-alive connection and a request in flight when the stop begins.
        var idle: RawClient? = try RawClient(port: port, receiveTimeout: 20)
        try idle!.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle!.readResponse()
        var busy: RawClient? = try RawClient(port: port, receiveTimeout: 20)
        try busy!.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await journal.wait { $0 == ["slow started"] })
        #expect(try await loop.submit { loop.openHandleCount } >= 5)

        server.shutdown()  // from this (non-loop) thread
        #expect(try idle!.isClosedByPeer())
        gate.open()
        let answered = try busy!.readResponse()
        #expect(answered.text == "slow done" && answered.headers["connection"] == "close")
        // The clients close their side, so the server need not linger.
        idle = nil
        busy = nil
        let report = await server.stopped()
        #expect(report.drainedCompletely)

        // Every server handle is closed; the host's timer and the wrapper's wake-up remain
        // and work.
        #expect(try await loop.submit { loop.openHandleCount } == 2)
        #expect(try await host.waitForTicks(3))
        #expect(try await loop.submit { loop.inEventLoop })
        // stopped() after the fact returns at once with the same report.
        #expect(await server.stopped().drainedCompletely)

        let outcome = try await host.finish()
        #expect(outcome.openHandles == 0)
        #expect(outcome.closeStatus == 0)
        await #expect(throws: EventLoopClosedError.self) { try await loop.submit { 0 } }
    }

    @Test(arguments: modes)
    func hundredStartStopCyclesOnOneHostLoopLeakNothing(mode: HostLoop.Mode) async throws {
        let host = HostLoop(mode)
        let loop = host.loop!
        let journal = Journal()
        func cycle(_ index: Int) async throws {
            let server = try EmbeddingRoutes.server(journal)
            try await loop.submit { try server.start(on: loop) }
            let response = try oneShotRequest(server.port!, "POST", "/notify/\(index)")
            #expect(response.status == 200)
            let report = try await server.stop()
            #expect(report.drainedCompletely)
        }
        for index in 0..<5 { try await cycle(index) }  // warm-up: caches, lazily created state
        let descriptors = openDescriptorCount()
        let memory = MemoryInUse()
        let grown = try await memory.growth(over: 5..<105) { try await cycle($0) }
        #expect(journal.all.count == 2 * 105)
        // Other suites run in parallel and open sockets too; a leak would be >= 100.
        #expect(openDescriptorCount() - descriptors < 40)
        #expect(grown < 20 * 1024, "\(memory.measure) grew by \(grown) KiB")
        #expect(try await loop.submit { loop.openHandleCount } == 2)

        let outcome = try await host.finish()
        #expect(outcome.openHandles == 0)
        #expect(outcome.closeStatus == 0)
    }

    @Test func aHostLoopServesOneLoopOnly() async throws {
        let host = HostLoop(.borrowed)
        let loop = host.loop!
        let server = try EmbeddingRoutes.server(Journal(), loops: 2)
        await #expect(throws: EmbeddingError.severalLoopsOnOneHostLoop(configured: 2)) {
            try await loop.submit { try server.start(on: loop) }
        }
        #expect(try await loop.submit { loop.openHandleCount } == 2)
        let outcome = try await host.finish()
        #expect(outcome.openHandles == 0 && outcome.closeStatus == 0)
    }

    @Test func aLoopWhoseWakeupIsClosedIsRefused() throws {
        let loop = try EventLoop()
        loop.closeWakeup()
        let server = try EmbeddingRoutes.server(Journal())
        #expect(throws: EmbeddingError.loopNotAcceptingWork) { try server.start(on: loop) }
        loop.run()
        try loop.close()
    }

    @Test func aFailedBindLeavesNothingOpenAndCompletesTheStop() async throws {
        let host = HostLoop(.borrowed)
        let loop = host.loop!
        let first = try EmbeddingRoutes.server(Journal())
        try await loop.submit { try first.start(on: loop) }
        var taken = EmbeddingRoutes.configuration()
        taken.port = first.port!
        let second = try Server(router: EmbeddingRoutes.make(Journal()), configuration: taken, logger: TestServer.quietLogger)
        await #expect(throws: UVError.addressInUse) { try await loop.submit { try second.start(on: loop) } }
        #expect(await second.stopped().drainedCompletely)
        try await first.stop()
        #expect(try await loop.submit { loop.openHandleCount } == 2)
        let outcome = try await host.finish()
        #expect(outcome.openHandles == 0 && outcome.closeStatus == 0)
    }
}
