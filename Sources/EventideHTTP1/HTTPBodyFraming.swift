/// How the body of a request is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Hashable, Sendable {
    /// No body: neither Content-Length nor Transfer-Encoding was present.
    case none
    /// A body of exactly this many bytes.
    case contentLength(Int)
    /// A chunked body, terminated by the last chunk and trailer section.
    case chunked
}

extension HTTPBodyFraming {
    /// Whether a body follows the head (a chunked one, or a non-zero `Content-Length`).
    public var hasBody: Bool {
        switch self {
        case .none: return false
        case .contentLength(let length): return length > 0
        case .chunked: return true
        }
    }
}
