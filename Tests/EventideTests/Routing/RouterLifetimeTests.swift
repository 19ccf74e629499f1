import Eventide
import Testing

@Suite struct RouterLifetimeTests {
    @Test func aRouterWithNestedGroupsIsFreedOnceFrozenAndReleased() throws {
        weak var released: Router?
        weak var releasedGroup: RouteGroup?
        var table: RouteTable?
        do {
            let router = Router()
            let api = router.group("/api")
            api.use { request, next in try await next(request) }
            let users = api.group("/users")
            users.sync.get("/{id}") { request, _ in "user \(request.pathParameters["id"] ?? "")" }
            released = router
            releasedGroup = users
            table = try router.freeze()
        }
        #expect(table != nil)
        // Groups referred to their router strongly and the router to its groups: LeakSanitizer
        // reported every router with groups as leaked.
        #expect(released == nil)
        #expect(releasedGroup == nil)
    }
}
