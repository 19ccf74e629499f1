import Eventide
import HTTPTypes
import OpenAPIRuntime

extension ServerError {
    /// What the client gets for an error of the generated server (thrown past every
    /// `ServerMiddleware`, so none of them turned it into a response):
    ///
    /// - an Eventide `HTTPResponseError` the handler threw (`HTTPError`, `ValidationError`,
    ///   a full task queue's 503) is answered as Eventide answers it anywhere;
    /// - input that did not decode (the runtime's 400: a body that is not the schema's, a
    ///   parameter missing or of the wrong type) is a `ValidationError`, 422, as for
    ///   Eventide's own routes;
    /// - another status below 500 the runtime chose (415 for a wrong `Content-Type`, 406
    ///   for an `Accept` it cannot meet) is answered with that status and the runtime's body;
    /// - anything else (the handler's own error, a middleware's) is thrown on: the server
    ///   logs one line and answers 500.
    func response(to request: Request) async throws -> Response {
        if let error = underlyingError as? any HTTPResponseError { throw error }
        guard (400..<500).contains(httpStatus.code) else { throw OpenAPIOperationError(operationID: operationID, cause: causeDescription, underlying: underlyingError) }
        if httpStatus == .badRequest && operationInput == nil { throw validationError(for: request) }
        var head = HTTPResponse(status: httpStatus, headerFields: httpHeaderFields)
        if httpBody == nil {
            head.headerFields[.contentType] = "text/plain; charset=utf-8"
            return try await Response(head, body: HTTPBody(causeDescription))
        }
        return try await Response(head, body: httpBody)
    }

    /// FastAPI's 422 for input the generated code could not decode: a `DecodingError` with
    /// a body present is located in the body (field by field, as `Request.decode` does);
    /// anything else under "request" with the runtime's description, since the runtime
    /// does not say which parameter failed.
    private func validationError(for request: Request) -> ValidationError {
        // The body streamed into the generated code: whether there was one is in the head.
        if underlyingError is DecodingError, request.parsedHead.framing.hasBody {
            return ValidationError(decodingBody: underlyingError, bodyIsEmpty: false)
        }
        return ValidationError([.init(loc: ["request"], msg: causeDescription, type: "value_error")])
    }
}
