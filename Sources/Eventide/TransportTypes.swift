import EventideHTTP1
import EventideUVLoop

// The transport modules' types that Eventide's own API names, reached on purpose: `import
// Eventide` brings these names and nothing else of EventideUVLoop or EventideHTTP1 (their
// parser, state machine, sockets and pool stay internals a user imports explicitly).

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

/// An HTTP request method.
public typealias HTTPMethod = EventideHTTP1.HTTPMethod
/// An HTTP response status.
public typealias HTTPStatus = EventideHTTP1.HTTPStatus
/// An ordered list of HTTP header fields.
public typealias HTTPHeaders = EventideHTTP1.HTTPHeaders
/// An HTTP version.
public typealias HTTPVersion = EventideHTTP1.HTTPVersion
/// A request's method, target, version and headers as parsed.
public typealias HTTPRequestHead = EventideHTTP1.HTTPRequestHead
/// Size limits of the HTTP parser (`ServerConfiguration.limits`).
public typealias HTTPLimits = EventideHTTP1.HTTPLimits
