extension PathTemplate {
    /// One `/`-separated piece of a route template.
    enum Segment: Sendable, Hashable {
        /// Matched byte-for-byte against the raw (still percent-encoded) path segment.
        case literal(String)
        /// `{name}`: matches exactly one non-empty segment.
        case parameter(String)
        /// `{name...}`: matches the rest of the path, slashes included. Always last.
        case catchAll(String)
    }
}
