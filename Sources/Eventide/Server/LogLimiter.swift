import Logging

/// Keeps a client that misbehaves over and over from flooding the log: at most one line
/// per second for each kind of event, the next one carrying how many were suppressed.
/// Loop-bound (one per loop).
struct LogLimiter {
    private var windows: [String: (until: UInt64, suppressed: Int)] = [:]

    /// Logs `message` at `level` unless an event of the same `kind` was logged less
    /// than a second ago (then it is only counted).
    mutating func log(
        _ logger: Logger, _ level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
        kind: String, now: UInt64, metadata: @autoclosure () -> Logger.Metadata
    ) {
        guard logger.logLevel <= level else { return }
        if let window = windows[kind], now < window.until {
            windows[kind] = (window.until, window.suppressed + 1)
            return
        }
        var fields = metadata()
        if let suppressed = windows[kind]?.suppressed, suppressed > 0 { fields["suppressed"] = "\(suppressed)" }
        windows[kind] = (now + 1000, 0)
        logger.log(level: level, message(), metadata: fields)
    }
}
