/// The outcome of looking up a request in a ``RouteTrie``.
enum RouteMatch<Value> {
    /// A route matched the path and the method.
    case found(Value, RouteParameters)
    /// Some route matches the path, but none for this method. `allowed` is
    /// sorted, deduplicated and includes `HEAD` whenever `GET` is allowed;
    /// it is the value of the `Allow` header of the 405 response.
    case methodNotAllowed(allowed: [String])
    /// No route matches the path.
    case notFound
}

extension RouteMatch: Sendable where Value: Sendable {}
