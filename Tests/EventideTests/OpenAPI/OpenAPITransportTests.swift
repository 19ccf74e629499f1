import Eventide
import EventideOpenAPI
import Foundation
import HTTPTypes
@_spi(Generated) import OpenAPIRuntime
import Testing

/// Eventide's router as swift-openapi-runtime's `ServerTransport`, over a real socket.
@Suite struct OpenAPITransportTests {
    @Test func twoPathParametersArriveRawAndDecodeLikeGeneratedCode() throws {
        let router = Router()
        try OpenAPIOperation(
            id: "getFile", method: .get, path: "/users/{user-id}/files/{name}",
            decode: { _, _, metadata, converter in
                let user = try converter.getPathParameterAsURI(in: metadata.pathParameters, name: "user-id", as: Int.self)
                let name = try converter.getPathParameterAsURI(in: metadata.pathParameters, name: "name", as: String.self)
                return "user=\(user) name=\(name) raw=\(metadata.pathParameters["name"] ?? "none")"
            },
            handle: { $0 },
            encode: { (HTTPResponse(status: .ok), HTTPBody($0)) }
        ).register(on: router.group("/v1"))
        let server = try TestServer(router)
        defer { _ = try? server.stop() }
        let client = try server.client()
        try client.send("GET /v1/users/42/files/a%20b%2Fc%C3%A9?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "user=42 name=a b/cé raw=a%20b%2Fc%C3%A9")
        // A parameter the generated code cannot convert is the client's mistake: 422.
        try client.send("GET /v1/users/forty-two/files/a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 422)
    }

    @Test func requestBodyArrivesWithKnownLengthAndKnownLengthResponseHasContentLength() throws {
        let router = Router()
        try OpenAPIOperation(
            id: "echo", method: .post, path: "/echo",
            decode: { _, body, _, _ in
                guard let body else { return "no body" }
                return "\(body.length): \(try await String(collecting: body, upTo: 1024))"
            },
            handle: { $0.uppercased() },
            encode: { (HTTPResponse(status: .ok, headerFields: [.contentType: "text/plain"]), HTTPBody($0)) }
        ).register(on: router)
        let server = try TestServer(router)
        defer { _ = try? server.stop() }
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
        let response = try client.readResponse()
        #expect(response.text == "KNOWN(11): HELLO WORLD")
        #expect(response.headers["content-length"] == "22")
        #expect(response.headers["transfer-encoding"] == nil)
        #expect(response.headers["content-type"] == "text/plain")
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.readResponse().text == "NO BODY")
    }

    /// The operation reads the body as it arrives: its first part is in the handler while
    /// the client has not sent the rest (a transport that collected the body first would
    /// wait for the whole of it).
    @Test func requestBodyStreamsIntoTheOperation() throws {
        let seen = Watched<[String]>([])
        let router = Router()
        try OpenAPIOperation(
            id: "upload", method: .post, path: "/upload",
            decode: { _, body, _, _ in
                guard let body else { return "no body" }
                var total = 0
                for try await chunk in body {
                    total += chunk.count
                    seen.update { $0.append(String(decoding: chunk, as: UTF8.self)) }
                }
                return "\(body.length) \(total)"
            },
            handle: { $0 },
            encode: { (HTTPResponse(status: .ok), HTTPBody($0)) }
        ).register(on: router)
        let server = try TestServer(router)
        defer { _ = try? server.stop() }
        let client = try server.client()
        try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nfirst")
        #expect(seen.wait(timeout: 5) { $0 == ["first"] })
        try client.send("later")
        #expect(try client.readResponse().text == "known(10) 10")
        try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "unknown 3")
    }

