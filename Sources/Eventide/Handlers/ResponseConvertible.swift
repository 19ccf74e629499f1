/// A value a handler can return: it becomes the response.
public protocol ResponseConvertible: SendableMetatype {
    /// The response for this value.
    func makeResponse() throws -> Response
}

extension Response: ResponseConvertible {
    public func makeResponse() -> Response { self }
}

extension String: ResponseConvertible {
    /// A `text/plain; charset=utf-8` 200 response.
    public func makeResponse() -> Response { .text(self) }
}

extension HTTPStatus: ResponseConvertible {
    /// An empty response with this status.
    public func makeResponse() -> Response { Response(status: self) }
}
