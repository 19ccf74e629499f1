/// Writes a streamed response body. Each `write` sends one chunk and waits while the
/// client has more than `ServerConfiguration.writeBufferHighWatermark` bytes unread.
/// Use it only inside the stream closure it was given.
public struct ResponseBodyWriter: Sendable {
    /// Thrown by `write` when the client has gone away; stop producing.
    public struct ClientDisconnected: Error, Sendable {}

    /// Thrown by `write` on a writer kept past the end of its stream (the closure it was
    /// given to returned): the response is complete and nothing more can be added to it.
    public struct StreamEnded: Error, Sendable, CustomStringConvertible {
        public init() {}
        public var description: String { "the streamed response this writer belonged to has ended" }
    }

    private let sink: @Sendable ([UInt8]) async throws -> Void

    /// A writer handing each chunk to `sink` (the connection, or a test collector).
    package init(sink: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.sink = sink
    }

    /// Sends `bytes` (an empty array sends nothing).
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await sink(bytes)
    }

    /// Sends `text` as UTF-8.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}
