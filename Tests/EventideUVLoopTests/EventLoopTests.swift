#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import Testing
import EventideUVLoop

@Suite struct EventLoopTests {
    @Test func executeFromManyThreadsRunsEveryJobOnTheLoopThread() async throws {
        let thread = try EventLoopThread()
        let loop = thread.loop
        let counts = Counts()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { @Sendable in
                    for _ in 0..<1000 {
                        loop.execute {
                            if !loop.inEventLoop { counts.offLoop.add(1, ordering: .relaxed) }
                            counts.ran.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        #expect(!loop.inEventLoop)
        loop.execute { loop.closeWakeup() }
        try thread.join()
        #expect(counts.ran.load(ordering: .relaxed) == 8000)
        #expect(counts.offLoop.load(ordering: .relaxed) == 0)
        #expect(loop.execute {} == false)
    }

    @Test func closingFromInsideAJobRunsEachJobOnceAndFreesTheLoop() throws {
        weak var released: EventLoop?
        let counts = Counts()
        do {
            let thread = try EventLoopThread()
            let loop = thread.loop
            released = loop
            // The first job holds the loop until the next two are queued, so they land in
            // one batch; the first of those drains again from inside the batch (closeWakeup).
            let holding = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            loop.execute {
                holding.signal()
                _ = release.wait(timeout: .now() + 10)
            }
            #expect(holding.wait(timeout: .now() + 10) == .success)
            loop.execute { counts.ran.add(1, ordering: .relaxed); loop.closeWakeup() }
            loop.execute { counts.ran.add(1, ordering: .relaxed) }
            release.signal()
            try thread.join()
        }
        #expect(counts.ran.load(ordering: .relaxed) == 2)
        // No job closure (each holds the loop) was left queued: the loop was freed.
        #expect(released == nil)
    }

    @Test func timersFireOnceAndRepeatedly() throws {
        let loop = try EventLoop()
        var once = 0
        var repeated = 0
        let single = LoopTimer(loop: loop)
        let repeating = LoopTimer(loop: loop)
        single.start(afterMilliseconds: 5) { once += 1 }
        repeating.start(afterMilliseconds: 1, repeating: 1) {
            repeated += 1
            if repeated == 5 {
                repeating.close()
                single.close()
                loop.closeWakeup()
            }
        }
        loop.run()
        try loop.close()
        #expect(repeated == 5)
        #expect(once <= 1)
    }

    @Test func closingWithAnOpenHandleReportsBusy() throws {
        let loop = try EventLoop()
        let timer = LoopTimer(loop: loop)
        loop.execute { loop.closeWakeup() }
        // The idle timer is not active, so run() returns; the loop still owns its handle.
        loop.run()
        #expect(throws: UVError.busy) { try loop.close() }
        #expect(loop.openHandleCount == 1)
        timer.close()
        try loop.close()
    }

    @Test func executorRunsAsyncCodeOnTheLoop() async throws {
        let thread = try EventLoopThread()
        let loop = thread.loop
        let onLoop = await Task(executorPreference: loop.executor) {
            try? await Task.sleep(for: .milliseconds(5))
            return loop.inEventLoop
        }.value
        #expect(onLoop)
        loop.execute { loop.closeWakeup() }
        try thread.join()
    }

    @Test func stepModeNeverBlocksAndReportsTheNextTimeout() throws {
        let loop = try EventLoop()
        let timer = LoopTimer(loop: loop)
        var fired = false
        timer.start(afterMilliseconds: 50) { fired = true }
        loop.runOnce(wait: false)
        #expect(!fired)
        #expect((1...50).contains(loop.nextTimeout))
        timer.close()
        loop.closeWakeup()
        loop.runOnce(wait: false)
        try loop.close()
    }
}

final class Counts: Sendable {
    let ran = Atomic<Int>(0)
    let offLoop = Atomic<Int>(0)
}
