import Eventide
import Testing

@Suite struct PipeliningTests {
    @Test func pipelinedResponsesComeBackInOrderAcrossSyncAndAsyncHandlers() throws {
        let router = Router()
        router.sync.get("/sync/{n}") { request, _ in "sync \(request.pathParameters["n"]!)" }
        router.get("/slow/{n}") { request, _ async in
            // Later requests would overtake this one if responses were not ordered.
            try? await Task.sleep(for: .milliseconds(20))
            return "slow \(request.pathParameters["n"]!)"
        }
        router.sync.post("/echo") { request, _ in Response.bytes(request.body) }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        var batch = ""
        var expected: [String] = []
        for n in 0..<12 {
            switch n % 3 {
            case 0:
                batch += "GET /slow/\(n) HTTP/1.1\r\nHost: x\r\n\r\n"
                expected.append("slow \(n)")
            case 1:
                batch += "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\necho\(n)\(n < 10 ? " " : "")"
                expected.append("echo\(n)\(n < 10 ? " " : "")")
            default:
                batch += "GET /sync/\(n) HTTP/1.1\r\nHost: x\r\n\r\n"
                expected.append("sync \(n)")
            }
        }
        try client.send(batch)
        for text in expected {
            #expect(try client.readResponse().text == text)
        }
    }

    @Test func requestsBufferedBeforeHalfCloseAreStillAnswered() throws {
        let router = Router()
        router.sync.get("/{n}") { request, _ in request.pathParameters["n"]! }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        client.shutdownWrite()
        #expect(try client.readResponse().text == "1")
        #expect(try client.readResponse().text == "2")
        #expect(try client.isClosedByPeer())
    }
}
