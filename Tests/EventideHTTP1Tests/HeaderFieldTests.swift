import EventideHTTP1
import Testing

@Suite struct HeaderFieldTests {
    @Test func orderCaseAndTrimming() throws {
        let r = try #require(request(get("x-lower: a\r\nX-UPPER:b\r\nX-Pad: \t padded value \t \r\nX-Empty:\r\nX-Tab: a\tb\r\n")))
        let expected: HTTPHeaders = [
            "Host": "example.com", "x-lower": "a", "X-UPPER": "b", "X-Pad": "padded value",
            "X-Empty": "", "X-Tab": "a\tb",
        ]
        #expect(r.head.headers == expected)
        #expect(Array(r.head.headers.map(\.name)) == ["Host", "x-lower", "X-UPPER", "X-Pad", "X-Empty", "X-Tab"])
        #expect(r.head.headers.first(name: "x-upper") == "b")
    }

    /// Common names come from literals (CommonFieldNames); whatever the path, a name is
    /// kept exactly as it was received.
    @Test func namesAreKeptAsSentWhetherCommonOrNot() throws {
        let names = [
            "Accept", "accept", "ACCEPT", "Cookie", "cookie", "Origin", "Referer", "referer", "User-Agent",
            "user-agent", "User-agent", "Connection", "connection", "Content-Type", "content-type",
            "Content-type", "Authorization", "Cache-Control", "Accept-Encoding", "Accept-Language",
            "accept-encoding", "Accept-Languagf", "Cookiz",
        ]
        let fields = names.map { "\($0): v\r\n" }.joined()
        let r = try #require(request(get(fields)))
        #expect(Array(r.head.headers.map(\.name)) == ["Host"] + names)
        for spelling in ["host", "HOST", "Host"] {
            let raw = "GET / HTTP/1.1\r\n\(spelling): example.com\r\nContent-Length: 0\r\n\r\n"
            let head = try #require(request(raw)).head
            #expect(Array(head.headers.map(\.name)) == [spelling, "Content-Length"])
        }
    }

    @Test func repeatedFieldsAreKept() throws {
        let r = try #require(request(get("Accept: a\r\nAccept: b\r\n")))
        #expect(r.head.headers["accept"] == ["a", "b"])
    }

    @Test func obsTextIsAccepted() throws {
        var bytes = Array(get("X-Bin: a").utf8.dropLast(2))
        bytes += [0x80, 0xFF, 0x62, 0x0D, 0x0A, 0x0D, 0x0A]
        let outcome = run(bytes)
        #expect(outcome.error == nil)
        #expect(outcome.requests.count == 1)
    }

    @Test(arguments: [
        "X-A : v\r\n",  // SP before colon
        "X-A\t: v\r\n",  // HTAB before colon
        "X A: v\r\n",  // SP inside name
        ": v\r\n",  // empty name
        "NoColon\r\n",
        "X(A): v\r\n",  // non-tchar in name
        "X-A: a\r\n b\r\n",  // obs-fold with SP
        "X-A: a\r\n\tb\r\n",  // obs-fold with HTAB
        "X-A: a\u{00}b\r\n",  // NUL
        "X-A: a\u{01}b\r\n",  // CTL
        "X-A: a\u{7F}b\r\n",  // DEL
        "X-A: a\u{1B}b\r\n",  // ESC
    ])
    func malformedFieldIs400(line: String) {
        #expect(rejection(get(line)) == 400)
    }

    @Test func whitespaceBeforeFirstFieldIs400() {
        #expect(rejection("GET / HTTP/1.1\r\n Host: a\r\n\r\n") == 400)
    }

    @Test func hostRules() {
        #expect(rejection("GET / HTTP/1.1\r\nX: y\r\n\r\n") == 400)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == 400)
        #expect(request("GET / HTTP/1.0\r\n\r\n") != nil)
        #expect(request("GET / HTTP/1.1\r\nHOST: a\r\n\r\n") != nil)
        #expect(request("GET * HTTP/1.1\r\nHost:\r\n\r\n") != nil)  // empty Host is allowed
        #expect(rejection("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
    }

    @Test(arguments: [
        ("", true),
        ("Connection: close\r\n", false),
        ("Connection: CLOSE\r\n", false),
        ("Connection: keep-alive, Close\r\n", false),
        ("Connection: Upgrade\r\n", true),
        ("Connection: x\r\nConnection: close\r\n", false),
        ("Connection: closed\r\n", true),
    ])
    func keepAliveHTTP11(headers: String, keepAlive: Bool) {
        #expect(request(get(headers))?.head.keepAlive == keepAlive)
    }

    @Test(arguments: [
        ("", false),
        ("Connection: keep-alive\r\n", true),
        ("Connection: Keep-Alive\r\n", true),
        ("Connection: foo , keep-alive \r\n", true),
        ("Connection: foo\r\nConnection: keep-alive\r\n", true),
        ("Connection: keep-alive, close\r\n", false),
        ("Connection: keep-alive-ish\r\n", false),
        ("Connection: close\r\n", false),
    ])
    func keepAliveHTTP10(headers: String, keepAlive: Bool) {
        #expect(request("GET / HTTP/1.0\r\n" + headers + "\r\n")?.head.keepAlive == keepAlive)
    }

    @Test func expectContinue() {
        #expect(request(get("Expect: 100-continue\r\n"))?.head.expectsContinue == true)
        #expect(request(get("Expect: 100-Continue\r\n"))?.head.expectsContinue == true)
        #expect(request(get("Expect: something\r\n"))?.head.expectsContinue == false)
        #expect(request("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")?.head.expectsContinue == false)
    }
}
