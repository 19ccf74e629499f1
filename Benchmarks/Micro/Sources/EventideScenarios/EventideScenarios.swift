@_spi(Benchmarks) import Eventide
import HTTP1Scenarios

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// (b) route lookup and (d) one whole keep-alive request through the sans-IO pipeline,
/// through Eventide's `@_spi(Benchmarks)` entry points (Sources/Eventide/Benchmarking.swift),
/// which run the server's own internal code.
public enum EventideScenarios {
    public static let all: [Scenario] = [
        route("Route GET /plaintext", .get, "/plaintext", expecting: 200),
        route("Route GET /users/42", .get, "/users/42", expecting: 200),
        route("Route 404 GET /nope/1", .get, "/nope/1", expecting: 404),
        route("Route 405 POST /plaintext", .post, "/plaintext", expecting: 405),
        handlerPlaintext,
        jsonResponse("JSON response {message} Foundation") { try Response.json($0, encoder: JSONEncoder()) },
        jsonResponse("JSON response {message}") { try Response.json($0) },
        pipelinePlaintext,
    ]

    /// 20 routes shaped like a small API, with `eventide-example bench`'s /plaintext.
    public static func makeRouter() -> Router {
        let router = Router()
        router.sync.get("/plaintext") { _, _ in Response.text("Hello, World!", contentType: "text/plain") }
        router.sync.get("/json") { _, _ in Response.text("{\"message\":\"Hello, World!\"}", contentType: "application/json") }
        router.sync.get("/") { _, _ in "home" }
        router.sync.get("/health") { _, _ in HTTPResponse.Status.noContent }
        router.sync.get("/users") { _, _ in "users" }
        router.sync.post("/users") { _, _ in HTTPResponse.Status.created }
        router.sync.get("/users/{id}") { request, _ in request.pathParameters["id"] ?? "" }
        router.sync.put("/users/{id}") { _, _ in HTTPResponse.Status.noContent }
        router.sync.delete("/users/{id}") { _, _ in HTTPResponse.Status.noContent }
        router.sync.get("/users/{id}/posts") { _, _ in "posts" }
        router.sync.get("/users/{id}/posts/{postID}") { _, _ in "post" }
        router.sync.post("/users/{id}/posts") { _, _ in HTTPResponse.Status.created }
        router.sync.get("/posts") { _, _ in "posts" }
        router.sync.get("/posts/{id}/comments") { _, _ in "comments" }
        router.sync.post("/send-notification/{email}") { _, _ in HTTPResponse.Status.accepted }
        router.sync.post("/slow/{ms}") { _, _ in HTTPResponse.Status.accepted }
        router.sync.get("/static/{path...}") { _, _ in "file" }
        router.sync.get("/api/v1/items") { _, _ in "items" }
        router.sync.get("/api/v1/items/{id}") { _, _ in "item" }
        router.sync.patch("/api/v1/items/{id}") { _, _ in HTTPResponse.Status.noContent }
        return router
    }

    /// `RouteTable.responder(for:)` on a prepared `Request`; the result is the number of
    /// path parameters bound.
    static func route(_ name: String, _ method: HTTPRequest.Method, _ target: String, expecting status: Int) -> Scenario {
        Scenario(name) {
            let routing = try RoutingBenchmark(router: makeRouter())
            let lookup = routing.lookup(method: method, target: target)
            let answered = routing.status(lookup)
            precondition(answered == status, "\(method) \(target): expected \(status), got \(answered)")
            return { routing.match(lookup) }
        }
    }

    /// The /plaintext handler's body alone: what `Response.text` costs.
    static let handlerPlaintext = Scenario("Handler Response.text plaintext") {
        {
            let response = Response.text("Hello, World!", contentType: "text/plain")
            return response.headers.count
        }
    }

    /// The body of `eventide-example bench`'s /json and /send-notification handlers.
    struct Message: Encodable {
        let message: String
    }

    /// The notification handler's `Response.json(Message(...))`, by `respond`: with a
    /// Foundation `JSONEncoder` (`Data`, then `Array(data)`: the path before
    /// `JSONBytesEncoder`) or the default encoder. The result is the body's length.
    static func jsonResponse(_ name: String, _ respond: @escaping @Sendable (Message) throws -> Response) -> Scenario {
        Scenario(name) {
            let message = Message(message: "Notification sent in the background")
            let expected = #"{"message":"Notification sent in the background"}"#
            guard case .bytes(let body) = try respond(message).body, String(decoding: body, as: UTF8.self) == expected else {
                preconditionFailure("\(name): unexpected body")
            }
            return {
                guard let response = try? respond(message), case .bytes(let body) = response.body else { return -1 }
                return body.count
            }
        }
    }

    /// (d) bytes in → HTTPServerConnection → Request → responder → serialized bytes, one
    /// keep-alive request per operation.
    static let pipelinePlaintext = Scenario("Pipeline keep-alive GET /plaintext") {
        let pipeline = try PipelineBenchmark(router: makeRouter())
        let input = Requests.wrkGet
        let response = input.withUnsafeBytes { String(decoding: pipeline.respond($0), as: UTF8.self) }
        precondition(
            response.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: ")
                && response.hasSuffix("\r\nContent-Length: 13\r\n\r\nHello, World!"),
            "unexpected response: \(response)")
        return { input.withUnsafeBytes { pipeline.handle($0) } }
    }
}
