/// A reusable set of routes (an admin page, an API module) that registers itself under
/// whatever prefix the application mounts it at: Vapor's `RouteCollection`.
///
/// ```swift
/// struct Health: RouteCollection {
///     func register(on routes: RouteGroup) throws {
///         routes.get("/live") { _, _ in "ok" }
///         routes.get("/ready") { _, _ in try await database.ping(); return "ok" }
///     }
/// }
/// try router.mount("/health", Health())      // GET /health/live, GET /health/ready
/// ```
public protocol RouteCollection {
    /// Adds the collection's routes (and any middleware of its own) to `routes`, a group
    /// under the mount prefix: its paths are relative to that prefix, and middleware it adds
    /// with `routes.use` wraps only these routes.
    ///
    /// - Throws: whatever stops the collection from being registered (a bad configuration).
    func register(on routes: RouteGroup) throws
}

extension Router {
    /// Registers `collection`'s routes under `prefix`, in a group of their own.
    ///
    /// - Throws: what `collection.register(on:)` throws.
    public func mount(_ prefix: String, _ collection: some RouteCollection) throws {
        try collection.register(on: group(prefix))
    }
}

extension RouteGroup {
    /// Registers `collection`'s routes under this group's prefix followed by `prefix`, in
    /// a nested group (this group's middleware wraps them too).
    ///
    /// - Throws: what `collection.register(on:)` throws.
    public func mount(_ prefix: String, _ collection: some RouteCollection) throws {
        try collection.register(on: group(prefix))
    }
}
