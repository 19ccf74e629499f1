/// Maps `(method, path)` to a registered value.
///
/// Built once at startup with ``insert(method:template:value:)`` and then only
/// read. It is a value type over one immutable storage object, so a built
/// trie is `Sendable` and copying it is a single retain.
///
/// Matching works on the UTF-8 bytes of the raw, still percent-encoded path
/// (no query) in place, without splitting it into Strings:
/// - Templates without parameters are also kept in a table keyed by the whole
///   path, so e.g. `GET /plaintext` is a single hash lookup.
/// - At each segment a literal child wins over `{parameter}`, which wins over
///   `{name...}`; when a preferred branch dead-ends (or has no route for the
///   method) the search backtracks to the next one. So with `/a/b/c` and
///   `/a/{x}/d`, the path `/a/b/d` matches the second route.
/// - The method is part of the match: the first route in that priority order
///   that matches the path *and* has the method wins. `HEAD` uses a route's
///   `GET` value when that route has no explicit `HEAD`.
/// - Paths are not normalized: `/a/` differs from `/a`, and an empty segment
///   (`//`) only matches an empty literal segment, never a `{parameter}`.
/// - `{name...}` matches the rest of the path after its `/`, possibly empty:
///   `/files/{p...}` matches `/files/` (p = "") and `/files/a/b`, not `/files`.
struct RouteTrie<Value: Sendable>: Sendable {
    /// Replaced wholesale by each insert, never mutated in place.
    private var storage = RouteTrieStorage<Value>(
        nodes: [RouteTrieNode()],
        staticPaths: ByteKeyTable(),
        maxParameterCount: 0
    )

    init() {}

    /// Registers `value` for `method` on `template`.
    ///
    /// Throws when `method` is not a valid HTTP token, when the same method is
    /// already registered for an equivalent template, or when an equivalent
    /// template (same shape) uses different parameter names.
    mutating func insert(method: String, template: PathTemplate, value: Value) throws(RouteDefinitionError) {
        guard Self.isToken(method) else {
            throw RouteDefinitionError(
                template: template.rawValue,
                reason: "\"\(method)\" is not a valid HTTP method token"
            )
        }
        // Building copies the arrays once per route; routes are registered at startup only.
        var nodes = storage.nodes
        var staticPaths = storage.staticPaths
        var current = 0
        var endsInCatchAll = false
        for segment in template.segments {
            switch segment {
            case .literal(let text):
                if let child = nodes[current].literalChildren.value(for: text) {
                    current = child
                } else {
                    let child = nodes.count
                    nodes.append(RouteTrieNode())
                    nodes[current].literalChildren.setValue(child, for: text)
                    current = child
                }
            case .parameter:
                if let child = nodes[current].parameterChild {
                    current = child
                } else {
                    let child = nodes.count
                    nodes.append(RouteTrieNode())
                    nodes[current].parameterChild = child
                    current = child
                }
            case .catchAll:
                endsInCatchAll = true
            }
        }

        if endsInCatchAll {
            let endpoint = nodes[current].catchAllEndpoint ?? RouteEndpoint(template: template)
            nodes[current].catchAllEndpoint = try endpoint.adding(method: method, value: value, template: template)
        } else {
            let endpoint = nodes[current].endpoint ?? RouteEndpoint(template: template)
            nodes[current].endpoint = try endpoint.adding(method: method, value: value, template: template)
            if template.isStatic {
                staticPaths.setValue(current, for: template.rawValue)
            }
        }
        storage = RouteTrieStorage(
            nodes: nodes,
            staticPaths: staticPaths,
            maxParameterCount: max(storage.maxParameterCount, template.parameterNames.count)
        )
    }

