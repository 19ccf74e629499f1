/// The route-registering API shared by `Router` and `RouteGroup`.
///
/// Handlers may be synchronous (they run on the loop thread: keep them short) or
/// `async` (they run on the loop's executor). They return anything
/// `ResponseConvertible`: a `Response`, a `String`, an `HTTPStatus`.
public protocol RouteBuilder: AnyObject {
    /// Registers `handler` for `method` and `path` (relative to this builder). Use `on`,
    /// `get`, `post` and friends, which build the handler.
    func addRoute(_ method: HTTPMethod, _ path: String, _ handler: RouteHandler)
}

extension RouteBuilder {
    /// Registers a synchronous handler for `method` and the path template `path`
    /// (`/users/{id}`; a final `{rest...}` matches the remaining segments).
    @discardableResult
    public func on<R: ResponseConvertible>(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self {
        addRoute(method, path, RouteHandler(responder: .sync { try handler($0).makeResponse() }))
        return self
    }

    /// Registers an `async` handler for `method` and the path template `path`.
    @discardableResult
    public func on<R: ResponseConvertible>(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self {
        addRoute(method, path, RouteHandler(responder: .async { try await handler($0).makeResponse() }))
        return self
    }

    /// Registers a synchronous GET handler (it also answers HEAD).
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.get, path, handler) }
    /// Registers an `async` GET handler (it also answers HEAD).
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.get, path, handler) }
    /// Registers a synchronous POST handler.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.post, path, handler) }
    /// Registers an `async` POST handler.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.post, path, handler) }
    /// Registers a synchronous PUT handler.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.put, path, handler) }
    /// Registers an `async` PUT handler.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.put, path, handler) }
    /// Registers a synchronous PATCH handler.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.patch, path, handler) }
    /// Registers an `async` PATCH handler.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.patch, path, handler) }
    /// Registers a synchronous DELETE handler.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.delete, path, handler) }
    /// Registers an `async` DELETE handler.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.delete, path, handler) }
}
