import Logging

/// Turns an error thrown by a handler or middleware into the response the client gets.
package enum ErrorResponse {
    /// `HTTPResponseError`s become their own status (a `MissingParameterError`, a handler
    /// asking for a name its route does not have, is also logged, and a `ValidationError`
    /// at info level); anything else is logged with the request id and answered 500
    /// without details.
    package static func response(for error: any Error, to request: Request) -> Response {
        if let error = error as? any HTTPResponseError {
            if let missing = error as? MissingParameterError {
                request.logger.warning(
                    "missing parameter",
                    metadata: ["parameter": "\(missing.name)", "method": "\(request.method)", "path": "\(request.path)"])
            } else if let invalid = error as? ValidationError {
                // The client's mistake, not the server's: one line at info level.
                request.logger.info(
                    "request not valid", metadata: ["error": "\(invalid)", "method": "\(request.method)", "path": "\(request.path)"])
            }
            var response = Response.text(error.body, status: error.status)
            for field in error.headers { response.headers[field.name] = field.value }
            return response
        }
        request.logger.error("handler failed: \(error)", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
        return .text("500 Internal Server Error", status: .internalServerError)
    }
}
