import EventideHTTP1

/// A value a handler can return: it becomes the response.
public protocol ResponseConvertible: SendableMetatype {
    /// The response for this value. `consuming`: a `Response` hands itself over without
    /// a copy (conformances may still declare a plain `func`).
    consuming func makeResponse() throws -> Response
}

extension Response: ResponseConvertible {
    public consuming func makeResponse() -> Response { self }
}

extension String: ResponseConvertible {
    /// A `text/plain; charset=utf-8` 200 response.
    public func makeResponse() -> Response { .text(self) }
}

extension HTTPResponse.Status: ResponseConvertible {
    /// An empty response with this status.
    public func makeResponse() -> Response { Response(status: self) }
}
