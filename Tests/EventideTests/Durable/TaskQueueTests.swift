import Eventide
import Foundation
import Testing

/// `TaskQueue` without a server: stored tasks run at least once, fail into retries and
/// then `discarded`, stop, postpone, time out, survive a restart.
@Suite struct TaskQueueTests {
    /// Records each run in the test's journal; fails as long as `failuresLeft` says.
    struct Note: DurableTask {
        static let name = "note"
        var text: String
        var failures = 0
        var snoozeFirst = false
        var sleepSeconds = 0.0

        func run(_ context: DurableTaskContext) async throws {
            // The task-local context is this run's, here and on the blocking pool.
            guard DurableTaskContext.current?.id == context.id,
                try await context.runBlocking({ DurableTaskContext.current?.attempt }) == context.attempt
            else { throw NoteFailure(attempt: -1) }
            TaskQueueTests.journal(for: text).record("\(text)#\(context.attempt)")
            if snoozeFirst && context.attempt == 1 && TaskQueueTests.journal(for: text).all.count == 1 {
                throw DurableTaskError.snooze(for: .milliseconds(30))
            }
            if sleepSeconds > 0 { try await Task.sleep(for: .seconds(sleepSeconds)) }
            if context.attempt <= failures { throw NoteFailure(attempt: context.attempt) }
            if text.hasPrefix("cancel") { throw DurableTaskError.cancel(reason: "not wanted") }
            _ = try await context.runBlocking { text.count }
        }
    }

    /// A blocking task: runs on the queue's blocking pool; with `untilStopped`, loops
    /// until asked to stop (its timeout, or shutdown).
    struct Chore: BlockingDurableTask {
        static let name = "chore"
        var text: String
        var untilStopped = false
        /// Blocks this long whatever it is asked.
        var deafSeconds = 0.0

        func run(_ context: DurableTaskContext) throws {
            guard DurableTaskContext.current?.id == context.id else { throw NoteFailure(attempt: -1) }
            TaskQueueTests.journal(for: text).record("\(text)#\(context.attempt) on \(Thread.isMainThread ? "main" : "a pool thread")")
            while untilStopped && !context.isCancelled { usleep(1_000) }
            if deafSeconds > 0 { usleep(UInt32(deafSeconds * 1_000_000)) }
        }
    }

    struct NoteFailure: Error, CustomStringConvertible {
        let attempt: Int
        var description: String { "failure \(attempt)" }
    }

    /// Journals by task text, so parallel tests do not see each other's runs.
    static let journals = Watched<[String: Journal]>([:])
    static func journal(for text: String) -> Journal { journals.entry(text) { Journal() } }

    static let fast = TaskQueue.Configuration(retryBackoff: { _ in .milliseconds(20) }, pollInterval: .milliseconds(20), shutdownTimeout: .milliseconds(200))

