/// Delays between reconnect attempts: 100 ms doubling to 5 s, each drawn between half and
/// all of the current step, so many processes that lost the same server do not retry in
/// step.
struct Backoff {
    static let initialMilliseconds: UInt64 = 100
    static let maximumMilliseconds: UInt64 = 5000
    private var step = Backoff.initialMilliseconds

    /// The next delay in milliseconds; the one after it is twice as long, up to the maximum.
    mutating func next() -> UInt64 {
        let current = step
        step = min(Self.maximumMilliseconds, step * 2)
        return UInt64.random(in: current / 2...current)
    }

    /// Starts again from the shortest delay (after a successful connect).
    mutating func reset() {
        step = Self.initialMilliseconds
    }
}
