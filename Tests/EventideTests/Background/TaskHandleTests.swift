@testable import Eventide
import EventideUVLoop
import Testing

/// `BackgroundTaskHandle`'s state machine without a server: states as set, and
/// `completion()` called before, during and after `finish` from other threads.
@Suite struct TaskHandleTests {
    @Test func statesFollowTheRunner() async {
        let handle = BackgroundTaskHandle(id: 7, name: "job")
        #expect(handle.state == .pending)
        handle.markRunning()
        #expect(handle.state == .running)
        handle.finish(.failed("boom"))
        #expect(handle.state == .failed("boom"))
        #expect(await handle.completion() == .failed("boom"))
        #expect(handle.description == "job#7")
    }

    @Test func everyFinalStateIsReported() async {
        for state in [BackgroundTaskState.succeeded, .skipped, .cancelled, .failed("")] {
            let handle = BackgroundTaskHandle(id: 1, name: "job")
            handle.finish(state)
            #expect(handle.state == state)
            #expect(await handle.completion() == state)
        }
    }

    @Test func waitersRegisteredBeforeFinishAreResumed() async {
        let handle = BackgroundTaskHandle(id: 2, name: "job")
        handle.markRunning()
        async let first = handle.completion()
        async let second = handle.completion()
        while handle.waiterCount < 2 { await Task.yield() }
        handle.finish(.succeeded)
        #expect(await first == .succeeded)
        #expect(await second == .succeeded)
        #expect(handle.state == .succeeded)
    }

    @Test func completionRacingFinishNeverHangs() async {
        let handles = (0..<500).map { BackgroundTaskHandle(id: UInt64($0), name: "job\($0)") }
        await withTaskGroup(of: BackgroundTaskState.self) { group in
            for handle in handles {
                group.addTask { await handle.completion() }
                group.addTask {
                    handle.markRunning()
                    handle.finish(.failed("e\(handle.id)"))
                    return handle.state
                }
            }
            var failed = 0
            for await state in group {
                if case .failed = state { failed += 1 }
            }
            #expect(failed == 1000)
        }
        for handle in handles { #expect(handle.state == .failed("e\(handle.id)")) }
    }
}

/// `BackgroundTask.arguments`: captured by value when the task is made, for both kinds
/// of function, and read without calling the function.
@Suite struct TaskArgumentTests {
    @Test func blockingTaskArgumentsAreReadWithoutCallingIt() {
        let calls = Locked(0)
        var email = "a@b.c"
        let task = BackgroundTask({ (_: String, _: Int) in calls.withLock { $0 += 1 } }, email, 3)
        email = "changed"
        #expect(task.arguments.map { "\($0)" } == ["a@b.c", "3"])
        #expect(task.arguments.count == 2)
        #expect(calls.withLock { $0 } == 0)
        #expect(BackgroundTask({ () throws in }).arguments.isEmpty)
    }

    @Test func asyncTaskArguments() {
        let task = BackgroundTask({ (_: String, _: Double) async throws in }, "x", 1.5, name: "n")
        #expect(task.arguments.map { "\($0)" } == ["x", "1.5"])
        #expect(task.name == "n")
    }
}
