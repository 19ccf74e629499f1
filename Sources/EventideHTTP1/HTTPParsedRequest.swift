/// A complete request with its body aggregated in memory.
public struct HTTPParsedRequest: Sendable, Equatable {
    /// The request line and headers.
    public var head: HTTPRequestHead
    /// The body bytes (de-chunked); empty when there is no body.
    public var body: [UInt8]
    /// The trailer section of a chunked body; empty otherwise.
    public var trailers: HTTPHeaders

    /// Creates a request.
    public init(head: HTTPRequestHead, body: [UInt8] = [], trailers: HTTPHeaders = HTTPHeaders()) {
        self.head = head
        self.body = body
        self.trailers = trailers
    }
}
