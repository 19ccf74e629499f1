import Testing

@testable import Eventide

@Suite("RouteTrie methods, 405 and HEAD")
struct RouteTrieMethodTests {
    @Test func methodNotAllowedListsSortedMethodsWithHead() throws {
        let trie = try makeRouteTrie([("POST", "/users"), ("GET", "/users"), ("DELETE", "/users")])
        #expect(trie.match(method: "PUT", path: "/users").allowed == ["DELETE", "GET", "HEAD", "POST"])
    }

    @Test func noHeadWithoutGet() throws {
        let trie = try makeRouteTrie([("POST", "/submit"), ("PUT", "/submit")])
        #expect(trie.match(method: "GET", path: "/submit").allowed == ["POST", "PUT"])
        #expect(trie.match(method: "HEAD", path: "/submit").allowed == ["POST", "PUT"])
    }

    @Test func allowedIsDeduplicatedAcrossRoutes() throws {
        let trie = try makeRouteTrie([("GET", "/a/b"), ("HEAD", "/a/b"), ("GET", "/a/{x}"), ("PATCH", "/a/{x}")])
        #expect(trie.match(method: "POST", path: "/a/b").allowed == ["GET", "HEAD", "PATCH"])
        #expect(trie.match(method: "POST", path: "/a/c").allowed == ["GET", "HEAD", "PATCH"])
    }

    @Test func methodNotAllowedForParameterAndCatchAllRoutes() throws {
        let trie = try makeRouteTrie([("GET", "/users/{id}"), ("PUT", "/files/{p...}")])
        #expect(trie.match(method: "POST", path: "/users/1").allowed == ["GET", "HEAD"])
        #expect(trie.match(method: "GET", path: "/files/x/y").allowed == ["PUT"])
        #expect(trie.match(method: "POST", path: "/users").isNotFound)
    }

    @Test func methodsAreCaseSensitive() throws {
        let trie = try makeRouteTrie([("GET", "/x")])
        #expect(trie.match(method: "get", path: "/x").allowed == ["GET", "HEAD"])
    }

    @Test func headFallsBackToGet() throws {
        let trie = try makeRouteTrie([("GET", "/plaintext"), ("GET", "/users/{id}"), ("GET", "/f/{p...}")])
        #expect(trie.match(method: "HEAD", path: "/plaintext").value == "GET /plaintext")
        #expect(trie.match(method: "HEAD", path: "/users/1").value == "GET /users/{id}")
        #expect(trie.match(method: "HEAD", path: "/users/1").parameters == ["id": "1"])
        #expect(trie.match(method: "HEAD", path: "/f/a/b").value == "GET /f/{p...}")
    }

    @Test func explicitHeadWins() throws {
        let trie = try makeRouteTrie([("GET", "/plaintext"), ("HEAD", "/plaintext"), ("HEAD", "/u/{id}"), ("GET", "/u/{id}")])
        #expect(trie.match(method: "HEAD", path: "/plaintext").value == "HEAD /plaintext")
        #expect(trie.match(method: "GET", path: "/plaintext").value == "GET /plaintext")
        #expect(trie.match(method: "HEAD", path: "/u/1").value == "HEAD /u/{id}")
    }

    @Test func getDoesNotFallBackToHead() throws {
        let trie = try makeRouteTrie([("HEAD", "/h")])
        #expect(trie.match(method: "GET", path: "/h").allowed == ["HEAD"])
    }

    @Test func customMethods() throws {
        let trie = try makeRouteTrie([("PROPFIND", "/dav"), ("GET", "/dav")])
        #expect(trie.match(method: "PROPFIND", path: "/dav").value == "PROPFIND /dav")
        #expect(trie.match(method: "OPTIONS", path: "/dav").allowed == ["GET", "HEAD", "PROPFIND"])
    }
}
