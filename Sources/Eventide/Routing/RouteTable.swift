import EventideHTTP1

/// The frozen, immutable routes of a server: shared by all loops. Every route's responder
/// already holds its middleware chain (router-wide, then its groups').
package struct RouteTable: Sendable {
    private let trie: RouteTrie<Responder>
    /// Router-wide middleware, which also wraps the 404 and 405 answers.
    private let middleware: [any Middleware]
    private let notFound: Responder
    /// Counts and times the 404 and 405 answers (matched routes carry their own).
    private let metrics: ServerMetrics?
    /// Whether some route reads its body as it arrives (connections then announce heads).
    package let streamsBodies: Bool

    init(trie: RouteTrie<Responder>, middleware: [any Middleware], metrics: ServerMetrics?, streamsBodies: Bool) {
        self.trie = trie
        self.streamsBodies = streamsBodies
        self.middleware = middleware
        self.metrics = metrics
        notFound = Responder.sync { _ in throw HTTPError(.notFound) }.wrapped(in: middleware)
    }

    /// The responder for `request`, binding its path parameters. Unknown paths get a 404
    /// responder, known paths with another method a 405 with `Allow`.
    package func responder(for request: inout Request) -> Responder {
        switch trie.match(method: request.parsedHead.method.rawValue, path: request.path) {
        case .found(let responder, let parameters):
            request.pathParameters = parameters
            return responder
        case .methodNotAllowed(let allowed):
            let allow = allowed.joined(separator: ", ")
            return unmatched(Responder.sync { _ in throw HTTPError(.methodNotAllowed, headers: [.allow: allow]) }.wrapped(in: middleware), request)
        case .notFound:
            return unmatched(notFound, request)
        }
    }

    /// Whether the route for `method` at `path` reads its body as it arrives.
    package func streamsBody(method: HTTPMethod, path: Substring) -> Bool {
        guard streamsBodies, case .found(let responder, _) = trie.match(method: method.rawValue, path: path) else { return false }
        return responder.streamsBody
    }

    private func unmatched(_ responder: Responder, _ request: Request) -> Responder {
        guard let metrics else { return responder }
        return responder.measured(by: metrics.unmatched(method: request.method))
    }
}
