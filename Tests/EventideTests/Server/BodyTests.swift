import Eventide
import Testing

@Suite struct BodyTests {
    struct Item: Codable, Equatable {
        let name: String
        let count: Int
    }

    static func router() -> Router {
        let router = Router()
        router.sync.post("/echo") { request, _ in Response.bytes(request.body) }
        router.sync.post("/trailers") { request, _ in request.trailers[HTTPField.Name("X-Checksum")!] ?? "none" }
        router.sync.post("/items") { request, _ in try Response.json(request.decode(Item.self), status: .created) }
        return router
    }

    @Test func chunkedUploadIsAggregated() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try client.send("5;ext=1\r\nhello\r\n")
        try client.send("6\r\n world\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "hello world")
        try client.send("POST /trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 42\r\n\r\n")
        #expect(try client.readResponse().text == "42")
    }

    @Test func expectContinueGetsAnInterimResponseBeforeTheBody() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("ping")
        #expect(try client.readResponse().text == "ping")
    }

    @Test func oversizedBodyIsRefusedBeforeItIsSent() throws {
        let server = try TestServer(Self.router()) { $0.limits.maxBodyBytes = 1024 }
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.headers["connection"] == "close")
        #expect(try client.isClosedByPeer())
    }

    @Test func jsonRoundTripAndBadJSONIs422() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        let json = #"{"name":"widget","count":3}"#
        try client.send("POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)")
        let created = try client.readResponse()
        #expect(created.status == 201)
        #expect(created.headers["content-type"] == "application/json")
        #expect(try JSONDecoder().decode(Item.self, from: Data(created.body)) == Item(name: "widget", count: 3))
        try client.send("POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{nope")
        #expect(try client.readResponse().status == 422)
        try client.send("POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}")
        #expect(try client.readResponse().status == 415)
    }
}

import Foundation
