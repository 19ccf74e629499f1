/// A route could not be registered: the template is malformed or it
/// conflicts with a route that is already registered.
///
/// Routes are built once at startup, so this surfaces configuration mistakes
/// early instead of producing surprising matches at request time.
public struct RouteDefinitionError: Error, CustomStringConvertible, Sendable {
    /// The offending template, as written.
    public let template: String
    /// What is wrong with it.
    public let reason: String

    init(template: String, reason: String) {
        self.template = template
        self.reason = reason
    }

    public var description: String {
        "invalid route \"\(template)\": \(reason)"
    }
}
