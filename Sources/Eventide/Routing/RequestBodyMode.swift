/// How a route receives its request body.
public enum RequestBodyMode: Sendable {
    /// Collected whole (up to `HTTPLimits.maxBodyBytes`) before the handler runs: `body`.
    case collect
    /// Delivered as it arrives, the handler running from the moment the head arrived:
    /// `bodyStream` (still within `HTTPLimits.maxBodyBytes`).
    case stream
}
