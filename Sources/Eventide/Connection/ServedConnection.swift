/// What a loop's `ServerCore` does with each of its connections, whatever their
/// transport: check timeouts, and close them at shutdown.
protocol ServedConnection: AnyObject {
    var id: UInt64 { get }
    /// Closes the connection when the stage it is in took too long.
    func checkTimeouts()
    /// Idle: close now; busy: close after the current response.
    func shutdownGracefully()
    /// Close at once (the shutdown deadline passed).
    func forceClose()
}
