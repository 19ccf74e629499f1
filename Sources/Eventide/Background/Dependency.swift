/// A value computed from the request, FastAPI's `Depends`: it may add background tasks
/// to the request's shared collection and resolve other dependencies (sub-dependencies).
/// Each dependency is resolved at most once per request; later resolutions reuse the
/// value.
///
/// ```swift
/// let query = Dependency<String?> { request, tasks in
///     let q = request.query["q"]
///     if let q { try tasks.add(writeLog, "found query: \(q)\n") }
///     return q
/// }
/// router.post("/send-notification/{email}", using: query) { request, tasks, q in ... }
/// ```
public final class Dependency<Value: Sendable>: Sendable {
    private let body: @Sendable (Request, BackgroundTasks) async throws -> Value

    /// A dependency computed by `body`.
    public init(_ body: @escaping @Sendable (Request, BackgroundTasks) async throws -> Value) {
        self.body = body
    }

    func resolve(for request: Request) async throws -> Value {
        let key = ObjectIdentifier(self)
        // Unwrap first: casting a missing entry to an optional `Value` would succeed.
        if let cached = request.context.cachedDependency(key), let value = cached as? Value { return value }
        let value = try await body(request, request.backgroundTasks)
        request.context.cacheDependency(key, value)
        return value
    }
}

extension Request {
    /// The value of `dependency` for this request (resolved on first use, then cached).
    public func resolve<Value>(_ dependency: Dependency<Value>) async throws -> Value {
        try await dependency.resolve(for: self)
    }
}
