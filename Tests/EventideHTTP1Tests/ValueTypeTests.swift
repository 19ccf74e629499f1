import EventideHTTP1
import Testing

@Suite struct ValueTypeTests {
    @Test func headersOperations() {
        var h = HTTPHeaders()
        #expect(h.isEmpty)
        h.add(name: "Set-Cookie", value: "a=1")
        h.add(name: "Content-Type", value: "text/plain")
        h.add(name: "set-cookie", value: "b=2")
        #expect(h.count == 3)
        #expect(h.first(name: "SET-COOKIE") == "a=1")
        #expect(h["Set-Cookie"] == ["a=1", "b=2"])
        #expect(h["missing"] == [])
        #expect(h.first(name: "missing") == nil)
        #expect(h.contains(name: "content-type"))

        h.replaceOrAdd(name: "Set-Cookie", value: "c=3")
        #expect(h.map(\.name) == ["Set-Cookie", "Content-Type"])
        #expect(h["set-cookie"] == ["c=3"])
        h.replaceOrAdd(name: "X-New", value: "n")
        #expect(h.map(\.value) == ["c=3", "text/plain", "n"])

        h.remove(name: "CONTENT-TYPE")
        #expect(!h.contains(name: "Content-Type"))
        #expect(h.count == 2)
    }

    @Test func headersInitAndEquality() {
        let a = HTTPHeaders([("A", "1"), ("B", "2")])
        let b: HTTPHeaders = ["a": "1", "b": "2"]
        #expect(a == b)
        #expect(a != ["A": "1", "B": "3"])
        #expect(a != ["B": "2", "A": "1"])
        #expect(a.description == "[A: 1, B: 2]")
    }

    @Test func methodAndVersion() {
        let purge: HTTPMethod = "PURGE"
        #expect(purge.rawValue == "PURGE")
        #expect(HTTPMethod(rawValue: "GET") == .get)
        #expect(HTTPMethod.connect.description == "CONNECT")
        #expect(HTTPVersion.http1_1.description == "HTTP/1.1")
        #expect(HTTPVersion.http1_0.description == "HTTP/1.0")
    }

    @Test func parseErrorDescription() {
        let error = HTTPParseError(status: .badRequest, reason: "bare LF")
        #expect(error.description == "400 Bad Request: bare LF")
    }

    @Test func parserEventsForBodilessRequest() throws {
        var parser = HTTPRequestParser()
        let input = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next".utf8)
        let first = try input.withUnsafeBytes { try parser.parse($0) }
        guard case .head(let head)? = first.event else {
            Issue.record("expected head")
            return
        }
        #expect(head.target == "/")
        #expect(first.consumed == 27)
        let second = try input[27...].withUnsafeBytes { try parser.parse($0) }
        guard case .end(let trailers)? = second.event else {
            Issue.record("expected end")
            return
        }
        #expect(trailers.isEmpty)
        #expect(second.consumed == 0)
        let third = try input[27...].withUnsafeBytes { try parser.parse($0) }
        #expect(third.event == nil)
        #expect(third.consumed == 0)
    }

    @Test func parserThrowsTypedErrors() {
        var parser = HTTPRequestParser()
        let input = Array("GET / HTTP/2.0\r\n".utf8)
        #expect(throws: HTTPParseError(status: .httpVersionNotSupported, reason: "unsupported HTTP version")) {
            _ = try input.withUnsafeBytes { try parser.parse($0) }
        }
    }
}
