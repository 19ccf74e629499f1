import Eventide
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Routes registered with `body: .stream` read their body as it arrives, over a real socket.
@Suite struct StreamedRequestBodyTests {
    /// What each test's handlers saw, by a key of the test's own.
    static let seen = Watched<[String: [String]]>([:])
    static func note(_ key: String, _ line: String) { seen.update { $0[key, default: []].append(line) } }
    static func gate(_ name: String) -> Gate { gates.entry(name) { Gate() } }
    static let gates = Watched<[String: Gate]>([:])

    static func router() -> Router {
        let router = Router()
        // Notes each chunk's size as it arrives, then answers the total.
        router.on(.post, "/count/{key}", body: .stream) { request, tasks in
            let key = try request.pathParameters.require("key")
            var total = 0
            for try await chunk in request.bodyStream {
                total += chunk.count
                note(key, "chunk \(chunk.count)")
            }
            let counted = total
            try tasks.add({ note(key, "task after \(counted)") }, name: "after")
            return "\(total)"
        }
        // Waits for its gate before reading anything.
        router.on(.post, "/slow/{key}", body: .stream) { request, _ in
            let key = try request.pathParameters.require("key")
            _ = await gate(key).wait(timeout: 20)
            return "\(try await request.bodyStream.collect(upTo: 8 << 20).count)"
        }
        // Answers at once, reading nothing.
        router.on(.post, "/refuse", body: .stream) { _, _ in Response.text("no", status: .forbidden) }
        // Echoes each chunk as it comes: both directions stream.
        router.on(.post, "/echo", body: .stream) { request, _ in
            Response.stream { writer in
                for try await chunk in request.bodyStream { try await writer.write(chunk) }
            }
        }
        // Records how the body ended.
        router.on(.post, "/watch/{key}", body: .stream) { request, _ in
            let key = try request.pathParameters.require("key")
            do {
                for try await _ in request.bodyStream {}
                note(key, "ended")
            } catch {
                note(key, "threw \(error)")
            }
            return "done"
        }
        router.post("/collected") { request, _ in "\(request.body.count) \(try await request.bodyStream.collect(upTo: 100).count)" }
        return router
    }

    static func post(_ path: String, length: Int, extra: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\(extra)\r\n"
    }

    @Test func theHandlerReadsTheBodyAsItArrives() throws {
        let key = UUID().uuidString
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send(Self.post("/count/\(key)", length: 10) + "hello")
        // The handler has the first part while the client has not sent the rest.
        #expect(Self.seen.wait(timeout: 5) { $0[key] == ["chunk 5"] })
        try client.send("world")
        let response = try client.readResponse()
        #expect(response.status == 200 && response.text == "10")
        #expect(Self.seen.wait(timeout: 5) { $0[key] == ["chunk 5", "chunk 5", "task after 10"] })
        // The connection goes on.
        try client.send(Self.post("/count/\(key)-2", length: 3) + "abc")
        #expect(try client.readResponse().text == "3")
    }

    @Test func chunkedAndContinueBodiesStreamToo() throws {
        let key = UUID().uuidString
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("POST /count/\(key) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n")
        #expect(Self.seen.wait(timeout: 5) { $0[key] == ["chunk 4"] })
        try client.send("2\r\nef\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "6")

        try client.send(Self.post("/count/\(key)-c", length: 3, extra: "Expect: 100-continue\r\n"))
        #expect(try client.readRaw(until: "\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n")
        try client.send("xyz")
        #expect(try client.readResponse().text == "3")
    }

    @Test func aHandlerThatFallsBehindHoldsTheClientBack() throws {
        let key = UUID().uuidString
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client(receiveTimeout: 20)
        let total = 6 << 20
        var sndbuf: Int32 = 65536
        setsockopt(client.fileDescriptor, SOL_SOCKET, SO_SNDBUF, &sndbuf, socklen_t(MemoryLayout<Int32>.size))
        try client.send(Self.post("/slow/\(key)", length: total))
        // Non-blocking sends until the kernel refuses: what the server took while its
        // handler reads nothing is bounded by socket buffers and its own 64 KiB watermark.
        let flags = fcntl(client.fileDescriptor, F_GETFL)
        _ = fcntl(client.fileDescriptor, F_SETFL, flags | O_NONBLOCK)
        let block = [UInt8](repeating: 0x61, count: 65536)
        var sent = 0
        var stalledSince: Date?
        while sent < total {
            let count = block.withUnsafeBytes { Glibc.send(client.fileDescriptor, $0.baseAddress, min($0.count, total - sent), Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
                stalledSince = nil
            } else {
                if stalledSince == nil { stalledSince = Date() }
                if Date().timeIntervalSince(stalledSince!) > 0.5 { break }
                usleep(10_000)
            }
        }
        #expect(sent < 3 << 20, "the server took \(sent) bytes while its handler read none")
        _ = fcntl(client.fileDescriptor, F_SETFL, flags)
        Self.gate(key).open()
        try client.send([UInt8](repeating: 0x61, count: total - sent))
        #expect(try client.readResponse().text == "\(total)")
    }

    @Test func anAnswerBeforeTheBodyEndedDiscardsTheRestAndTheConnectionGoesOn() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send(Self.post("/refuse", length: 100_000) + String(repeating: "a", count: 1000))
        let refused = try client.readResponse()
        #expect(refused.status == 403)
        try client.send(String(repeating: "a", count: 99_000) + Self.post("/collected", length: 2) + "hi")
        #expect(try client.readResponse().text == "2 2")
    }

    @Test func bothDirectionsStream() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        // The first part comes back before the second is sent.
        #expect(try client.readRaw(until: "first").hasSuffix("5\r\nfirst"))
        try client.send("6\r\nsecond\r\n")
        #expect(try client.readRaw(until: "second").hasSuffix("6\r\nsecond"))
        try client.send("0\r\n\r\n")
        #expect(try client.readRaw(until: "0\r\n\r\n").hasSuffix("0\r\n\r\n"))
    }

    @Test func aClientThatLeavesOrStallsMidBodyEndsTheStreamWithAnError() throws {
        let (left, stalled) = (UUID().uuidString, UUID().uuidString)
        let server = try TestServer(Self.router()) { $0.timeouts.body = .milliseconds(300) }
        defer { #expect(throws: Never.self) { try server.stop() } }
        do {
            let client = try server.client()
            try client.send(Self.post("/watch/\(left)", length: 10) + "abc")
        }
        #expect(Self.seen.wait(timeout: 5) { $0[left] == ["threw \(RequestBodyError.connectionClosed)"] })
        let client = try server.client()
        try client.send(Self.post("/watch/\(stalled)", length: 10) + "abc")
        #expect(Self.seen.wait(timeout: 5) { $0[stalled] == ["threw \(RequestBodyError.timedOut)"] })
        #expect(try client.isClosedByPeer())
    }

    @Test func otherRoutesAndBodilessRequestsAreUnchanged() throws {
        let key = UUID().uuidString
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send(Self.post("/collected", length: 5) + "abcde")
        #expect(try client.readResponse().text == "5 5")
        try client.send(Self.post("/count/\(key)", length: 0))
        #expect(try client.readResponse().text == "0")
    }
}
