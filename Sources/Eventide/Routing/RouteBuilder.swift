import EventideHTTP1

/// The route-registering API shared by `Router` and `RouteGroup`.
///
/// Handlers may be synchronous (they run on the loop thread: keep them short) or
/// `async` (they run on the loop's executor). They take the `Request`, optionally the
/// request's `BackgroundTasks`, and optionally values of dependencies, and return
/// anything `ResponseConvertible`: a `Response`, a `String`, an `HTTPStatus`.
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

    /// Registers a synchronous handler that receives the request's background tasks.
    @discardableResult
    public func on<R: ResponseConvertible>(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) throws -> R) -> Self {
        addRoute(method, path, RouteHandler(responder: .sync { try handler($0, $0.backgroundTasks).makeResponse() }))
        return self
    }

    /// Registers an `async` handler that receives the request's background tasks.
    @discardableResult
    public func on<R: ResponseConvertible>(_ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) async throws -> R) -> Self {
        addRoute(method, path, RouteHandler(responder: .async { try await handler($0, $0.backgroundTasks).makeResponse() }))
        return self
    }

    /// Registers a handler whose dependencies are resolved first, in order (so their
    /// background tasks come before the handler's), then passed to it.
    @discardableResult
    public func on<each Value: Sendable, R: ResponseConvertible>(
        _ method: HTTPMethod, _ path: String, using dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, repeat each Value) async throws -> R
    ) -> Self {
        addRoute(method, path, RouteHandler(responder: .async { request in
            try await handler(request, request.backgroundTasks, repeat try await request.resolve(each dependencies)).makeResponse()
        }))
        return self
    }

    /// Registers a synchronous GET (it also answers HEAD) handler.
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.get, path, handler) }
    /// Registers an `async` GET (it also answers HEAD) handler.
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.get, path, handler) }
    /// Registers a synchronous GET (it also answers HEAD) handler taking the background tasks.
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) throws -> R) -> Self { on(.get, path, handler) }
    /// Registers an `async` GET (it also answers HEAD) handler taking the background tasks.
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) async throws -> R) -> Self { on(.get, path, handler) }
    /// Registers a GET (it also answers HEAD) handler with dependencies resolved first.
    @discardableResult
    public func get<each Value: Sendable, R: ResponseConvertible>(
        _ path: String, using dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, repeat each Value) async throws -> R
    ) -> Self { on(.get, path, using: repeat each dependencies, handler: handler) }

    /// Registers a synchronous POST handler.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.post, path, handler) }
    /// Registers an `async` POST handler.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.post, path, handler) }
    /// Registers a synchronous POST handler taking the background tasks.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) throws -> R) -> Self { on(.post, path, handler) }
    /// Registers an `async` POST handler taking the background tasks.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) async throws -> R) -> Self { on(.post, path, handler) }
    /// Registers a POST handler with dependencies resolved first.
    @discardableResult
    public func post<each Value: Sendable, R: ResponseConvertible>(
        _ path: String, using dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, repeat each Value) async throws -> R
    ) -> Self { on(.post, path, using: repeat each dependencies, handler: handler) }

    /// Registers a synchronous PUT handler.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.put, path, handler) }
    /// Registers an `async` PUT handler.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.put, path, handler) }
    /// Registers a synchronous PUT handler taking the background tasks.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) throws -> R) -> Self { on(.put, path, handler) }
    /// Registers an `async` PUT handler taking the background tasks.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) async throws -> R) -> Self { on(.put, path, handler) }
    /// Registers a PUT handler with dependencies resolved first.
    @discardableResult
    public func put<each Value: Sendable, R: ResponseConvertible>(
        _ path: String, using dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, repeat each Value) async throws -> R
    ) -> Self { on(.put, path, using: repeat each dependencies, handler: handler) }

    /// Registers a synchronous PATCH handler.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.patch, path, handler) }
    /// Registers an `async` PATCH handler.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.patch, path, handler) }
    /// Registers a synchronous PATCH handler taking the background tasks.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) throws -> R) -> Self { on(.patch, path, handler) }
    /// Registers an `async` PATCH handler taking the background tasks.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) async throws -> R) -> Self { on(.patch, path, handler) }
    /// Registers a PATCH handler with dependencies resolved first.
    @discardableResult
    public func patch<each Value: Sendable, R: ResponseConvertible>(
        _ path: String, using dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, repeat each Value) async throws -> R
    ) -> Self { on(.patch, path, using: repeat each dependencies, handler: handler) }

    /// Registers a synchronous DELETE handler.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) throws -> R) -> Self { on(.delete, path, handler) }
    /// Registers an `async` DELETE handler.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request) async throws -> R) -> Self { on(.delete, path, handler) }
    /// Registers a synchronous DELETE handler taking the background tasks.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) throws -> R) -> Self { on(.delete, path, handler) }
    /// Registers an `async` DELETE handler taking the background tasks.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping @Sendable (Request, BackgroundTasks) async throws -> R) -> Self { on(.delete, path, handler) }
    /// Registers a DELETE handler with dependencies resolved first.
    @discardableResult
    public func delete<each Value: Sendable, R: ResponseConvertible>(
        _ path: String, using dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, repeat each Value) async throws -> R
    ) -> Self { on(.delete, path, using: repeat each dependencies, handler: handler) }
}
