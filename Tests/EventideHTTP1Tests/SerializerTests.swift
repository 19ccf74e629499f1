import EventideHTTP1
import HTTPTypes
import Testing

@Suite struct SerializerTests {
    let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    func head(
        _ status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], contentLength: Int? = nil,
        chunked: Bool = false, keepAlive: Bool = true, version: HTTPVersion = .http1_1
    ) -> String {
        var out: [UInt8] = []
        HTTPResponseSerializer.appendHead(
            status: status, headers: headers, contentLength: contentLength, chunked: chunked,
            keepAlive: keepAlive, requestVersion: version, date: date, into: &out)
        return string(out)
    }

    /// Fields with names spelled as given (the serializer writes `rawName`).
    func fields(_ pairs: KeyValuePairs<String, String>) -> HTTPFields {
        HTTPFields(pairs.map { HTTPField(name: HTTPField.Name($0.key)!, value: $0.value) })
    }

    @Test func fixedLength() {
        var out = Array("prefix".utf8)
        HTTPResponseSerializer.appendHead(
            status: .ok, headers: [.contentType: "text/plain"], contentLength: 5, chunked: false,
            keepAlive: true, requestVersion: .http1_1, date: date, into: &out)
        out += Array("hello".utf8)
        #expect(
            string(out)
                == "prefixHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: \(date)\r\nContent-Length: 5\r\n\r\nhello")
    }

    @Test func chunked() {
        var out: [UInt8] = []
        HTTPResponseSerializer.appendHead(
            status: .created, headers: [:], contentLength: nil, chunked: true, keepAlive: true,
            requestVersion: .http1_1, date: date, into: &out)
        Array("hello".utf8).withUnsafeBytes { HTTPResponseSerializer.appendChunk($0, into: &out) }
        [UInt8]().withUnsafeBytes { HTTPResponseSerializer.appendChunk($0, into: &out) }
        Array(repeating: UInt8(ascii: "z"), count: 26).withUnsafeBytes {
            HTTPResponseSerializer.appendChunk($0, into: &out)
        }
        HTTPResponseSerializer.appendLastChunk(into: &out)
        let z = String(repeating: "z", count: 26)
        #expect(
            string(out)
                == "HTTP/1.1 201 Created\r\nDate: \(date)\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1a\r\n\(z)\r\n0\r\n\r\n")
    }

    @Test func largeChunkSizeInHex() {
        var out: [UInt8] = []
        Array(repeating: UInt8(0), count: 4096).withUnsafeBytes {
            HTTPResponseSerializer.appendChunk($0, into: &out)
        }
        #expect(Array(out.prefix(6)) == Array("1000\r\n".utf8))
        #expect(out.count == 6 + 4096 + 2)
    }

    @Test func connectionClose() {
        #expect(
            head(.notFound, contentLength: 0, keepAlive: false)
                == "HTTP/1.1 404 Not Found\r\nDate: \(date)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test func http10KeepAlive() {
        #expect(
            head(contentLength: 2, version: .http1_0)
                == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n")
        #expect(
            head(contentLength: 2, keepAlive: false, version: .http1_0)
                == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
    }

    @Test func headStyleWritesOnlyTheHead() {
        #expect(
            head(headers: fields(["ETag": "\"abc\""]), contentLength: 1234)
                == "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nDate: \(date)\r\nContent-Length: 1234\r\n\r\n")
    }

    @Test func noFramingWhenNeitherIsGiven() {
        #expect(head(.noContent) == "HTTP/1.1 204 No Content\r\nDate: \(date)\r\n\r\n")
    }

    @Test func contentLengthWinsOverChunked() {
        #expect(
            head(contentLength: 3, chunked: true)
                == "HTTP/1.1 200 OK\r\nDate: \(date)\r\nContent-Length: 3\r\n\r\n")
    }

    @Test func callerFramingHeadersAreReplaced() {
        let headers = fields(["content-length": "999", "Transfer-Encoding": "gzip", "X": "y"])
        #expect(
            head(headers: headers, contentLength: 3)
                == "HTTP/1.1 200 OK\r\nX: y\r\nDate: \(date)\r\nContent-Length: 3\r\n\r\n")
    }

    @Test func aCallerConnectionCloseEndsTheConnection() {
        var out: [UInt8] = []
        func keepsOpen(_ value: String) -> Bool {
            HTTPResponseSerializer.appendHead(
                status: .ok, headers: [.connection: value], contentLength: 0, chunked: false, keepAlive: true,
                requestVersion: .http1_1, date: date, into: &out)
        }
        #expect(!keepsOpen("close"))
        #expect(!keepsOpen("Keep-Alive , CLOSE"))
        #expect(keepsOpen("keep-alive"))
        #expect(keepsOpen("closed, enclose"))
        #expect(HTTPResponseSerializer.appendHead(
            status: .ok, headers: [:], contentLength: 0, chunked: false, keepAlive: false,
            requestVersion: .http1_1, date: date, into: &out) == false)
    }

    @Test func callerDateAndConnectionWin() {
        let headers = fields(["date": "Mon, 01 Jan 2024 00:00:00 GMT", "Connection": "close"])
        #expect(
            head(headers: headers, contentLength: 0, keepAlive: true)
                == "HTTP/1.1 200 OK\r\ndate: Mon, 01 Jan 2024 00:00:00 GMT\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func responseSplittingIsPrevented() {
        // HTTPTypes refuses names that are not tokens and blanks control characters in
        // values and reason phrases when they are made: nothing can end a line early.
        #expect(HTTPField.Name("Bad Name") == nil)
        #expect(HTTPField.Name("") == nil)
        let headers = fields(["X-Bad": "a\r\nSet-Cookie: evil=1", "X-Nul": "a\u{0}b", "X-Good": "ok\tvalue"])
        let status = HTTPResponse.Status(code: 200, reasonPhrase: "OK\r\nX-Injected: 1")
        #expect(
            head(status, headers: headers, contentLength: 0)
                == "HTTP/1.1 200 OK  X-Injected: 1\r\nX-Bad: a  Set-Cookie: evil=1\r\nX-Nul: a b\r\nX-Good: ok\tvalue\r\n"
                + "Date: \(date)\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func statusWithoutPhraseGetsTheStandardOne() {
        #expect(head(HTTPResponse.Status(code: 404)).hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(head(431).hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(head(HTTPResponse.Status(code: 404, reasonPhrase: "Nope")).hasPrefix("HTTP/1.1 404 Nope\r\n"))
        #expect(head(HTTPResponse.Status(code: 299)) == "HTTP/1.1 299 \r\nDate: \(date)\r\n\r\n")
        #expect(head(HTTPResponse.Status(code: 599, reasonPhrase: "Custom")).hasPrefix("HTTP/1.1 599 Custom\r\n"))
    }

    @Test func continueResponse() {
        #expect(string(HTTPResponseSerializer.continueResponse) == "HTTP/1.1 100 Continue\r\n\r\n")
    }

    @Test func fieldValidation() {
        #expect(HTTPFieldValidation.isValidName("X-Custom_Header.1"))
        #expect(!HTTPFieldValidation.isValidName(""))
        #expect(!HTTPFieldValidation.isValidName("X:Y"))
        #expect(!HTTPFieldValidation.isValidName("X\r\nY"))
        #expect(HTTPFieldValidation.isValidValue(""))
        #expect(HTTPFieldValidation.isValidValue("text/html; charset=utf-8"))
        #expect(HTTPFieldValidation.isValidValue("caf\u{E9}"))
        #expect(!HTTPFieldValidation.isValidValue("a\nb"))
        #expect(!HTTPFieldValidation.isValidValue("a\rb"))
        #expect(!HTTPFieldValidation.isValidValue("a\u{7F}"))
    }
}
