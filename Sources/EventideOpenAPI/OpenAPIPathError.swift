/// An OpenAPI path template that Eventide's router cannot serve (thrown by
/// `registerHandlers(on:)` at start-up).
public struct OpenAPIPathError: Error, Sendable, CustomStringConvertible {
    /// The template as the generated code passed it.
    public let template: String
    /// Why it cannot be routed.
    public let reason: String

    /// The template and the reason, in one line.
    public var description: String { "cannot route OpenAPI path \"\(template)\": \(reason)" }
}
