#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A value shared between threads that a test can wait on: every `update` wakes the
/// waiters, which check their condition again, up to a deadline.
/// (A blocking-only copy of EventideTests' `Watched`: test targets share no sources.)
final class Watched<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is touched only under `condition`.
    private let condition = NSCondition()
    private var value: Value

    init(_ value: Value) { self.value = value }

    var current: Value {
        condition.lock()
        defer { condition.unlock() }
        return value
    }

    func update(_ change: (inout Value) -> Void) {
        condition.lock()
        change(&value)
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until `matches` holds for the value or `timeout` seconds passed; returns
    /// whether it holds.
    func wait(timeout: Double, until matches: (Value) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !matches(value) {
            if !condition.wait(until: deadline) { return matches(value) }
        }
        return true
    }
}

/// The kernel's id of the calling thread (gettid(2), which Swift's Glibc does not
/// export), from the /proc/thread-self link: "<pid>/task/<tid>".
func currentThreadID() -> pid_t {
    let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
    return pid_t(link.split(separator: "/").last ?? "") ?? -1
}

/// The number of futex(2), the system call a thread blocked on a mutex or a condition
/// variable sleeps in, as /proc/<pid>/task/<tid>/syscall names it.
#if arch(x86_64)
private let futexSyscall: Substring = "202"
#elseif arch(arm64)
private let futexSyscall: Substring = "98"
#endif

/// Whether thread `tid` of this process sleeps in futex(2) now: its state in
/// /proc/self/task/<tid>/stat is S and its system call is futex.
func isAsleepInFutex(_ tid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
        let syscall = try? String(contentsOfFile: "/proc/self/task/\(tid)/syscall", encoding: .utf8),
        let nameEnd = stat.lastIndex(of: ")")  // the state follows the name, in parentheses
    else { return false }
    let state = stat[stat.index(after: nameEnd)...].split(separator: " ").first
    return state == "S" && syscall.split(separator: " ").first == futexSyscall
}

/// Polls every 1 ms, up to `timeout` seconds, until every thread of `tids` sleeps in
/// futex(2) at once; returns whether they did. A poll: the kernel announces no such
/// moment, and the code under test has no hook for it.
func waitUntilAsleepInFutex(_ tids: [pid_t], timeout: Double) -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while !tids.allSatisfy(isAsleepInFutex) {
        if Date() > deadline { return false }
        usleep(1_000)
    }
    return true
}
