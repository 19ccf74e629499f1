import EventideUVLoop
import Foundation
import Synchronization
import Testing

@Suite struct SubmitTests {
    struct Failure: Error, Equatable {}

    @Test func submitRunsOnTheLoopThreadAndReturnsTheResult() async throws {
        let thread = try EventLoopThread()
        let loop = thread.loop
        #expect(try await loop.submit { loop.inEventLoop })
        #expect(try await loop.submit { 6 * 7 } == 42)
        await #expect(throws: Failure()) { try await loop.submit { () throws -> Int in throw Failure() } }
        loop.execute { loop.closeWakeup() }
        try thread.join()
    }

    @Test func submitFromManyTasksRunsEveryJobOnce() async throws {
        let thread = try EventLoopThread()
        let loop = thread.loop
        let counts = Counts()
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var sum = 0
                    for job in 0..<200 {
                        sum += try await loop.submit { () -> Int in
                            precondition(loop.inEventLoop)
                            counts.ran.add(1, ordering: .relaxed)
                            return worker * 1000 + job
                        }
                    }
                    return sum
                }
            }
            return try await group.reduce(0, +)
        }
        let count = counts.ran.load(ordering: .relaxed)
        #expect(count == 1600)
        #expect(total == (0..<8).reduce(0) { $0 + $1 * 1000 * 200 } + 8 * (199 * 200 / 2))
        loop.execute { loop.closeWakeup() }
        try thread.join()
    }

    @Test func submitFromATaskOnTheLoopItselfDoesNotDeadlock() async throws {
        let thread = try EventLoopThread()
        let loop = thread.loop
        let value = try await Task(executorPreference: loop.executor) {
            precondition(loop.inEventLoop)
            return try await loop.submit { loop.inEventLoop ? 1 : 0 }
        }.value
        #expect(value == 1)
        loop.execute { loop.closeWakeup() }
        try thread.join()
    }

    @Test func submitAfterCloseWakeupThrowsAndDoesNotRun() async throws {
        let thread = try EventLoopThread()
        let loop = thread.loop
        try await loop.submit { loop.closeWakeup() }
        try thread.join()
        let ran = Atomic<Bool>(false)
        await #expect(throws: EventLoopClosedError.self) {
            try await loop.submit { ran.store(true, ordering: .relaxed) }
        }
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }

    @Test func stepModeServesSubmittedWorkAndTimers() throws {
        // A host's own main loop: advance without blocking, sleep no longer than nextTimeout.
        let loop = try EventLoop()
        let timer = LoopTimer(loop: loop)
        var ticks = 0
        timer.start(afterMilliseconds: 2, repeating: 2) { ticks += 1 }
        let fromOtherThread = Atomic<Int>(0)
        let poster = Thread { for _ in 0..<10 { loop.execute { fromOtherThread.add(1, ordering: .relaxed) } } }
        poster.start()
        let deadline = EventLoop.monotonicNanoseconds + 2_000_000_000
        while (ticks < 5 || fromOtherThread.load(ordering: .relaxed) < 10) && EventLoop.monotonicNanoseconds < deadline {
            loop.runOnce(wait: false)
            let timeout = loop.nextTimeout
            #expect(timeout <= 2)
            if timeout > 0 { usleep(useconds_t(timeout * 1000)) } else if timeout < 0 { usleep(500) }
        }
        #expect(ticks >= 5)
        let posted = fromOtherThread.load(ordering: .relaxed)
        #expect(posted == 10)
        timer.close()
        loop.closeWakeup()
        #expect(loop.runOnce(wait: false) == false)
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }
}
