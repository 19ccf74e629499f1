/// How long a connection may take at each stage before the server gives up on it.
/// Checked by one sweep timer per loop, so the precision is a quarter of the shortest
/// timeout (at most one second).
public struct ServerTimeouts: Sendable, Hashable {
    /// From the first byte of a request to the end of its head (slowloris). Then 408 and
    /// close. Default 10 s.
    public var header: Duration
    /// Longest silence while a request body is arriving. Then 408 and close. Default 30 s.
    public var body: Duration
    /// A keep-alive connection with no request in progress (also before the first
    /// request). Then close. Default 10 s.
    public var idle: Duration
    /// Unsent response bytes that make no progress (a client that stopped reading).
    /// Then close. Default 30 s.
    public var writeStall: Duration

    /// Timeouts; every argument has the default documented on its field.
    public init(header: Duration = .seconds(10), body: Duration = .seconds(30), idle: Duration = .seconds(10), writeStall: Duration = .seconds(30)) {
        self.header = header
        self.body = body
        self.idle = idle
        self.writeStall = writeStall
    }

    /// The sweep interval: a quarter of the shortest timeout, between 10 ms and 1 s.
    var sweepInterval: UInt64 {
        let shortest = [header, body, idle, writeStall].map(\.wholeMilliseconds).min() ?? 1000
        return min(1000, max(10, shortest / 4))
    }
}
