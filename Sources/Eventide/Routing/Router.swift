import HTTPTypes

/// Collects routes, groups and middleware at start-up. `Server` freezes it into an
/// immutable, `Sendable` route table; later changes to the router have no effect.
///
/// ```swift
/// let router = Router()
/// router.get("/hello/{name}") { request, _ in "Hello, \(try request.pathParameters.require("name"))!" }
/// let api = router.group("/api")
/// api.use(AuthMiddleware())
/// api.post("/items", body: Item.self) { item, _, _ in try Response.json(await store.add(item)) }
/// ```
public final class Router: RouteBuilder {
    struct Definition {
        let method: HTTPRequest.Method
        let path: String
        let responder: Responder
        let group: RouteGroup?
    }

    var definitions: [Definition] = []
    var middleware: [any Middleware] = []

    /// An empty router.
    public init() {}

    public func addRoute(_ method: HTTPRequest.Method, _ path: String, _ handler: RouteHandler) {
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

    /// Builds the immutable route table; with `metrics`, every route's requests are
    /// counted and timed under its method and template.
    ///
    /// - Throws: `RouteDefinitionError` for an invalid template or two routes that
    ///   conflict.
    package func freeze(metrics: ServerMetrics? = nil) throws -> RouteTable {
        var trie = RouteTrie<Responder>()
        for definition in definitions {
            let template = try PathTemplate(definition.path)
            var responder = definition.responder.wrapped(in: middleware + (definition.group?.middlewareChain ?? []))
            if let metrics {
                responder = responder.measured(by: metrics.route(method: definition.method.rawValue, template: definition.path))
            }
            try trie.insert(method: definition.method.rawValue, template: template, value: responder)
        }
        return RouteTable(
            trie: trie, middleware: middleware, metrics: metrics, streamsBodies: definitions.contains { $0.responder.streamsBody })
    }
}
