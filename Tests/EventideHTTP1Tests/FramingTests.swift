import EventideHTTP1
import Testing

@Suite struct FramingTests {
    func post(_ headers: String, body: String = "") -> String {
        "POST /upload HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n" + body
    }

    @Test func noLengthMeansNoBodyEvenForPost() throws {
        let outcome = run(post("") + "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.requests.count == 2)
        #expect(outcome.requests[0].head.framing == HTTPBodyFraming.none)
        #expect(outcome.requests[0].body.isEmpty)
    }

    @Test func contentLengthBody() throws {
        let r = try #require(request(post("Content-Length: 5\r\n", body: "hello")))
        #expect(r.head.framing == .contentLength(5))
        #expect(r.body == Array("hello".utf8))
    }

    @Test func zeroContentLength() throws {
        let r = try #require(request(post("Content-Length: 0\r\n")))
        #expect(r.head.framing == .contentLength(0))
        #expect(r.body.isEmpty)
    }

    @Test(arguments: [
        "Content-Length: 5, 5\r\n",
        "Content-Length: 5,5 , 5\r\n",
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 005\r\n",
        "content-length:5\r\n",
    ])
    func equivalentContentLengthsAreAccepted(headers: String) {
        #expect(request(post(headers, body: "hello"))?.body == Array("hello".utf8))
    }

    @Test(arguments: [
        "Content-Length: 5, 6\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: -5\r\n",
        "Content-Length: 0x5\r\n",
        "Content-Length: 5 5\r\n",
        "Content-Length: 5a\r\n",
        "Content-Length: \r\n",
        "Content-Length: 5,\r\n",
        "Content-Length: 5.0\r\n",
        "Content-Length: 1000000000000000000\r\n",  // 19 digits: overflow guard
        "Content-Length: 99999999999999999999999999\r\n",
    ])
    func invalidContentLengthIs400(headers: String) {
        #expect(rejection(post(headers, body: "hello")) == 400)
    }

    @Test func contentLengthAboveLimitIs413BeforeBody() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        #expect(request(post("Content-Length: 10\r\n", body: "0123456789"), limits: limits) != nil)
        // Rejected from the head alone, no body bytes needed.
        #expect(rejection(post("Content-Length: 11\r\n"), limits: limits) == 413)
        #expect(rejection(post("Content-Length: 999999999999999999\r\n")) == 413)
    }

    @Test func contentLengthWithTransferEncodingIs400() {
        #expect(rejection(post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")) == 400)
        #expect(rejection(post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")) == 400)
        let error = run(post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")).error
        #expect(error?.reason == "both Content-Length and Transfer-Encoding")
    }

    @Test func transferEncodingInHTTP10Is411() {
        let outcome = run("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(outcome.error?.status == .lengthRequired)
        #expect(outcome.error?.reason == "HTTP/1.0 request must use Content-Length")
    }

    @Test(arguments: [
        ("Transfer-Encoding: chunked\r\n", nil),
        ("Transfer-Encoding: Chunked\r\n", nil),
        ("Transfer-Encoding: chunked, \r\n", nil),
        ("Transfer-Encoding: gzip, chunked\r\n", 501),
        ("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 501),
        ("Transfer-Encoding: gzip\r\n", 501),
        ("Transfer-Encoding: x-custom;a=b, chunked\r\n", 501),
        ("Transfer-Encoding: chunked, gzip\r\n", 400),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400),
        ("Transfer-Encoding: chunked, chunked\r\n", 400),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400),
        ("Transfer-Encoding: chunked;q=1\r\n", 400),
        ("Transfer-Encoding: \r\n", 400),
        ("Transfer-Encoding: chu@nked\r\n", 400),
    ] as [(String, Int?)])
    func transferCodings(headers: String, status: Int?) {
        #expect(rejection(post(headers, body: "0\r\n\r\n")) == status)
    }
}
