import Eventide
import HTTPTypes
import OpenAPIRuntime

extension Response {
    /// The generated code's response as Eventide's: a body of known length collected into
    /// `.bytes` (sent with `Content-Length`), one of unknown length streamed chunk by
    /// chunk (`Response.stream`, chunked, each write waiting for a slow client). Framing
    /// fields the generated code set are dropped: the server frames the body itself.
    init(_ head: HTTPResponse, body: HTTPBody?) async throws {
        var headers = head.headerFields
        headers[.contentLength] = nil
        headers[.transferEncoding] = nil
        guard let body else {
            self.init(status: head.status, headers: headers)
            return
        }
        switch body.length {
        case .known(let length):
            let bytes = try await [UInt8](collecting: body, upTo: Int(clamping: length))
            self.init(status: head.status, headers: headers, body: .bytes(bytes))
        case .unknown:
            self = .stream(status: head.status, headers: headers) { writer in
                for try await chunk in body { try await writer.write(Array(chunk)) }
            }
        }
    }
}
