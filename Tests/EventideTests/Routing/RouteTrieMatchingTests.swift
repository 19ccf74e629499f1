import Testing

@testable import Eventide

@Suite("RouteTrie static, parameter and catch-all matching")
struct RouteTrieMatchingTests {
    @Test func staticRoutes() throws {
        let trie = try makeRouteTrie([("GET", "/"), ("GET", "/plaintext"), ("GET", "/static/files")])
        #expect(trie.match(method: "GET", path: "/").value == "GET /")
        #expect(trie.match(method: "GET", path: "/plaintext").value == "GET /plaintext")
        #expect(trie.match(method: "GET", path: "/static/files").value == "GET /static/files")
        #expect(trie.match(method: "GET", path: "/static").isNotFound)
        #expect(trie.match(method: "GET", path: "/static/files/x").isNotFound)
        #expect(trie.match(method: "GET", path: "/Plaintext").isNotFound)
        #expect(trie.match(method: "GET", path: "").isNotFound)
        #expect(trie.match(method: "GET", path: "*").isNotFound)
    }

    @Test func staticMatchHasNoParameters() throws {
        let trie = try makeRouteTrie([("GET", "/plaintext")])
        guard case .found(_, let parameters) = trie.match(method: "GET", path: "/plaintext") else {
            Issue.record("expected a match")
            return
        }
        #expect(parameters.isEmpty)
    }

    @Test func substringPathFromLargerTarget() throws {
        let trie = try makeRouteTrie([("GET", "/users/{id}"), ("GET", "/plaintext")])
        let target = "/users/42?x=1"
        let path = target[..<target.firstIndex(of: "?")!]
        #expect(trie.match(method: "GET", path: path).parameters == ["id": "42"])
        let other = "xx/plaintextyy"
        let slice = other.dropFirst(2).dropLast(2)
        #expect(trie.match(method: "GET", path: slice).value == "GET /plaintext")
    }

    @Test func trailingSlashIsSignificant() throws {
        let trie = try makeRouteTrie([("GET", "/a"), ("GET", "/b/")])
        #expect(trie.match(method: "GET", path: "/a").value == "GET /a")
        #expect(trie.match(method: "GET", path: "/a/").isNotFound)
        #expect(trie.match(method: "GET", path: "/b/").value == "GET /b/")
        #expect(trie.match(method: "GET", path: "/b").isNotFound)
    }

    @Test func emptySegmentsAreLiteral() throws {
        let trie = try makeRouteTrie([("GET", "/a//b"), ("GET", "/x/{id}/y")])
        #expect(trie.match(method: "GET", path: "/a//b").value == "GET /a//b")
        #expect(trie.match(method: "GET", path: "/a/b").isNotFound)
        // A parameter never matches an empty segment.
        #expect(trie.match(method: "GET", path: "/x//y").isNotFound)
        #expect(trie.match(method: "GET", path: "//a/b").isNotFound)
    }

    @Test func parameters() throws {
        let trie = try makeRouteTrie([("GET", "/users/{id}"), ("GET", "/users/{id}/posts/{postID}")])
        let match = trie.match(method: "GET", path: "/users/42/posts/7")
        #expect(match.value == "GET /users/{id}/posts/{postID}")
        #expect(match.parameters == ["id": "42", "postID": "7"])
        #expect(trie.match(method: "GET", path: "/users/abc").parameters == ["id": "abc"])
        #expect(trie.match(method: "GET", path: "/users").isNotFound)
        #expect(trie.match(method: "GET", path: "/users/").isNotFound)
        #expect(trie.match(method: "GET", path: "/users/42/posts").isNotFound)
        #expect(trie.match(method: "GET", path: "/users/42/posts/7/x").isNotFound)
    }

    @Test func parameterOrderFollowsTemplate() throws {
        let trie = try makeRouteTrie([("GET", "/{b}/{a}")])
        guard case .found(_, let parameters) = trie.match(method: "GET", path: "/1/2") else {
            Issue.record("expected a match")
            return
        }
        #expect(parameters.map(\.name) == ["b", "a"])
        #expect(parameters.map(\.value) == ["1", "2"])
    }

    @Test func sharedParameterNodeKeepsPerRouteNames() throws {
        let trie = try makeRouteTrie([("GET", "/users/{id}"), ("GET", "/users/{userID}/posts")])
        #expect(trie.match(method: "GET", path: "/users/5").parameters == ["id": "5"])
        #expect(trie.match(method: "GET", path: "/users/5/posts").parameters == ["userID": "5"])
    }

    @Test func catchAll() throws {
        let trie = try makeRouteTrie([("GET", "/files/{path...}")])
        #expect(trie.match(method: "GET", path: "/files/a").parameters == ["path": "a"])
        #expect(trie.match(method: "GET", path: "/files/a/b/c.txt").parameters == ["path": "a/b/c.txt"])
        #expect(trie.match(method: "GET", path: "/files/a/").parameters == ["path": "a/"])
        #expect(trie.match(method: "GET", path: "/files//x").parameters == ["path": "/x"])
        #expect(trie.match(method: "GET", path: "/files/").parameters == ["path": ""])
        #expect(trie.match(method: "GET", path: "/files/").value == "GET /files/{path...}")
        #expect(trie.match(method: "GET", path: "/files").isNotFound)
        #expect(trie.match(method: "GET", path: "/other/a").isNotFound)
    }

    @Test func rootCatchAll() throws {
        let trie = try makeRouteTrie([("GET", "/{rest...}")])
        #expect(trie.match(method: "GET", path: "/").parameters == ["rest": ""])
        #expect(trie.match(method: "GET", path: "/a/b").parameters == ["rest": "a/b"])
    }

    @Test func catchAllAfterParameter() throws {
        let trie = try makeRouteTrie([("GET", "/repos/{owner}/{path...}")])
        #expect(trie.match(method: "GET", path: "/repos/me/src/main.swift").parameters == ["owner": "me", "path": "src/main.swift"])
    }

    @Test func emptyTrie() {
        let trie = RouteTrie<Int>()
        #expect(trie.match(method: "GET", path: "/").isNotFound)
        #expect(trie.match(method: "GET", path: "/a/b").isNotFound)
    }
}
