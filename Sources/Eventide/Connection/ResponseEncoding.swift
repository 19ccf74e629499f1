import EventideHTTP1

/// The socket-free part of answering a request: the keep-alive decision, the bytes of
/// a complete response, and lending the loop's output buffer to collect them in. Shared
/// by the connection and the micro-benchmarks, so what is measured is what is served.
enum ResponseEncoding {
    /// Byte bodies from this size on are written from their own array, not copied into
    /// the output buffer.
    static let largeBodyThreshold = 16 * 1024

    /// Whether the request allows the connection to stay open after its response
    /// (`closing`: the server wants this to be the last response). The response's own
    /// `Connection: close` is honoured by the serializer, which reads the fields anyway.
    static func keepAlive(request: HTTPRequestHead, closing: Bool) -> Bool {
        request.keepAlive && !closing
    }

    /// Appends the head and, unless the request was HEAD or the status has none, the body
    /// of a complete (not streamed) response. Returns whether the connection stays open,
    /// and a large byte body for the caller to write after flushing `outbound`, instead of
    /// copying it.
    static func appendComplete(
        _ response: Response, to request: HTTPRequestHead, keepAlive: Bool, serverName: String?, date: String,
        into outbound: inout [UInt8]
    ) -> (keepAlive: Bool, largeBody: [UInt8]?) {
        let statusAllowsBody = statusAllowsBody(response.status)
        func appendHead(_ headers: HTTPFields) -> Bool {
            HTTPResponseSerializer.appendHead(
                status: response.status, headers: headers, contentLength: statusAllowsBody ? response.body.knownLength : nil,
                chunked: false, keepAlive: keepAlive, requestVersion: request.version, date: date, into: &outbound)
        }
        let keepAlive: Bool
        if let serverName {
            var headers = response.headers
            headers[.server] = serverName
            keepAlive = appendHead(headers)
        } else {
            keepAlive = appendHead(response.headers)  // the response's own list, not a copy of it
        }
        guard statusAllowsBody, request.method != .head else { return (keepAlive, nil) }
        switch response.body {
        case .bytes(let bytes) where bytes.count >= largeBodyThreshold:
            return (keepAlive, bytes)
        case .bytes(let bytes):
            outbound.append(contentsOf: bytes)
        case .string(var text):
            text.withUTF8 { outbound.append(contentsOf: $0) }
        case .empty, .stream:
            break
        }
        return (keepAlive, nil)
    }

    /// Appends the plain-text error response of a rejected or timed-out request (it
    /// always closes the connection).
    static func appendRejection(status: HTTPResponse.Status, reason: String, date: String, into outbound: inout [UInt8]) {
        let body = Array("\(status.code) \(status.reasonPhrase): \(reason)\n".utf8)
        HTTPResponseSerializer.appendHead(
            status: status, headers: .contentType("text/plain; charset=utf-8"),
            contentLength: body.count, chunked: false, keepAlive: false, requestVersion: .http1_1,
            date: date, into: &outbound)
        outbound.append(contentsOf: body)
    }

    /// The answer to the first request of a connection accepted beyond `maxConnections`.
    static let overCapacityResponse: Response = {
        var response = Response.text("503 Service Unavailable: too many connections\n", status: .serviceUnavailable)
        response.headers[.retryAfter] = "1"
        return response
    }()

    /// 1xx, 204 and 304 responses have no body (and no `Content-Length`).
    static func statusAllowsBody(_ status: HTTPResponse.Status) -> Bool {
        status.code >= 200 && status.code != 204 && status.code != 304
    }
}

extension ResponseEncoding {
    /// Takes the loop's spare output buffer unless `outbound` has storage of its own.
    /// Without it the next append allocates a buffer (correct, just not free).
    static func borrowOutput(_ outbound: inout [UInt8], from spare: inout [UInt8]) {
        if outbound.capacity == 0 { swap(&outbound, &spare) }
    }

    /// Gives the emptied `outbound` back as the loop's spare; one grown past 64 KiB by a
    /// large batch, or a second one while the loop already has its own, is freed instead.
    static func returnOutput(_ outbound: inout [UInt8], to spare: inout [UInt8]) {
        if outbound.capacity <= 64 * 1024 && spare.capacity == 0 {
            swap(&outbound, &spare)  // leaves the loop's empty array here
        } else {
            outbound = []
        }
    }
}

/// Hands out request contexts, reusing the previous one when nothing else kept a
/// reference to it (handlers rarely keep requests): no allocation per request.
struct RequestContextRecycler {
    private var spare: RequestContext?

    /// A fresh context for request `id`.
    mutating func make(id: RequestID, service: BackgroundTaskLifecycle.Shared) -> RequestContext {
        if var context = spare {
            spare = nil
            if isKnownUniquelyReferenced(&context) {
                context.reuse(for: id)
                return context
            }
        }
        return RequestContext(requestID: id, service: service)
    }

    /// Offers `context` for reuse once its request is answered.
    mutating func recycle(_ context: RequestContext) {
        spare = context
    }
}
