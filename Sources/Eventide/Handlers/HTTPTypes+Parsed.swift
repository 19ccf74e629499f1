import EventideHTTP1
import HTTPTypes

// The parser keeps its own lean types on the hot path (no validation or lowercasing per
// field); these build swift-http-types' values from them when a handler asks.

extension HTTPRequest.Method {
    /// The parsed method. The parser accepts only RFC 9110 tokens, the grammar this
    /// initializer checks, so it cannot fail for a parsed request.
    init(parsed method: EventideHTTP1.HTTPMethod) {
        switch method {
        case .get: self = .get
        case .post: self = .post
        case .head: self = .head
        default:
            guard let method = HTTPRequest.Method(method.rawValue) else {
                preconditionFailure("the parser accepted a method that is not a token: \(method.rawValue)")
            }
            self = method
        }
    }
}

extension HTTPFields {
    /// The parsed fields, in order. Names are tokens (the parser checked); values keep
    /// their bytes (HTTPField replaces control characters, which the parser rejected).
    init(parsed headers: EventideHTTP1.HTTPHeaders) {
        self.init()
        reserveCapacity(headers.count)
        for (name, value) in headers {
            guard let name = HTTPField.Name(name) else { continue }
            append(HTTPField(name: name, value: value))
        }
    }
}

extension EventideHTTP1.HTTPMethod {
    /// The method the route table and the parser compare by.
    init(_ method: HTTPRequest.Method) {
        self.init(rawValue: method.rawValue)
    }
}
