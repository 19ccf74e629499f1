/// A request's body as an `AsyncSequence` of byte chunks, in order.
///
/// On a route registered with `body: .stream` the chunks are delivered as they arrive,
/// and the connection stops reading from the client while more than
/// `HTTPLimits.maxBufferedInputBytes` of them wait unread here (backpressure); elsewhere
/// the body was collected before the handler ran and arrives as one chunk. Iterate it
/// once: a second iteration of a streamed body finds it consumed.
///
/// ```swift
/// router.on(.post, "/upload", body: .stream) { request, tasks in
///     var size = 0
///     for try await chunk in request.bodyStream { size += chunk.count }
///     return ["bytes": size]
/// }
/// ```
public struct RequestBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    enum Source: Sendable {
        case collected([UInt8])
        case streamed(RequestBodyChannel)
    }

    let source: Source

    public struct AsyncIterator: AsyncIteratorProtocol {
        var source: Source?

        public mutating func next() async throws -> [UInt8]? {
            switch source {
            case nil:
                return nil
            case .collected(let bytes):
                source = nil
                return bytes.isEmpty ? nil : bytes
            case .streamed(let channel):
                let chunk = try await channel.next()
                if chunk == nil { source = nil }
                return chunk
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: source) }

    /// The whole body, refused (`HTTPError` 413) once it passes `limit` bytes.
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self {
            guard bytes.count + chunk.count <= limit else { throw HTTPError(.contentTooLarge, "the body is larger than \(limit) bytes") }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }
}

/// Why a streamed body ended before its last byte.
public struct RequestBodyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What happened.
    public let reason: String

    /// The client closed the connection, or it failed, before the body ended.
    public static let connectionClosed = RequestBodyError(reason: "the connection closed before the request body ended")
    /// The body's framing was malformed (a bad chunk); the connection was closed.
    public static let malformed = RequestBodyError(reason: "the request body was malformed")
    /// No byte of the body arrived for `ServerTimeouts.body`; the connection was closed.
    public static let timedOut = RequestBodyError(reason: "the request body timed out")
    /// The response was sent before the body was read to its end; the rest was discarded.
    public static let abandoned = RequestBodyError(reason: "the response was sent before the request body was read to its end")
    /// Two tasks iterated the same body at once.
    public static let concurrentReads = RequestBodyError(reason: "the request body is being read by another task")

    public var description: String { reason }
}
