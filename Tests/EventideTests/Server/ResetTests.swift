import Eventide
import Testing

@Suite struct ResetTests {
    @Test func clientResetMidRequestAndMidResponseLeavesServerServing() throws {
        let big = [UInt8](repeating: 0x7A, count: 4 * 1024 * 1024)
        let router = Router()
        router.sync.get("/big") { _, _ in Response.bytes(big) }
        router.sync.post("/echo") { request, _ in Response.bytes(request.body) }
        router.sync.get("/ok") { _, _ in "ok" }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        for _ in 0..<20 {
            let midRequest = try server.client()
            try midRequest.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
            midRequest.reset()
            let midResponse = try server.client()
            try midResponse.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try midResponse.readSlowly(total: 1, chunk: 1024, interval: 0)
            midResponse.reset()
        }
        let client = try server.client()
        try client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
    }
}
