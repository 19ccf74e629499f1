/// The frozen, immutable routes of a server: shared by all loops.
package struct RouteTable: Sendable {
    private let trie: RouteTrie<Responder>
    private let wrapped: (@Sendable (Request) async throws -> Response)?

    init(trie: RouteTrie<Responder>, middleware: [any Middleware]) {
        self.trie = trie
        guard !middleware.isEmpty else {
            wrapped = nil
            return
        }
        let inner: @Sendable (Request) async throws -> Response = { [trie] request in
            var request = request
            let responder = RouteTable.resolve(trie, &request)
            return try await responder.asAsync(request)
        }
        wrapped = middleware.wrapping(inner)
    }

    /// The responder for `request`, binding its path parameters. Unknown paths get a 404
    /// responder, known paths with another method a 405 with `Allow`.
    package func responder(for request: inout Request) -> Responder {
        if let wrapped { return .async(wrapped) }
        return Self.resolve(trie, &request)
    }

    private static func resolve(_ trie: RouteTrie<Responder>, _ request: inout Request) -> Responder {
        switch trie.match(method: request.method.rawValue, path: request.path) {
        case .found(let responder, let parameters):
            request.pathParameters = parameters
            return responder
        case .methodNotAllowed(let allowed):
            let allow = allowed.joined(separator: ", ")
            return .sync { _ in throw HTTPError(.methodNotAllowed, headers: ["Allow": allow]) }
        case .notFound:
            return notFound
        }
    }

    private static let notFound = Responder.sync { _ in throw HTTPError(.notFound) }
}
