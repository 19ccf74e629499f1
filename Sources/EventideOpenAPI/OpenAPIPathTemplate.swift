/// An OpenAPI path template (`/users/{user-id}/posts/{postId}`) as an Eventide route
/// template, and where each of its parameters sits in a request's path.
///
/// OpenAPI allows any name between braces; Eventide's router takes identifiers, so a
/// parameter whose name is not one is routed under a positional name (`{openapi1}`) and
/// handed to the generated code under its own. A parameter must be a whole segment, as in
/// Eventide's templates: `/files/{name}.json` is refused with an `OpenAPIPathError`.
struct OpenAPIPathTemplate: Sendable {
    /// The template for `RouteBuilder.addRoute`.
    let routeTemplate: String
    /// The OpenAPI names of the parameters and the index of each one's segment, counted
    /// from the end of the path (a `RouteGroup` prefix adds segments in front).
    let parameters: [(name: String, segmentFromEnd: Int)]

    /// Parses `template` as the generator passes it to `ServerTransport.register`.
    init(_ template: String) throws(OpenAPIPathError) {
        guard template.hasPrefix("/") else { throw OpenAPIPathError(template: template, reason: "it does not start with \"/\"") }
        let segments = template.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var routeSegments: [Substring] = []
        var parameters: [(name: String, segmentFromEnd: Int)] = []
        for (index, segment) in segments.enumerated() {
            guard segment.contains("{") || segment.contains("}") else {
                routeSegments.append(segment)
                continue
            }
            guard segment.first == "{", segment.last == "}", segment.count > 2, segment.dropFirst().dropLast().allSatisfy({ $0 != "{" && $0 != "}" }) else {
                throw OpenAPIPathError(template: template, reason: "the parameter in \"\(segment)\" is not a whole path segment")
            }
            let name = String(segment.dropFirst().dropLast())
            routeSegments.append("{\(Self.isIdentifier(name) ? name : "openapi\(parameters.count)")}")
            parameters.append((name, segments.count - 1 - index))
        }
        routeTemplate = "/" + routeSegments.joined(separator: "/")
        self.parameters = parameters
    }

    /// The parameters' values in `path` (the raw request path, still percent-encoded, as the
    /// runtime expects: it decodes them itself).
    func values(in path: Substring) -> [String: Substring] {
        guard !parameters.isEmpty else { return [:] }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var values: [String: Substring] = [:]
        for parameter in parameters where parameter.segmentFromEnd < segments.count {
            values[parameter.name] = segments[segments.count - 1 - parameter.segmentFromEnd]
        }
        return values
    }

    /// Whether Eventide's router takes `name` as a parameter name (`[A-Za-z_][A-Za-z0-9_]*`).
    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
