import EventideHTTP1
import HTTPTypes

/// The route-registering API shared by `Router` and `RouteGroup`.
///
/// A handler has one shape: it is `async`, receives the `Request` and the request's
/// `BackgroundTasks`, and returns anything `ResponseConvertible` (a `Response`, a `String`,
/// an `HTTPResponse.Status`, a `[String: Encodable]`). Variants add a typed body decoded from
/// JSON (`body:`) or dependencies resolved first (`using:`). A handler that never waits can
/// be registered through `sync` instead: it runs inline on the loop thread, without a task.
///
/// ```swift
/// router.post("/send-notification/{email}") { request, tasks in
///     try tasks.add(writeLog, "notification for \(try request.pathParameters.require("email"))\n")
///     return ["message": "Notification sent in the background"]
/// }
/// router.post("/items", body: Item.self) { item, request, tasks in try Response.json(await store.add(item)) }
/// router.sync.get("/plaintext") { _, _ in "Hello, World!" }
/// ```
public protocol RouteBuilder: AnyObject {
    /// Registers `handler` for `method` and `path` (relative to this builder). Use `on`,
    /// `get`, `post` and friends, which build the handler.
    func addRoute(_ method: HTTPRequest.Method, _ path: String, _ handler: RouteHandler)
}

/// An `async` handler: the request and its background tasks in, a response out.
public typealias AsyncRouteHandler<R: ResponseConvertible> = @Sendable (Request, BackgroundTasks) async throws -> R
/// An `async` handler of a typed body: the body decoded from JSON, the request and its tasks.
public typealias AsyncBodyRouteHandler<Body: Decodable & SendableMetatype, R: ResponseConvertible> =
    @Sendable (Body, Request, BackgroundTasks) async throws -> R

extension RouteBuilder {
    /// Registers `handler` for `method` and the path template `path` (`/users/{id}`; a
    /// final `{rest...}` matches the remaining segments). It runs in a task on the loop's
    /// executor.
    @discardableResult
    public func on<R: ResponseConvertible>(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping AsyncRouteHandler<R>) -> Self {
        addRoute(method, path, RouteHandler(responder: .async { try await handler($0, $0.backgroundTasks).makeResponse() }))
        return self
    }

    /// Registers `handler` for a JSON body decoded as `Body` (a `ValidationError`, 422,
    /// when it does not decode; 415 when `Content-Type` is present and not JSON; see `Request.decode`).
    /// Registers an `async` handler that receives the body as `body` says: `.stream` runs
    /// it as soon as the head arrived, with the body in `request.bodyStream` as it comes
    /// (uploads processed without holding them in memory; the client's sending is held
    /// back while the handler does not keep up).
    ///
    /// ```swift
    /// router.on(.post, "/upload", body: .stream) { request, tasks in
    ///     for try await chunk in request.bodyStream { try file.write(chunk) }
    ///     return HTTPResponse.Status.created
    /// }
    /// ```
    @discardableResult
    public func on<R: ResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String, body: RequestBodyMode, _ handler: @escaping AsyncRouteHandler<R>
    ) -> Self {
        let call: @Sendable (Request) async throws -> Response = { try await handler($0, $0.backgroundTasks).makeResponse() }
        addRoute(method, path, RouteHandler(responder: body == .stream ? .streaming(call) : .async(call)))
        return self
    }

    @discardableResult
    public func on<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String, body: Body.Type, _ handler: @escaping AsyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(method, path) { request, tasks in try await handler(try request.decode(Body.self), request, tasks) }
    }

    /// Registers a handler whose dependencies are resolved first, in order (so their
    /// background tasks come before the handler's), then passed to it.
    @discardableResult
    public func on<First: Sendable, each Value: Sendable, R: ResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String,
        using first: Dependency<First>, _ dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, First, repeat each Value) async throws -> R
    ) -> Self {
        on(method, path) { request, tasks in
            try await handler(request, tasks, try await request.resolve(first), repeat try await request.resolve(each dependencies))
        }
    }

    /// Registers a GET handler (it also answers HEAD).
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping AsyncRouteHandler<R>) -> Self {
        on(.get, path, handler)
    }

    /// Registers a GET handler (it also answers HEAD) with dependencies resolved first.
    @discardableResult
    public func get<First: Sendable, each Value: Sendable, R: ResponseConvertible>(
        _ path: String, using first: Dependency<First>, _ dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, First, repeat each Value) async throws -> R
    ) -> Self {
        on(.get, path, using: first, repeat each dependencies, handler: handler)
    }

    /// Registers a POST handler.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping AsyncRouteHandler<R>) -> Self {
        on(.post, path, handler)
    }

    /// Registers a POST handler of a typed JSON body.
    @discardableResult
    public func post<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ path: String, body: Body.Type, _ handler: @escaping AsyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(.post, path, body: body, handler)
    }

    /// Registers a POST handler with dependencies resolved first.
    @discardableResult
    public func post<First: Sendable, each Value: Sendable, R: ResponseConvertible>(
        _ path: String, using first: Dependency<First>, _ dependencies: repeat Dependency<each Value>,
        handler: @escaping @Sendable (Request, BackgroundTasks, First, repeat each Value) async throws -> R
    ) -> Self {
        on(.post, path, using: first, repeat each dependencies, handler: handler)
    }

    /// Registers a PUT handler.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping AsyncRouteHandler<R>) -> Self {
        on(.put, path, handler)
    }

    /// Registers a PUT handler of a typed JSON body.
    @discardableResult
    public func put<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ path: String, body: Body.Type, _ handler: @escaping AsyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(.put, path, body: body, handler)
    }

    /// Registers a PATCH handler.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping AsyncRouteHandler<R>) -> Self {
        on(.patch, path, handler)
    }

    /// Registers a PATCH handler of a typed JSON body.
    @discardableResult
    public func patch<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ path: String, body: Body.Type, _ handler: @escaping AsyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(.patch, path, body: body, handler)
    }

    /// Registers a DELETE handler.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping AsyncRouteHandler<R>) -> Self {
        on(.delete, path, handler)
    }

    /// The synchronous fast path: handlers registered through it run inline on the loop
    /// thread, with no task and no allocation of their own per request.
    public var sync: SynchronousRoutes { SynchronousRoutes(builder: self) }
}
