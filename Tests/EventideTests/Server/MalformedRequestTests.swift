import Eventide
import Testing

/// Framing errors over a real socket: the right status, `Connection: close`, and nothing
/// more read from the connection. (Every rule is unit-tested in HTTP1Tests.)
@Suite struct MalformedRequestTests {
    static let cases: [(String, Int)] = [
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 17000))\r\n\r\n", 431),
    ]

    @Test(arguments: cases)
    func rejectsAndCloses(request: String, status: Int) throws {
        let router = Router()
        router.sync.on(.post, "/") { _, _ in "should not run" }
        router.sync.get("/") { _, _ in "should not run" }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send(request + "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(response.headers["connection"] == "close")
        #expect(try client.isClosedByPeer())
    }
}
