/// Resource limits enforced while parsing requests.
public struct HTTPLimits: Sendable, Hashable {
    /// Longest accepted request line, excluding its CRLF. Longer → 414 URI Too Long.
    public var maxRequestLineLength: Int
    /// Largest accepted header section (request line, fields and the final empty line), and
    /// separately the largest trailer section. Larger → 431.
    public var maxHeaderBytes: Int
    /// Most header fields (and, separately, trailer fields) accepted. More → 431.
    public var maxHeaderCount: Int
    /// Largest accepted body. A larger Content-Length is rejected with 413 before any body byte
    /// is read; a chunked body is rejected with 413 as soon as a chunk size would exceed it.
    public var maxBodyBytes: Int
    /// Unparsed pipelined input buffered while a response is pending; above it
    /// ``HTTPServerConnection/wantsRead`` becomes `false`.
    public var maxBufferedInputBytes: Int

    /// Creates limits; every parameter defaults to the value documented on its property.
    public init(
        maxRequestLineLength: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 8 * 1024 * 1024,
        maxBufferedInputBytes: Int = 64 * 1024
    ) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxBufferedInputBytes = maxBufferedInputBytes
    }
}
