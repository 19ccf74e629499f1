@testable import Eventide

/// Accessors that make assertions on `RouteMatch` one-liners.
extension RouteMatch {
    var value: Value? {
        if case .found(let value, _) = self { return value }
        return nil
    }

    var parameters: [String: String] {
        guard case .found(_, let parameters) = self else { return [:] }
        return Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.value) })
    }

    var allowed: [String]? {
        if case .methodNotAllowed(let allowed) = self { return allowed }
        return nil
    }

    var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }
}

/// Builds a trie from `(method, template)` pairs whose value is `"METHOD template"`.
func makeRouteTrie(_ routes: [(String, String)]) throws -> RouteTrie<String> {
    var trie = RouteTrie<String>()
    for (method, template) in routes {
        try trie.insert(method: method, template: PathTemplate(template), value: "\(method) \(template)")
    }
    return trie
}