    /// The second chunk is produced only once the client has read the first, so a transport
    /// that collected the body before sending it would never answer; the background task
    /// added by the handler runs only after the last chunk.
    @Test func unknownLengthBodyStreamsChunkByChunkAndTheTaskRunsAfterIt() async throws {
        let journal = Journal()
        let (chunks, producer) = AsyncStream<HTTPBody.ByteChunk>.makeStream()
        let router = Router()
        try OpenAPIOperation(
            id: "stream", method: .get, path: "/events",
            decode: { _, _, _, _ in () },
            handle: { _ in
                try OpenAPIRequestContext.backgroundTasks.add({ @Sendable in journal.record("task ran") })
                producer.yield(ArraySlice("first".utf8))
                return HTTPBody(chunks, length: .unknown)
            },
            encode: { (HTTPResponse(status: .ok, headerFields: [.contentType: "text/event-stream"]), $0) }
        ).register(on: router)
        let server = try TestServer(router)
        defer { _ = try? server.stop() }
        let client = try server.client()
        try client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        var received = try client.readRaw(until: "5\r\nfirst\r\n")
        #expect(received.contains("Transfer-Encoding: chunked"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(journal.all.isEmpty, "the task ran before the response's last byte")
        producer.yield(ArraySlice("second".utf8))
        received += try client.readRaw(until: "6\r\nsecond\r\n")
        producer.finish()
        received += try client.readRaw(until: "0\r\n\r\n")
        #expect(received.hasSuffix("5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n"))
        #expect(await journal.wait { $0 == ["task ran"] })
    }

    @Test func serverMiddlewareRunsAroundTheOperation() throws {
        let router = Router()
        try OpenAPIOperation(
            id: "hello", method: .get, path: "/hello",
            decode: { _, _, _, _ in () }, handle: { _ in "hello" },
            encode: { (HTTPResponse(status: .ok), HTTPBody($0)) }
        ).register(on: router, middlewares: [HeaderMiddleware()])
        let server = try TestServer(router)
        defer { _ = try? server.stop() }
        let client = try server.client()
        try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.text == "hello")
        #expect(response.headers["x-operation"] == "hello")
    }

    /// Tasks added by a handler that then answers 404, throws an `HTTPError` (its status) or
    /// another error (500), or by a request that never reached its handler (422) do not run;
    /// those of a 200 do.
    @Test func noTaskFromAnErrorResponse() async throws {
        struct Item: Decodable { var name: String }
        struct Broken: Error {}
        let journal = Journal()
        let router = Router()
        try OpenAPIOperation(
            id: "outcome", method: .post, path: "/outcome/{kind}",
            decode: { _, body, metadata, converter in
                let kind = try converter.getPathParameterAsURI(in: metadata.pathParameters, name: "kind", as: String.self)
                let item = try await converter.getRequiredRequestBodyAsJSON(Item.self, from: body, transforming: { $0 })
                return (kind, item.name)
            },
            handle: { (kind: String, name: String) -> HTTPResponse.Status in
                try OpenAPIRequestContext.backgroundTasks.add({ @Sendable in journal.record("\(kind) \(name)") })
                switch kind {
                case "throw": throw Broken()
                case "conflict": throw HTTPError(.conflict, "taken")
                case "missing": return .notFound
                default: return .ok
                }
            },
            encode: { (HTTPResponse(status: $0), nil) }
        ).register(on: router)
        let server = try TestServer(router)
        defer { _ = try? server.stop() }
        let client = try server.client()
        for (kind, body, status) in [
            ("missing", #"{"name":"a"}"#, 404), ("throw", #"{"name":"b"}"#, 500), ("conflict", #"{"name":"e"}"#, 409),
            ("ok", #"{"nom":"c"}"#, 422), ("ok", #"{"name":"d"}"#, 200),
        ] {
            try client.send("POST /outcome/\(kind) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let response = try client.readResponse()
            #expect(response.status == status, "\(kind) \(body)")
            if status == 409 { #expect(response.text == "taken") }
            if status == 422 { #expect(response.text == #"{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}"#) }
        }
        #expect(await journal.wait { !$0.isEmpty })
        try await Task.sleep(for: .milliseconds(200))
        #expect(journal.all == ["ok d"])
    }

    @Test func requestContextOutsideARequestThrows() {
        #expect(throws: OpenAPIRequestContextError.self) { try OpenAPIRequestContext.backgroundTasks }
    }

    @Test func templateWhoseParameterIsNotAWholeSegmentIsRefused() {
        #expect(throws: OpenAPIPathError.self) {
            try Router().register({ _, _, _ in (HTTPResponse(status: .ok), nil) }, method: .get, path: "/files/{name}.json")
        }
    }
}

/// Adds `X-Operation: <operationID>` to every response.
private struct HeaderMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, body) = try await next(request, body, metadata)
        response.headerFields[HTTPField.Name("X-Operation")!] = operationID
        return (response, body)
    }
}
