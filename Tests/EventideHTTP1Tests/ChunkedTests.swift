import EventideHTTP1
import Testing

@Suite struct ChunkedTests {
    func chunked(_ body: String) -> String {
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    }

    @Test func simpleChunkedBody() throws {
        let r = try #require(request(chunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")))
        #expect(r.head.framing == .chunked)
        #expect(string(r.body) == "hello world")
        #expect(r.trailers.isEmpty)
    }

    @Test func hexSizesInBothCases() throws {
        let ten = String(repeating: "x", count: 10)
        let r = try #require(request(chunked("A\r\n\(ten)\r\na\r\n\(ten)\r\n00\r\n\r\n")))
        #expect(r.body.count == 20)
    }

    @Test(arguments: [
        "5;name=value",
        "5;name",
        "5 ; a = b ; c",
        "5\t;\ta\t=\t\"quoted \\\" str;=\"",
        "5;a=\"\";b=tok",
        "0005;a=1",
    ])
    func validExtensionsAreIgnored(line: String) {
        #expect(request(chunked(line + "\r\nhello\r\n0;last=1\r\n\r\n"))?.body == Array("hello".utf8))
    }

    @Test(arguments: [
        "5;",
        "5;=v",
        "5;a=",
        "5;a=\"unterminated",
        "5;a=\"bad\u{01}\"",
        "5;a b",
        "5 ",
        "5 x",
        "5;a;",
        "5;a=b c",
        "",  // missing size
        "x",
        "-5",
        "+5",
        "0x5",
        "ffffffffffffffff",  // 16 hex digits overflow
    ])
    func invalidChunkLineIs400(line: String) {
        #expect(rejection(chunked(line + "\r\nhello\r\n0\r\n\r\n")) == 400)
    }

    @Test func chunkExtensionLengthIsBounded() {
        let long = "5;a=" + String(repeating: "b", count: 1100)
        #expect(rejection(chunked(long + "\r\nhello\r\n0\r\n\r\n")) == 400)
        // Also without ever seeing the line end.
        #expect(rejection(chunked(long)) == 400)
    }

    @Test func hugeButRepresentableChunkSizeIs413() {
        #expect(rejection(chunked("fffffffffffffff\r\n")) == 413)
    }

    @Test(arguments: [
        "5\r\nhelloX\r\n0\r\n\r\n",
        "5\r\nhello\rX0\r\n\r\n",
        "5\r\nhello\n0\r\n\r\n",
        "5\r\nhello0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n0\n\r\n",
        "5\r\nhello\r\n0\r\n\n",
    ])
    func badChunkDelimitersAre400(body: String) {
        #expect(rejection(chunked(body)) == 400)
    }

    @Test func trailers() throws {
        let r = try #require(request(chunked("5\r\nhello\r\n0\r\nX-Checksum: abc \r\nx-other:1\r\n\r\n")))
        #expect(string(r.body) == "hello")
        #expect(r.trailers == ["X-Checksum": "abc", "x-other": "1"])
        #expect(!r.head.headers.contains(name: "X-Checksum"))
    }

    @Test(arguments: [
        "Bad Name: x\r\n\r\n",
        "X: a\r\n folded\r\n\r\n",
        "X: a\u{00}\r\n\r\n",
        "X : a\r\n\r\n",
    ])
    func malformedTrailerIs400(trailer: String) {
        #expect(rejection(chunked("0\r\n" + trailer)) == 400)
    }

    @Test func trailerLimitsAre431() {
        let limits = HTTPLimits(maxHeaderBytes: 64, maxHeaderCount: 2)
        #expect(request(chunked("0\r\nA: 1\r\nB: 2\r\n\r\n"), limits: limits) != nil)
        #expect(rejection(chunked("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), limits: limits) == 431)
        let big = "X: " + String(repeating: "v", count: 70) + "\r\n\r\n"
        #expect(rejection(chunked("0\r\n" + big), limits: limits) == 431)
        // Unterminated trailer section larger than the limit.
        #expect(rejection(chunked("0\r\nX: " + String(repeating: "v", count: 70)), limits: limits) == 431)
    }

    @Test func chunkedBodyLimitIs413() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        #expect(request(chunked("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), limits: limits) != nil)
        #expect(rejection(chunked("6\r\nhello!\r\n6\r\n"), limits: limits) == 413)
        #expect(rejection(chunked("b\r\n"), limits: limits) == 413)
    }

    @Test func parserEmitsBodyPiecesAndEnd() throws {
        var parser = HTTPRequestParser()
        var input = Array(chunked("3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n").utf8)
        var bodies: [[UInt8]] = []
        var trailers: HTTPHeaders?
        var sawHead = false
        while trailers == nil {
            let (event, consumed) = try input.withUnsafeBytes { try parser.parse($0) }
            input.removeFirst(consumed)
            switch try #require(event) {
            case .head(let head): sawHead = head.framing == .chunked
            case .body(let bytes): bodies.append(bytes)
            case .end(let t): trailers = t
            }
        }
        #expect(sawHead)
        #expect(bodies == [Array("abc".utf8), Array("de".utf8)])
        #expect(trailers == ["T": "v"])
        #expect(input.isEmpty)
    }
}
