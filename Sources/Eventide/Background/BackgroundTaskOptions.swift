/// Where and when a background task runs.
public struct BackgroundTaskOptions: Sendable, Hashable {
    /// Where a task runs.
    public enum Placement: Sendable, Hashable {
        /// Synchronous functions on the blocking thread pool, `async` ones on the event
        /// loop that served the request.
        case automatic
        /// On the request's event loop (a synchronous function then blocks the loop:
        /// only for very short work).
        case eventLoop
        /// Off the loop: synchronous functions on the blocking pool, `async` ones on
        /// Swift's global concurrent executor.
        case threadPool
    }

    /// Where the task runs. Default `.automatic`.
    public var placement: Placement
    /// Run even when the handler threw or answered with an error status. Default false.
    public var always: Bool

    /// Options with the given placement and `always` flag.
    public init(placement: Placement = .automatic, always: Bool = false) {
        self.placement = placement
        self.always = always
    }

    /// Runs even when the handler failed.
    public static let always = BackgroundTaskOptions(always: true)
}
