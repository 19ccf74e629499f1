/// The values one field of a cron expression allows, one bit per value (bit n: value n).
struct CronField: Sendable, Hashable {
    private var bits: UInt64 = 0

    /// Adds `value` (0-63).
    mutating func insert(_ value: Int) {
        bits |= 1 << UInt64(value)
    }

    /// Whether `value` is allowed.
    func contains(_ value: Int) -> Bool {
        (0..<64).contains(value) && bits & (1 << UInt64(value)) != 0
    }

    /// The smallest allowed value at or after `value`, if any.
    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let rest = bits & (UInt64.max << UInt64(max(value, 0)))
        return rest == 0 ? nil : rest.trailingZeroBitCount
    }
}
