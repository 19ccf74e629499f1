import Testing

@testable import Eventide

@Suite("RouteTrie priority and backtracking")
struct RouteTriePriorityTests {
    @Test func literalBeatsParameterBeatsCatchAll() throws {
        let trie = try makeRouteTrie([("GET", "/a/{x...}"), ("GET", "/a/{x}"), ("GET", "/a/me")])
        #expect(trie.match(method: "GET", path: "/a/me").value == "GET /a/me")
        #expect(trie.match(method: "GET", path: "/a/you").value == "GET /a/{x}")
        #expect(trie.match(method: "GET", path: "/a/you/too").value == "GET /a/{x...}")
        #expect(trie.match(method: "GET", path: "/a/").value == "GET /a/{x...}")
    }

    @Test func backtracksFromDeadEndLiteral() throws {
        let trie = try makeRouteTrie([("GET", "/a/b/c"), ("GET", "/a/{x}/d")])
        #expect(trie.match(method: "GET", path: "/a/b/c").value == "GET /a/b/c")
        let match = trie.match(method: "GET", path: "/a/b/d")
        #expect(match.value == "GET /a/{x}/d")
        #expect(match.parameters == ["x": "b"])
    }

    @Test func backtracksToCatchAll() throws {
        let trie = try makeRouteTrie([("GET", "/a/b/c"), ("GET", "/a/{x}/d"), ("GET", "/a/{rest...}")])
        let match = trie.match(method: "GET", path: "/a/b/e")
        #expect(match.value == "GET /a/{rest...}")
        #expect(match.parameters == ["rest": "b/e"])
    }

    @Test func backtrackingDiscardsStaleCaptures() throws {
        // The {x} branch captures "b" then dead-ends; the catch-all match must only report its own value.
        let trie = try makeRouteTrie([("GET", "/{x}/c"), ("GET", "/{rest...}")])
        let match = trie.match(method: "GET", path: "/b/d")
        #expect(match.value == "GET /{rest...}")
        #expect(match.parameters == ["rest": "b/d"])
    }

    @Test func deepBacktracking() throws {
        let trie = try makeRouteTrie([("GET", "/a/b/c/d"), ("GET", "/a/{x}/c/e"), ("GET", "/{y}/b/c/f")])
        #expect(trie.match(method: "GET", path: "/a/b/c/d").value == "GET /a/b/c/d")
        #expect(trie.match(method: "GET", path: "/a/b/c/e").parameters == ["x": "b"])
        #expect(trie.match(method: "GET", path: "/a/b/c/f").parameters == ["y": "a"])
        #expect(trie.match(method: "GET", path: "/a/b/c/g").isNotFound)
    }

    @Test func methodAwareBacktracking() throws {
        // The literal route matches the path but not the method; the parameter route serves POST.
        let trie = try makeRouteTrie([("GET", "/items/new"), ("POST", "/items/{id}")])
        #expect(trie.match(method: "GET", path: "/items/new").value == "GET /items/new")
        #expect(trie.match(method: "POST", path: "/items/new").value == "POST /items/{id}")
        #expect(trie.match(method: "POST", path: "/items/new").parameters == ["id": "new"])
        #expect(trie.match(method: "DELETE", path: "/items/new").allowed == ["GET", "HEAD", "POST"])
    }
}