    /// Finds the route for `method` and the raw request `path` (percent-encoded, without query).
    func match(method: String, path: Substring) -> RouteMatch<Value> {
        // withUTF8 is mutating only to make bridged strings contiguous; native ones are not copied.
        var path = path
        return path.withUTF8 { match(method: method, bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Finds the route for `method` and the raw request `path` (percent-encoded, without query).
    func match(method: String, path: String) -> RouteMatch<Value> {
        match(method: method, path: path[...])
    }

    private func match(method: String, bytes path: UnsafeRawBufferPointer) -> RouteMatch<Value> {
        // Reading nodes through a buffer pointer projects fields in place
        // instead of copying (and retaining) whole nodes.
        let storage = storage
        return storage.nodes.withUnsafeBufferPointer { nodes in
            match(method: method, bytes: path, nodes: nodes, storage: storage)
        }
    }

    private func match(
        method: String,
        bytes path: UnsafeRawBufferPointer,
        nodes: UnsafeBufferPointer<RouteTrieNode<Value>>,
        storage: RouteTrieStorage<Value>
    ) -> RouteMatch<Value> {
        if let index = storage.staticPaths.value(for: path), let value = nodes[index].endpoint?.value(for: method) {
            return .found(value, RouteParameters())
        }
        guard path.first == UInt8(ascii: "/") else { return .notFound }

        var pathMatched = false
        // Capture ranges live on the stack; only the decoded values are allocated.
        let found = withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: storage.maxParameterCount) {
            captures -> (Value, RouteParameters)? in
            guard
                let (endpoint, value) = search(
                    node: 0, nodes: nodes, path: path, from: 1, method: method,
                    captures: captures, captured: 0, pathMatched: &pathMatched
                )
            else { return nil }
            let names = endpoint.template.parameterNames
            var values: [String] = []
            values.reserveCapacity(names.count)
            for capture in captures[..<names.count] {
                let raw = UnsafeRawBufferPointer(rebasing: path[capture])
                // Undecodable escapes keep the raw segment (the path itself is valid UTF-8).
                values.append(PercentDecoding.decode(raw, plusAsSpace: false) ?? String(decoding: raw, as: UTF8.self))
            }
            return (value, RouteParameters(names: names, values: values))
        }
        if let (value, parameters) = found {
            return .found(value, parameters)
        }
        guard pathMatched else { return .notFound }

        var methods: [String] = []
        collectMethods(node: 0, nodes: nodes, path: path, from: 1, into: &methods)
        if methods.contains("GET") { methods.append("HEAD") }
        // Sorting and deduplicating only happens on the 405 path.
        methods.sort()
        var allowed: [String] = []
        for method in methods where allowed.last != method {
            allowed.append(method)
        }
        return .methodNotAllowed(allowed: allowed)
    }

    // MARK: - Search

    /// Depth-first search in priority order. `position` is the byte offset of
    /// the next segment, or `nil` once the whole path is consumed.
    private func search(
        node index: Int,
        nodes: UnsafeBufferPointer<RouteTrieNode<Value>>,
        path: UnsafeRawBufferPointer,
        from position: Int?,
        method: String,
        captures: UnsafeMutableBufferPointer<Range<Int>>,
        captured: Int,
        pathMatched: inout Bool
    ) -> (RouteEndpoint<Value>, Value)? {
        guard let position else {
            guard let endpoint = nodes[index].endpoint else { return nil }
            pathMatched = true
            return endpoint.value(for: method).map { (endpoint, $0) }
        }
        let (segmentEnd, next) = Self.segment(of: path, from: position)

        if !nodes[index].literalChildren.isEmpty,
            let child = nodes[index].literalChildren.value(for: UnsafeRawBufferPointer(rebasing: path[position..<segmentEnd])),
            let hit = search(
                node: child, nodes: nodes, path: path, from: next, method: method,
                captures: captures, captured: captured, pathMatched: &pathMatched
            )
        {
            return hit
        }
        if position != segmentEnd, let child = nodes[index].parameterChild {
            captures.initializeElement(at: captured, to: position..<segmentEnd)
            if let hit = search(
                node: child, nodes: nodes, path: path, from: next, method: method,
                captures: captures, captured: captured + 1, pathMatched: &pathMatched
            ) {
                return hit
            }
        }
        if let endpoint = nodes[index].catchAllEndpoint {
            pathMatched = true
            if let value = endpoint.value(for: method) {
                captures.initializeElement(at: captured, to: position..<path.count)
                return (endpoint, value)
            }
        }
        return nil
    }

    /// Appends the methods of every route whose template matches `path` (405 slow path).
    private func collectMethods(
        node index: Int,
        nodes: UnsafeBufferPointer<RouteTrieNode<Value>>,
        path: UnsafeRawBufferPointer,
        from position: Int?,
        into methods: inout [String]
    ) {
        guard let position else {
            methods.append(contentsOf: nodes[index].endpoint?.methods ?? [])
            return
        }
        let (segmentEnd, next) = Self.segment(of: path, from: position)
        if let child = nodes[index].literalChildren.value(for: UnsafeRawBufferPointer(rebasing: path[position..<segmentEnd])) {
            collectMethods(node: child, nodes: nodes, path: path, from: next, into: &methods)
        }
        if position != segmentEnd, let child = nodes[index].parameterChild {
            collectMethods(node: child, nodes: nodes, path: path, from: next, into: &methods)
        }
        methods.append(contentsOf: nodes[index].catchAllEndpoint?.methods ?? [])
    }

    /// The end of the segment starting at `position`, and the start of the following one (`nil` if none).
    private static func segment(of path: UnsafeRawBufferPointer, from position: Int) -> (end: Int, next: Int?) {
        var end = position
        while end < path.count {
            if path[end] == UInt8(ascii: "/") {
                return (end, end + 1)
            }
            end += 1
        }
        return (end, nil)
    }

    // MARK: - Building

    /// RFC 9110 `token`: the syntax of a method name.
    private static func isToken(_ method: String) -> Bool {
        !method.isEmpty
            && method.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}
