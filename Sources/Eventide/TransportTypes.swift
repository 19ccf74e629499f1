import EventideHTTP1
import EventideUVLoop

// The transport modules' types that Eventide's own API names, reached on purpose: `import
// Eventide` brings these names and nothing else of EventideUVLoop or EventideHTTP1 (their
// parser, state machine, sockets and pool stay internals a user imports explicitly).
//
// HTTP itself is spoken in swift-http-types' vocabulary (`HTTPRequest.Method`, `HTTPFields`,
// `HTTPResponse.Status`), as Hummingbird 2 and swift-openapi-runtime do: re-exported, so a
// handler names them without a second import and nothing clashes with SwiftNIO's
// `HTTPHeaders` or `HTTPMethod` in a file that imports both.
@_exported import HTTPTypes

/// A libuv event loop: `Request.eventLoop`, and the loop an embedding host runs.
public typealias EventLoop = EventideUVLoop.EventLoop
/// Thrown by `EventLoop.submit` when the loop no longer accepts work.
public typealias EventLoopClosedError = EventideUVLoop.EventLoopClosedError
/// A value that may only be used on one loop's thread.
public typealias LoopBound = EventideUVLoop.LoopBound
/// A repeating or one-shot timer on a loop (for embedding hosts).
public typealias LoopTimer = EventideUVLoop.LoopTimer
/// A libuv error (binding a port, closing a loop).
public typealias UVError = EventideUVLoop.UVError

/// Size limits of the HTTP parser (`ServerConfiguration.limits`).
public typealias HTTPLimits = EventideHTTP1.HTTPLimits
