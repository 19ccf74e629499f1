/// Writes a streamed response body. Each `write` sends one chunk and waits while the
/// client has more than `ServerConfiguration.writeBufferHighWatermark` bytes unread.
/// Use it only inside the stream closure it was given.
public struct ResponseBodyWriter: Sendable {
    /// Thrown by `write` when the client has gone away; stop producing.
    public struct ClientDisconnected: Error, Sendable {}

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
