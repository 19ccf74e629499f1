import HTTPTypes

/// Routes sharing a path prefix and middleware. Middleware added to a group wraps all
/// of its routes (and those of nested groups), whenever they were added.
public final class RouteGroup: RouteBuilder {
    // Weak: the router keeps its groups (through its route definitions), so a strong
    // reference back would be a cycle and no router with groups would ever be freed.
    private weak var router: Router?
    private let parent: RouteGroup?
    private let prefix: String
    private var middleware: [any Middleware] = []

    init(router: Router, parent: RouteGroup?, prefix: String) {
        self.router = router
        self.parent = parent
        self.prefix = prefix
    }

    public func addRoute(_ method: HTTPRequest.Method, _ path: String, _ handler: RouteHandler) {
        guard let router else { preconditionFailure("a route was added to a RouteGroup whose Router no longer exists") }
        router.definitions.append(.init(method: method, path: Self.join(fullPrefix, path), responder: handler.responder, group: self))
    }

    /// Adds middleware around this group's routes (first added runs first).
    @discardableResult
    public func use(_ middleware: some Middleware) -> Self {
        self.middleware.append(middleware)
        return self
    }

    /// Adds middleware written as a closure.
    @discardableResult
    public func use(_ body: @escaping @Sendable (Request, MiddlewareNext) async throws -> Response) -> Self {
        use(ClosureMiddleware(body))
    }

    /// A nested group under this group's prefix.
    public func group(_ prefix: String) -> RouteGroup {
        guard let router else { preconditionFailure("a group was made from a RouteGroup whose Router no longer exists") }
        return RouteGroup(router: router, parent: self, prefix: prefix)
    }

    /// The path its routes start with, from the router's root (`/admin/tasks`): for links
    /// between the pages of a mounted `RouteCollection`.
    public var path: String { Self.join(fullPrefix, "") }

    private var fullPrefix: String {
        guard let parent else { return prefix }
        return Self.join(parent.fullPrefix, prefix)
    }

    /// Outer groups' middleware first.
    var middlewareChain: [any Middleware] {
        (parent?.middlewareChain ?? []) + middleware
    }

    /// "/api" + "/users" = "/api/users"; "/api/" + "/" = "/api".
    static func join(_ prefix: String, _ path: String) -> String {
        var head = Substring(prefix)
        while head.hasSuffix("/") { head.removeLast() }
        var tail = Substring(path)
        while tail.hasPrefix("/") { tail.removeFirst() }
        if tail.isEmpty { return head.isEmpty ? "/" : String(head) }
        return (head.hasPrefix("/") || head.isEmpty ? "" : "/") + head + "/" + tail
    }
}
