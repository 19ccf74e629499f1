import EventideHTTP1
import EventideUVLoop

/// The `Date` header value, formatted at most once per second per loop.
struct DateCache {
    private var second = -1
    private var formatted = ""

    /// The current IMF-fixdate; `time(2)` is a vDSO call, cheaper than a timer.
    mutating func current() -> String {
        let now = EventLoop.wallClockSeconds
        if now != second {
            second = now
            formatted = HTTPDate.imfFixdate(secondsSince1970: now)
        }
        return formatted
    }
}
