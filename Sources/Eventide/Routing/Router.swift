import EventideHTTP1

/// Collects routes, groups and middleware at start-up. `Server` freezes it into an
/// immutable, `Sendable` route table; later changes to the router have no effect.
///
/// ```swift
/// let router = Router()
/// router.get("/hello/{name}") { request in "Hello, \(request.pathParameters["name"] ?? "")!" }
/// let api = router.group("/api")
/// api.use(AuthMiddleware())
/// api.post("/items") { request async throws in try Response.json(await store.add(request.decode(Item.self))) }
/// ```
public final class Router: RouteBuilder {
    struct Definition {
        let method: HTTPMethod
        let path: String
        let responder: Responder
        let group: RouteGroup?
    }

    var definitions: [Definition] = []
    var middleware: [any Middleware] = []

    /// An empty router.
    public init() {}

    public func addRoute(_ method: HTTPMethod, _ path: String, _ handler: RouteHandler) {
        definitions.append(Definition(method: method, path: path, responder: handler.responder, group: nil))
    }

    /// Adds middleware that wraps every request, in the order added (first runs first).
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

    /// A group of routes under `prefix`, with middleware of its own.
    public func group(_ prefix: String) -> RouteGroup {
        RouteGroup(router: self, parent: nil, prefix: prefix)
    }

    /// Builds the immutable route table.
    ///
    /// - Throws: `RouteDefinitionError` for an invalid template or two routes that
    ///   conflict.
    package func freeze() throws -> RouteTable {
        var trie = RouteTrie<Responder>()
        for definition in definitions {
            let template = try PathTemplate(definition.path)
            var responder = definition.responder
            let chain = definition.group?.middlewareChain ?? []
            if !chain.isEmpty { responder = .async(chain.wrapping(responder.asAsync)) }
            try trie.insert(method: definition.method.rawValue, template: template, value: responder)
        }
        return RouteTable(trie: trie, middleware: middleware)
    }
}
