import EventideHTTP1

/// A parsed route template such as `/users/{id}/posts/{postID}` or `/files/{path...}`.
///
/// Rules:
/// - The template starts with `/`; the text after it is split on `/` keeping
///   empty pieces, so `/` is one empty literal segment and `/a/` is `a` followed
///   by an empty segment. Trailing slashes are therefore significant: `/a` and
///   `/a/` are different routes (no redirect, no normalization).
/// - A segment is either fully literal or exactly one `{name}` / `{name...}`;
///   names are identifiers (`[A-Za-z_][A-Za-z0-9_]*`) and unique per template.
/// - `{name...}` (catch-all) is only allowed as the last segment.
/// - Literals are compared with the raw request path, which arrives
///   percent-encoded, so they must be printable ASCII without `{ } ? #` or
///   spaces; write non-ASCII characters percent-encoded.
struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    /// The template exactly as written.
    let rawValue: String
    let segments: [Segment]
    /// Parameter names in template order, catch-all included.
    let parameterNames: [String]

    /// Parses and validates `template`.
    init(_ template: String) throws(RouteDefinitionError) {
        guard template.utf8.first == UInt8(ascii: "/") else {
            throw RouteDefinitionError(template: template, reason: "a route template must start with \"/\"")
        }
        var segments: [Segment] = []
        var names: [String] = []
        for piece in template.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if let last = segments.last, case .catchAll(let name) = last {
                throw RouteDefinitionError(
                    template: template,
                    reason: "catch-all parameter \"{\(name)...}\" must be the last segment"
                )
            }
            let segment = try Self.parseSegment(Substring(piece), template: template)
            switch segment {
            case .literal:
                break
            case .parameter(let name), .catchAll(let name):
                guard !names.contains(name) else {
                    throw RouteDefinitionError(template: template, reason: "duplicate parameter name \"\(name)\"")
                }
                names.append(name)
            }
            segments.append(segment)
        }
        self.rawValue = template
        self.segments = segments
        self.parameterNames = names
    }

    /// True when the template has no parameters, so it matches exactly one path.
    var isStatic: Bool { parameterNames.isEmpty }

    var description: String { rawValue }

    private static func parseSegment(_ piece: Substring, template: String) throws(RouteDefinitionError) -> Segment {
        let bytes = piece.utf8
        guard bytes.first == UInt8(ascii: "{") else {
            try validateLiteral(piece, template: template)
            return .literal(String(piece))
        }
        guard bytes.last == UInt8(ascii: "}") else {
            throw RouteDefinitionError(
                template: template,
                reason: "segment \"\(piece)\" mixes a parameter with literal text; a segment must be entirely one {parameter}"
            )
        }
        var inner = piece.dropFirst().dropLast()
        var isCatchAll = false
        if inner.hasSuffix("...") {
            isCatchAll = true
            inner = inner.dropLast(3)
        }
        guard isIdentifier(inner) else {
            throw RouteDefinitionError(
                template: template,
                reason: "parameter name in \"\(piece)\" must be a non-empty identifier ([A-Za-z_][A-Za-z0-9_]*)"
            )
        }
        let name = String(inner)
        return isCatchAll ? .catchAll(name) : .parameter(name)
    }

    private static func validateLiteral(_ piece: Substring, template: String) throws(RouteDefinitionError) {
        for byte in piece.utf8 {
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "}"):
                throw RouteDefinitionError(
                    template: template,
                    reason: "segment \"\(piece)\" mixes a parameter with literal text or has a stray brace; a segment must be entirely one {parameter}"
                )
            case UInt8(ascii: "?"), UInt8(ascii: "#"):
                throw RouteDefinitionError(
                    template: template,
                    reason: "segment \"\(piece)\" contains \"?\" or \"#\", which can never be part of a request path"
                )
            case 0x21...0x7E:
                continue
            default:
                throw RouteDefinitionError(
                    template: template,
                    reason: "segment \"\(piece)\" contains a space, control or non-ASCII character; percent-encode it as it appears on the wire"
                )
            }
        }
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, isIdentifierHead(first) else { return false }
        return text.utf8.allSatisfy { isIdentifierHead($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isIdentifierHead(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
}
