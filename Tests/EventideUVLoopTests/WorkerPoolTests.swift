#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization  // Atomic
import Testing
import EventideUVLoop

/// Bound by `threadScopeWrapsEveryJobOfItsThread`'s pool around each thread's job loop.
private enum PoolThread {
    @TaskLocal static var label: String?
}

@Suite struct WorkerPoolTests {
    @Test func threadScopeWrapsEveryJobOfItsThread() throws {
        let scopes = Atomic<Int>(0)
        let pool = WorkerPool(threads: 2) { jobs in
            scopes.add(1, ordering: .relaxed)
            PoolThread.$label.withValue("pool") { jobs() }
        }
        let labels = Locked<[String?]>([])
        let jobs: [WorkerPool.Job] = (0..<100).map { _ in
            { _ in labels.withLock { $0.append(PoolThread.label) } }
        }
        #expect(pool.submit(contentsOf: jobs))
        pool.shutdown(join: true)
        #expect(labels.withLock { $0 } == Array(repeating: "pool", count: 100))
        #expect(scopes.load(ordering: .relaxed) == 2)
    }

    @Test func aBatchRunsEveryJobOnceInOrder() throws {
        let pool = WorkerPool(threads: 1)
        let order = Locked<[Int]>([])
        let jobs: [WorkerPool.Job] = (0..<500).map { index in
            { cancelled in order.withLock { $0.append(cancelled ? -1 : index) } }
        }
        #expect(pool.submit(contentsOf: jobs))
        pool.shutdown(join: true)
        #expect(order.withLock { $0 } == Array(0..<500))
    }

    @Test func aBatchWakesEnoughThreadsToRunItsJobsTogether() throws {
        // Each job waits until all four run at once: with one wake-up per batch this
        // only finishes if woken threads wake the others while work is queued.
        let threads = Watched<[pid_t]>([])
        let pool = WorkerPool(threads: 4) { jobs in
            threads.update { $0.append(currentThreadID()) }
            jobs()
        }
        let running = Watched(0)
        let metAll = Atomic<Int>(0)
        let done = Watched(0)
        let jobs: [WorkerPool.Job] = (0..<4).map { _ in
            { _ in
                running.update { $0 += 1 }
                if running.wait(timeout: 5, until: { $0 == 4 }) { metAll.add(1, ordering: .relaxed) }
                done.update { $0 += 1 }
            }
        }
        // Every thread asleep, waiting for work. A pool thread sleeps in the kernel only
        // in uv_cond_wait or on the pool's mutex; when all four sleep, none holds the
        // mutex, so all four wait on the condition.
        #expect(threads.wait(timeout: 10) { $0.count == 4 })
        #expect(waitUntilAsleepInFutex(threads.current, timeout: 10), "pool threads not all parked")
        pool.submit(contentsOf: jobs)
        // Not `shutdown` yet: its broadcast would wake every thread.
        #expect(done.wait(timeout: 30) { $0 == 4 })
        pool.shutdown(join: true)
        #expect(metAll.load(ordering: .relaxed) == 4)
    }

    @Test func jobsSubmittedAfterShutdownAreRefused() {
        let pool = WorkerPool(threads: 2)
        pool.shutdown(join: true)
        let called = Atomic<Int>(0)
        #expect(pool.submit { _ in called.add(1, ordering: .relaxed) } == false)
        #expect(pool.submit(contentsOf: [{ _ in called.add(1, ordering: .relaxed) }]) == false)
        #expect(called.load(ordering: .relaxed) == 0)
    }
}

@Suite struct PoolSubmissionQueueTests {
    @Test func anIterationsJobsReachThePoolWhenItsCallbacksAreDone() throws {
        let loop = try EventLoop()
        let pool = WorkerPool(threads: 1)
        let queue = PoolSubmissionQueue(loop: loop, pool: pool)
        let ran = Locked<[Int]>([])
        let finished = Watched(0)
        for index in 0..<10 {
            queue.submit { cancelled in
                ran.withLock { $0.append(cancelled ? -1 : index) }
                finished.update { $0 += 1 }
            }
        }
        // Nothing is handed over before the loop iterates. Only the loop's thread (this
        // one; the loop is not running) hands jobs over, so a job handed over already
        // is queued, running or finished in the pool now.
        let load = pool.load
        #expect(load.queued == 0 && load.running == 0)
        #expect(finished.current == 0)
        loop.runOnce(wait: false)
        #expect(finished.wait(timeout: 5) { $0 == 10 })
        #expect(ran.withLock { $0 } == Array(0..<10))
        queue.close()
        loop.closeWakeup()
        loop.run()
        try loop.close()
        pool.shutdown(join: true)
    }

    @Test func jobsMeetingAClosedPoolOrQueueAreCalledCancelledOnTheLoop() throws {
        let loop = try EventLoop()
        let pool = WorkerPool(threads: 1)
        let queue = PoolSubmissionQueue(loop: loop, pool: pool)
        let outcomes = Locked<[String]>([])
        queue.submit { cancelled in
            outcomes.withLock { $0.append("\(cancelled) \(loop.inEventLoop)") }
        }
        pool.shutdown(join: true)
        loop.runOnce(wait: false)
        queue.close()
        queue.submit { cancelled in
            outcomes.withLock { $0.append("after close: \(cancelled) \(loop.inEventLoop)") }
        }
        #expect(outcomes.withLock { $0 } == ["true true", "after close: true true"])
        loop.closeWakeup()
        loop.run()
        #expect(loop.openHandleCount == 0)
        try loop.close()
    }
}
