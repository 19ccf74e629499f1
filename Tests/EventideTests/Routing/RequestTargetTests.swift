import Testing

@testable import Eventide

@Suite("RequestTarget splitting")
struct RequestTargetTests {
    @Test func originForm() throws {
        let target = try #require(RequestTarget("/users/1?a=1&b=2"))
        #expect(target.form == .origin)
        #expect(target.path == "/users/1")
        #expect(target.query == "a=1&b=2")
        #expect(target.authority == nil)
    }

    @Test func originFormWithoutQuery() throws {
        let target = try #require(RequestTarget("/plaintext"))
        #expect(target.path == "/plaintext")
        #expect(target.query == nil)
        #expect(try #require(RequestTarget("/")).path == "/")
    }

    @Test func emptyQueryIsNotNil() throws {
        let target = try #require(RequestTarget("/a?"))
        #expect(target.path == "/a")
        #expect(target.query == "")
    }

    @Test func onlyFirstQuestionMarkSplits() throws {
        let target = try #require(RequestTarget("/a?b?c=/d"))
        #expect(target.path == "/a")
        #expect(target.query == "b?c=/d")
    }

    @Test func fragmentIsDropped() throws {
        let withQuery = try #require(RequestTarget("/a?x=1#frag?y"))
        #expect(withQuery.path == "/a")
        #expect(withQuery.query == "x=1")
        let withoutQuery = try #require(RequestTarget("/a#b?c"))
        #expect(withoutQuery.path == "/a")
        #expect(withoutQuery.query == nil)
    }

    @Test func pathIsASliceOfTheTarget() throws {
        let raw = "/users/1?a=1"
        let target = try #require(RequestTarget(raw))
        #expect(target.path.base == raw)
        #expect(target.query?.base == raw)
    }

    @Test func absoluteForm() throws {
        let target = try #require(RequestTarget("http://example.com:8080/users/1?x=y"))
        #expect(target.form == .absolute)
        #expect(target.authority == "example.com:8080")
        #expect(target.path == "/users/1")
        #expect(target.query == "x=y")
    }

    @Test func absoluteFormSchemeIsCaseInsensitive() throws {
        let target = try #require(RequestTarget("HTTPS://Example.com/a"))
        #expect(target.form == .absolute)
        #expect(target.authority == "Example.com")
        #expect(target.path == "/a")
    }

    @Test func absoluteFormEmptyPathIsRoot() throws {
        let bare = try #require(RequestTarget("http://example.com"))
        #expect(bare.path == "/")
        #expect(bare.query == nil)
        #expect(bare.authority == "example.com")
        let withQuery = try #require(RequestTarget("http://example.com?q=1"))
        #expect(withQuery.path == "/")
        #expect(withQuery.query == "q=1")
        let withFragment = try #require(RequestTarget("http://example.com#x"))
        #expect(withFragment.path == "/")
        #expect(withFragment.query == nil)
    }

    @Test func asteriskForm() throws {
        let target = try #require(RequestTarget("*"))
        #expect(target.form == .asterisk)
        #expect(target.path == "*")
        #expect(target.query == nil)
    }

    @Test(arguments: ["", "*x", "**", "example.com:443", "users/1", "ftp://host/a", "http:/a", "http//a", "http://", "http:///a", "httpx://a/"])
    func rejected(raw: String) {
        #expect(RequestTarget(raw) == nil)
    }

    @Test func routesAbsoluteFormPath() throws {
        let trie = try makeRouteTrie([("GET", "/users/{id}")])
        let target = try #require(RequestTarget("http://h/users/%C3%A9?x=1"))
        #expect(trie.match(method: "GET", path: target.path).parameters == ["id": "é"])
    }
}