    func withFile<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.appendingPathComponent("tasks.db").path)
    }

    @Test func anEnqueuedTaskRunsOnce() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            queue.start()
            let text = "once-\(UUID())"
            let receipt = try await queue.enqueue(Note(text: text))
            #expect(!receipt.isDuplicate)
            let record = try await settled(queue, receipt.id)
            #expect(record.state == .completed && record.attempt == 1 && record.errors.isEmpty)
            #expect(Self.journal(for: text).all == ["\(text)#1"])
            await queue.shutdown()
        }
    }

    @Test func tasksOfEveryQueueRunWhetherItsConcurrencyIsNamedOrNot() async throws {
        try await withFile { path in
            let queue = try TaskQueue(
                store: .sqlite(path: path), tasks: [Note.self], workers: .local(concurrency: 4, queues: ["mail": 1]),
                configuration: Self.fast)
            queue.start()
            let ids = try await [
                queue.enqueue(Note(text: "mail-\(UUID())"), options: .init(queue: "mail")),
                queue.enqueue(Note(text: "reports-\(UUID())"), options: .init(queue: "reports")),
                queue.enqueue(Note(text: "default-\(UUID())")),
            ].map(\.id)
            for id in ids { #expect(try await settled(queue, id).state == .completed) }
            await queue.shutdown()
        }
    }

    @Test func manyTasksEnqueuedInOneCallAreOneCommitAndAllRun() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self, Chore.self], configuration: Self.fast)
            let before = try queue.sqliteStore.insertCommits
            let texts = (0..<5).map { "many-\($0)-\(UUID())" }
            let receipts = try await queue.enqueue(texts.map { Note(text: $0) } + [Chore(text: "chore-\(UUID())")])
            #expect(receipts.count == 6)
            #expect(Set(receipts.map(\.id)).count == 6)
            #expect(try queue.sqliteStore.insertCommits == before + 1)
            queue.start()
            for receipt in receipts { #expect(try await settled(queue, receipt.id).state == .completed) }
            await queue.shutdown()
        }
    }

    @Test func onlyTheNamedQueuesRunWhenTheOthersHaveNoConcurrency() async throws {
        try await withFile { path in
            let queue = try TaskQueue(
                store: .sqlite(path: path), tasks: [Note.self], workers: .local(concurrency: 0, queues: ["mail": 2]),
                configuration: Self.fast)
            queue.start()
            let mail = try await queue.enqueue(Note(text: "mail-\(UUID())"), options: .init(queue: "mail"))
            let other = try await queue.enqueue(Note(text: "reports-\(UUID())"), options: .init(queue: "reports"))
            #expect(try await settled(queue, mail.id).state == .completed)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await queue.task(id: other.id)?.state == .available)
            await queue.shutdown()
        }
    }

    @Test func aPausedQueueStartsNothingEvenAfterARestartUntilResumed() async throws {
        try await withFile { path in
            var queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            try await queue.pause(queue: "mail")
            queue.start()
            let text = "paused-\(UUID())"
            // Stored while its workers are idle: not handed to them, the queue is paused.
            let receipt = try await queue.enqueue(Note(text: text), options: .init(queue: "mail"))
            let other = try await queue.enqueue(Note(text: "unpaused-\(UUID())"))
            #expect(try await settled(queue, other.id).state == .completed)
            #expect(try await queue.task(id: receipt.id)?.state == .available)
            await queue.shutdown()
            queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            queue.start()
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await queue.task(id: receipt.id)?.state == .available)
            try await queue.resume(queue: "mail")
            #expect(try await settled(queue, receipt.id).state == .completed)
            #expect(Self.journal(for: text).all == ["\(text)#1"])
            await queue.shutdown()
        }
    }

    @Test func failuresAreRetriedWithBackoffThenDiscarded() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            queue.start()
            let text = "fails-\(UUID())"
            let receipt = try await queue.enqueue(Note(text: text, failures: 5), options: .init(maxAttempts: 3))
            let record = try await settled(queue, receipt.id)
            #expect(record.state == .discarded)
            #expect(record.attempt == 3)
            #expect(record.errors.map(\.error) == ["failure 1", "failure 2", "failure 3"])
            #expect(record.errors.map(\.attempt) == [1, 2, 3])
            // The backoff shows in the timestamps: each failure at least 20 ms after the last.
            let gaps = zip(record.errors.dropFirst(), record.errors).map { $0.at - $1.at }
            #expect(gaps.allSatisfy { $0 >= 20 })
            #expect(Self.journal(for: text).all == ["\(text)#1", "\(text)#2", "\(text)#3"])
            await queue.shutdown()
        }
    }

    @Test func aTaskSucceedingOnItsSecondAttemptCompletes() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            queue.start()
            let text = "second-\(UUID())"
            let record = try await settled(queue, try await queue.enqueue(Note(text: text, failures: 1)).id)
            #expect(record.state == .completed && record.attempt == 2 && record.errors.count == 1)
            await queue.shutdown()
        }
    }

    @Test func poisonRowsAreDiscardedAndTheRestRuns() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], workers: .none, configuration: Self.fast)
            // Rows as an older or a different build would have stored them.
            let ids = try await queue.store.enqueue([
                NewDurableTask(kind: "renamed_kind", arguments: Array(#"{"text":"x"}"#.utf8), runAt: 0),
                NewDurableTask(kind: Note.name, arguments: Array(#"{"body":42}"#.utf8), runAt: 0),
            ]).map(\.id)
            await queue.shutdown()
            let worker = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            worker.start()
            let text = "healthy-\(UUID())"
            let good = try await worker.enqueue(Note(text: text))
            let unknown = try await settled(worker, ids[0])
            let undecodable = try await settled(worker, ids[1])
            #expect(unknown.state == .discarded && unknown.errors.first?.error == #"unknown task kind "renamed_kind""#)
            #expect(undecodable.state == .discarded && undecodable.errors.first?.error.hasPrefix("arguments do not decode") == true)
            #expect(try await settled(worker, good.id).state == .completed)
            await worker.shutdown()
        }
    }

    @Test func uniqueKeysCancelAndSnooze() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            queue.start()
            let later = DurableTaskOptions(delay: .seconds(3600), uniqueKey: "welcome:a")
            let first = try await queue.enqueue(Note(text: "later-\(UUID())"), options: later)
            let second = try await queue.enqueue(Note(text: "later-\(UUID())"), options: later)
            #expect(second.id == first.id && second.isDuplicate)
            #expect(try await queue.task(id: first.id)?.state == .scheduled)
            #expect(try await queue.cancel(id: first.id) == .cancelled)
            #expect(try await queue.enqueue(Note(text: "later-\(UUID())"), options: later).isDuplicate == false)  // key freed

            let snoozer = "snooze-\(UUID())"
            let snoozed = try await settled(queue, try await queue.enqueue(Note(text: snoozer, snoozeFirst: true)).id)
            #expect(snoozed.state == .completed && snoozed.attempt == 1)  // the snooze spent no attempt
            #expect(Self.journal(for: snoozer).all == ["\(snoozer)#1", "\(snoozer)#1"])

            let stopper = "cancel-\(UUID())"
            let stopped = try await settled(queue, try await queue.enqueue(Note(text: stopper)).id)
            #expect(stopped.state == .cancelled && stopped.errors.first?.error == "not wanted")
            let counts = try await queue.counts()["default"] ?? [:]
            #expect(counts[.cancelled] == 2 && counts[.completed] == 1 && counts[.scheduled] == 1)
            await queue.shutdown()
        }
    }

    @Test func aRunPastItsTimeoutFails() async throws {
        try await withFile { path in
            var configuration = Self.fast
            configuration.timeout = .milliseconds(100)
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: configuration)
            queue.start()
            let record = try await settled(queue, try await queue.enqueue(Note(text: "slow-\(UUID())", sleepSeconds: 30), options: .init(maxAttempts: 1)).id)
            #expect(record.state == .discarded)
            #expect(record.errors.first?.error == "timed out after 0.1 seconds")
            await queue.shutdown()
        }
    }

    @Test func aTasksOwnTimeoutWinsOverTheQueues() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)  // 15 minutes
            queue.start()
            let options = DurableTaskOptions(maxAttempts: 1, timeout: .milliseconds(100))
            let record = try await settled(queue, try await queue.enqueue(Note(text: "own-\(UUID())", sleepSeconds: 30), options: options).id)
            #expect(record.state == .discarded)
            #expect(record.errors.first?.error == "timed out after 0.1 seconds")
            await queue.shutdown()
        }
    }

    @Test func aBlockingTaskRunsOnThePoolAndIsAskedToStopAtItsTimeout() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Chore.self], configuration: Self.fast)
            queue.start()
            let text = "chore-\(UUID())"
            let done = try await settled(queue, try await queue.enqueue(Chore(text: text)).id)
            #expect(done.state == .completed && done.attempt == 1)
            #expect(Self.journal(for: text).all == ["\(text)#1 on a pool thread"])
            // A run that only ends when asked: its timeout asks, and the run counts as failed.
            let options = DurableTaskOptions(maxAttempts: 1, timeout: .milliseconds(100))
            let stopped = try await settled(queue, try await queue.enqueue(Chore(text: "\(text)-long", untilStopped: true), options: options).id)
            #expect(stopped.state == .discarded)
            #expect(stopped.errors.first?.error == "timed out after 0.1 seconds")
            await queue.shutdown()
        }
    }

    @Test func aBlockingRunThatStopsWhenAskedAtShutdownCompletes() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Chore.self], configuration: Self.fast)
            queue.start()
            let text = "polite-\(UUID())"
            let receipt = try await queue.enqueue(Chore(text: text, untilStopped: true))
            while Self.journal(for: text).all.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            #expect(await queue.shutdown() == 0)  // it ended within the shutdown timeout
            let reopened = try TaskQueue(store: .sqlite(path: path), tasks: [Chore.self], workers: .none, configuration: Self.fast)
            #expect(try await reopened.task(id: receipt.id)?.state == .completed)
            await reopened.shutdown()
        }
    }

    @Test func shutdownPutsABlockingRunBackWithoutWaitingForIt() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Chore.self], configuration: Self.fast)
            queue.start()
            let text = "stuck-\(UUID())"
            // Deaf far longer than the shutdown may take even on a loaded machine: waiting for
            // the run would show as seconds, not as a scheduling delay.
            let receipt = try await queue.enqueue(Chore(text: text, deafSeconds: 12))
            while Self.journal(for: text).all.isEmpty { try await Task.sleep(for: .milliseconds(5)) }  // it started
            let started = ContinuousClock.now
            #expect(await queue.shutdown() == 1)  // the 200 ms shutdown timeout, then put back
            #expect(ContinuousClock.now - started < .seconds(6))
            let restarted = try TaskQueue(store: .sqlite(path: path), tasks: [Chore.self], workers: .none, configuration: Self.fast)
            let record = try #require(try await restarted.task(id: receipt.id))
            #expect(record.state == .available && record.attempt == 0)
            await restarted.shutdown()
        }
    }

    @Test func shutdownPutsRunningTasksBackAndARestartRunsThem() async throws {
        try await withFile { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            queue.start()
            let text = "long-\(UUID())"
            let receipt = try await queue.enqueue(Note(text: text, sleepSeconds: 30))
            while Self.journal(for: text).all.isEmpty { try await Task.sleep(for: .milliseconds(5)) }  // it started
            #expect(await queue.shutdown() == 1)
            let restarted = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], workers: .none, configuration: Self.fast)
            let record = try #require(try await restarted.task(id: receipt.id))
            #expect(record.state == .available && record.attempt == 0)  // no attempt spent
            await restarted.shutdown()
        }
    }

    @Test func aRunLeftByADeadProcessIsRescuedAtStart() async throws {
        try await withFile { path in
            let crashed = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], workers: .none, configuration: Self.fast)
            let text = "rescued-\(UUID())"
            let receipt = try await crashed.enqueue(Note(text: text))
            // As a process killed mid-run leaves it: claimed, running, never resolved.
            _ = try await crashed.store.claim(.named("default"), limit: 1, worker: "dead")
            await crashed.shutdown()
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], configuration: Self.fast)
            queue.start()
            let record = try await settled(queue, receipt.id)
            #expect(record.state == .completed && record.attempt == 2)  // the dead run counted
            #expect(Self.journal(for: text).all == ["\(text)#2"])
            await queue.shutdown()
        }
    }
}
