import Eventide
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A real HTTP client (URLSession, libcurl underneath on Linux) against the server.
@Suite struct RealClientTests {
    @Test func urlSessionGetsPlaintextAndPostsJSON() async throws {
        let router = Router()
        router.sync.get("/plaintext") { _, _ in Response.text("Hello, World!", contentType: "text/plain") }
        router.sync.post("/double") { request, _ in
            let numbers = try request.decode([Int].self)
            return try Response.json(numbers.map { $0 * 2 })
        }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }

        let (data, response) = try await session.data(from: URL(string: "http://127.0.0.1:\(server.port)/plaintext")!)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "Hello, World!")
        #expect(http.value(forHTTPHeaderField: "Content-Type") == "text/plain")

        var post = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/double")!)
        post.httpMethod = "POST"
        post.setValue("application/json", forHTTPHeaderField: "Content-Type")
        post.httpBody = Data("[1,2,3]".utf8)
        let (doubled, _) = try await session.data(for: post)
        #expect(try JSONDecoder().decode([Int].self, from: doubled) == [2, 4, 6])
    }
}
