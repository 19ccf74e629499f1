import EventideHTTP1
import Testing

@Suite struct RequestLineTests {
    @Test func simpleGet() throws {
        let r = try #require(request("GET /index.html?q=1 HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(r.head.method == .get)
        #expect(r.head.target == "/index.html?q=1")
        #expect(r.head.version == .http1_1)
        #expect(r.head.framing == HTTPBodyFraming.none)
        #expect(r.head.keepAlive)
        #expect(!r.head.expectsContinue)
        #expect(r.body.isEmpty)
        #expect(r.trailers.isEmpty)
    }

    @Test func asteriskAndAbsoluteTargets() throws {
        #expect(request("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")?.head.target == "*")
        let absolute = "http://example.com:8080/a/b?c=d#e"
        #expect(request("GET \(absolute) HTTP/1.1\r\nHost: a\r\n\r\n")?.head.target == absolute)
    }

    /// Standard methods come from literals (CommonMethods); whatever the path, the method
    /// is the token as received.
    @Test func methodsAreKeptAsSentWhetherStandardOrNot() throws {
        let methods = [
            "GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT", "get", "Post", "GeT", "PUSH",
            "HEAT", "PATCHY", "DELETF", "OPTION", "BREW", "PROPFIND", "M",
        ]
        for method in methods {
            let target = method == "CONNECT" ? "example.com:443" : "/"
            let r = try #require(request("\(method) \(target) HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), "\(method)")
            #expect(r.head.method.rawValue == method)
        }
    }

    @Test func methodsAreCaseSensitiveTokens() throws {
        #expect(request("PURGE / HTTP/1.1\r\nHost: a\r\n\r\n")?.head.method.rawValue == "PURGE")
        let lower = try #require(request("get / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(lower.head.method.rawValue == "get")
        #expect(lower.head.method != .get)
    }

    @Test(arguments: [
        "GET  / HTTP/1.1",  // double SP
        "GET / HTTP/1.1 ",  // trailing SP
        " GET / HTTP/1.1",  // empty method
        "GE(T / HTTP/1.1",  // non-tchar in method
        "GET\t/ HTTP/1.1",  // HTAB separator
        "GET / \tHTTP/1.1",
        "GET /a\u{01}b HTTP/1.1",  // CTL in target
        "GET /a\u{7F} HTTP/1.1",  // DEL in target
        "GET /caf\u{E9} HTTP/1.1",  // non-ASCII in target
        "GET /a b HTTP/1.1",  // SP in target
        "GET / http/1.1",  // lowercase HTTP-name
        "GET / HTTP/1",
        "GET / HTTP/1.10",
        "GET / HTTP/11.1",
        "GET / HTTP/a.b",
        "GET / HTTP-1.1",
        "GET /",  // HTTP/0.9 style, no version
        "GET",
    ])
    func malformedRequestLineIs400(line: String) {
        #expect(rejection(line + "\r\nHost: a\r\n\r\n") == 400)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"])
    func unsupportedMajorVersionIs505(version: String) {
        #expect(rejection("GET / \(version)\r\nHost: a\r\n\r\n") == 505)
    }

    @Test func higherMinorVersionIsTreatedAsHTTP11() throws {
        let r = try #require(request("GET / HTTP/1.2\r\nHost: a\r\n\r\n"))
        #expect(r.head.version == HTTPVersion(major: 1, minor: 2))
        #expect(r.head.keepAlive)
        #expect(rejection("GET / HTTP/1.2\r\n\r\n") == 400)  // Host still required
    }

    @Test func http10() throws {
        let r = try #require(request("GET / HTTP/1.0\r\n\r\n"))
        #expect(r.head.version == .http1_0)
        #expect(!r.head.keepAlive)
    }

    @Test func leadingEmptyLinesAreIgnoredUpToEight() {
        let eight = String(repeating: "\r\n", count: 8)
        #expect(request(eight + "GET / HTTP/1.1\r\nHost: a\r\n\r\n")?.head.target == "/")
        #expect(rejection(eight + "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\nHost: a\r\n\r\n",  // bare LF after request line
        "GET / HTTP/1.1\r\nHost: a\n\r\n",  // bare LF after field
        "GET / HTTP/1.1\r\nHost: a\r\n\n",  // bare LF as final line
        "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",  // bare LF as leading empty line
    ])
    func bareLFIs400(input: String) {
        #expect(rejection(input) == 400)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\rHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n",
        "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rX: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n",
        "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ])
    func bareCRIs400(input: String) {
        #expect(rejection(input) == 400)
    }

    @Test func bareLFIsRejectedBeforeTheHeadEnds() {
        var connection = HTTPServerConnection()
        connection.receive("GET / HTTP/1.1\nHost")
        #expect(rejectOf(connection.next())?.status == .badRequest)
    }
}
