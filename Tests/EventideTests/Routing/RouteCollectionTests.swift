import Eventide
import EventideTesting
import Testing

@Suite struct RouteCollectionTests {
    /// Two routes and a middleware of its own.
    struct Health: RouteCollection {
        func register(on routes: RouteGroup) throws {
            routes.use { request, next in
                var response = try await next(request)
                response.headers[HTTPField.Name("X-Health")!] = "1"
                return response
            }
            let path = routes.path
            routes.get("/") { _, _ in "root of \(path)" }
            routes.get("/live") { _, _ in "live" }
        }
    }

    struct Refusing: RouteCollection {
        struct Misconfigured: Error {}
        func register(on routes: RouteGroup) throws { throw Misconfigured() }
    }

    @Test func aMountedCollectionAnswersUnderItsPrefixWithItsOwnMiddleware() async throws {
        let router = Router()
        router.get("/other") { _, _ in "other" }
        try router.mount("/health", Health())
        let api = router.group("/api")
        api.use { request, next in
            var response = try await next(request)
            response.headers[HTTPField.Name("X-API")!] = "1"
            return response
        }
        try api.mount("/v1/health", Health())
        let client = try TestClient(router: router)
        let root = try await client.execute(.get, "/health")
        #expect(root.status == .ok && root.text == "root of /health")
        #expect(root.headers[HTTPField.Name("X-Health")!] == "1")
        #expect(try await client.execute(.get, "/health/live").text == "live")
        let nested = try await client.execute(.get, "/api/v1/health/live")
        #expect(nested.text == "live")
        #expect(nested.headers[HTTPField.Name("X-Health")!] == "1" && nested.headers[HTTPField.Name("X-API")!] == "1")
        #expect(try await client.execute(.get, "/api/v1/health").text == "root of /api/v1/health")
        let other = try await client.execute(.get, "/other")
        #expect(other.headers[HTTPField.Name("X-Health")!] == nil)
        try client.shutdown()
        #expect(throws: Refusing.Misconfigured.self) { try Router().mount("/x", Refusing()) }
    }
}
