import Testing

@testable import Eventide

@Suite("RouteTrie conflicting definitions")
struct RouteTrieConflictTests {
    private func insertionError(_ routes: [(String, String)]) -> RouteDefinitionError? {
        do {
            _ = try makeRouteTrie(routes)
            return nil
        } catch let error as RouteDefinitionError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func duplicateStaticRoute() throws {
        let error = try #require(insertionError([("GET", "/a"), ("GET", "/a")]))
        #expect(error.reason.contains("GET is already registered"))
    }

    @Test func duplicateParameterRoute() throws {
        let error = try #require(insertionError([("GET", "/u/{id}"), ("GET", "/u/{id}")]))
        #expect(error.reason.contains("already registered"))
    }

    @Test func duplicateCatchAllRoute() throws {
        let error = try #require(insertionError([("GET", "/f/{p...}"), ("GET", "/f/{p...}")]))
        #expect(error.reason.contains("already registered"))
    }

    @Test func sameShapeDifferentNames() throws {
        let error = try #require(insertionError([("GET", "/u/{id}"), ("POST", "/u/{userID}")]))
        #expect(error.template == "/u/{userID}")
        #expect(error.reason.contains("different parameter names"))
        #expect(error.reason.contains("/u/{id}"))
    }

    @Test func sameShapeDifferentNamesSameMethod() throws {
        let error = try #require(insertionError([("GET", "/u/{a}/{b}"), ("GET", "/u/{b}/{a}")]))
        #expect(error.reason.contains("different parameter names"))
    }

    @Test func catchAllDifferentNames() throws {
        let error = try #require(insertionError([("GET", "/f/{p...}"), ("PUT", "/f/{rest...}")]))
        #expect(error.reason.contains("different parameter names"))
    }

    @Test func invalidMethod() throws {
        #expect(insertionError([("", "/a")])?.reason.contains("not a valid HTTP method") == true)
        #expect(insertionError([("GE T", "/a")])?.reason.contains("not a valid HTTP method") == true)
    }

    @Test func nonConflictingRoutesCoexist() throws {
        let trie = try makeRouteTrie([
            ("GET", "/u/{id}"), ("POST", "/u/{id}"), ("GET", "/u/{id}/"), ("GET", "/u/{id}/{rest...}"),
            ("GET", "/u"), ("GET", "/u/"), ("GET", "/u/me"),
        ])
        #expect(trie.match(method: "POST", path: "/u/1").value == "POST /u/{id}")
        #expect(trie.match(method: "GET", path: "/u/1/").value == "GET /u/{id}/")
        #expect(trie.match(method: "GET", path: "/u/1/x").value == "GET /u/{id}/{rest...}")
        #expect(trie.match(method: "GET", path: "/u/").value == "GET /u/")
        #expect(trie.match(method: "GET", path: "/u/me").value == "GET /u/me")
    }

    @Test func failedInsertLeavesTrieUsable() throws {
        var trie = try makeRouteTrie([("GET", "/a")])
        #expect(throws: RouteDefinitionError.self) {
            try trie.insert(method: "GET", template: PathTemplate("/a"), value: "second")
        }
        #expect(trie.match(method: "GET", path: "/a").value == "GET /a")
    }
}
