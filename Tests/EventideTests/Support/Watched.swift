import Foundation

/// A value shared between threads that a test can wait on: every `update` wakes the
/// waiters, which check their condition again. Waiting blocks the calling thread
/// (`wait`) or suspends the calling task (`wait ... async`), each up to a deadline, so
/// a broken server fails the test instead of hanging it.
final class Watched<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value`, `suspended` and `nextWaiter` are touched only under `condition`.
    private let condition = NSCondition()
    private var value: Value
    private var suspended: [Int: Waiter] = [:]
    private var nextWaiter = 0

    private struct Waiter {
        let matches: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
    }

    init(_ value: Value) { self.value = value }

    /// The value now.
    var current: Value {
        condition.lock()
        defer { condition.unlock() }
        return value
    }

    /// Changes the value and wakes every waiter.
    @discardableResult
    func update<T>(_ change: (inout Value) -> T) -> T {
        condition.lock()
        let result = change(&value)
        let ready = suspended.filter { $0.value.matches(value) }
        for id in ready.keys { suspended[id] = nil }
        condition.broadcast()
        condition.unlock()
        for waiter in ready.values { waiter.continuation.resume(returning: true) }
        return result
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

    /// Suspends until `matches` holds for the value or `timeout` seconds passed; returns
    /// whether it holds. Holds no thread while it waits.
    func wait(timeout: Double, until matches: @escaping @Sendable (Value) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            condition.lock()
            guard !matches(value) else {
                condition.unlock()
                continuation.resume(returning: true)
                return
            }
            let id = nextWaiter
            nextWaiter += 1
            suspended[id] = Waiter(matches: matches, continuation: continuation)
            condition.unlock()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                condition.lock()
                let expired = suspended.removeValue(forKey: id)
                condition.unlock()
                expired?.continuation.resume(returning: false)
            }
        }
    }
}

extension Watched {
    /// The entry for `key`, made by `make` the first time: tests key what they share by a
    /// name of their own, so parallel tests do not see each other's.
    func entry<Entry>(_ key: String, make: () -> Entry) -> Entry where Value == [String: Entry] {
        update { all in
            if let entry = all[key] { return entry }
            let entry = make()
            all[key] = entry
            return entry
        }
    }
}

/// Closed until `open()`; waiters are released when it opens.
final class Gate: Sendable {
    private let state: Watched<Bool>

    init(open: Bool = false) { state = Watched(open) }

    var isOpen: Bool { state.current }

    func open() { state.update { $0 = true } }

    /// Blocks until the gate is open or `timeout` seconds passed; returns whether it is open.
    func wait(timeout: Double) -> Bool { state.wait(timeout: timeout) { $0 } }

    /// Suspends until the gate is open or `timeout` seconds passed; returns whether it is open.
    func wait(timeout: Double) async -> Bool { await state.wait(timeout: timeout) { $0 } }
}
