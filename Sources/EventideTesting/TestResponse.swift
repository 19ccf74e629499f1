import Eventide
import Foundation

/// A response as it came over the connection: status, every header the server sent
/// (`Content-Length`, `Date`, `Connection`, ...), the body with any chunked framing
/// removed, and the exact bytes.
public struct TestResponse: Sendable {
    /// The status.
    public let status: HTTPResponse.Status
    /// The headers as sent, in order (`headers[.contentLength]`).
    public let headers: HTTPFields
    /// The body bytes (de-chunked).
    public let body: [UInt8]
    /// The response exactly as the server wrote it: head, framing and body.
    public let bytes: [UInt8]

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as JSON.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body))
    }

    /// Takes one complete response from the front of `input` (removing its bytes), or
    /// returns nil when more bytes are needed. `closed`: no more bytes will come, so a
    /// body delimited by the close is complete. `method`: the request's (a response to
    /// HEAD has no body).
    static func parse(from input: inout [UInt8], method: HTTPRequest.Method, closed: Bool) throws(TestClientError) -> TestResponse? {
        guard let headEnd = input.firstRange(of: [13, 10, 13, 10]) else {
            if closed && !input.isEmpty { throw .malformedResponse("connection closed inside the head") }
            return nil
        }
        let headLines = String(decoding: input[..<headEnd.lowerBound], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = headLines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let code = Int(statusParts[1]) else {
            throw .malformedResponse("bad status line: \(headLines[0])")
        }
        var headers = HTTPFields()
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else {
                throw .malformedResponse("bad header line: \(line)")
            }
            headers.append(HTTPField(name: name, value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        guard (100...999).contains(code) else { throw .malformedResponse("bad status code: \(code)") }
        let status = HTTPResponse.Status(code: code, reasonPhrase: statusParts.count > 2 ? String(statusParts[2]) : "")
        let bodyStart = headEnd.upperBound
        var body: [UInt8] = []
        let end: Int
        if code < 200 || code == 204 || code == 304 || method == .head {
            end = bodyStart
        } else if headers[.transferEncoding]?.lowercased().contains("chunked") == true {
            guard let chunkedEnd = try dechunk(input, from: bodyStart, into: &body) else {
                if closed { throw .malformedResponse("connection closed inside a chunked body") }
                return nil
            }
            end = chunkedEnd
        } else if let lengthText = headers[.contentLength] {
            guard let length = Int(lengthText), length >= 0, headers[values: .contentLength].count == 1 else {
                throw .malformedResponse("bad Content-Length: \(headers[values: .contentLength])")
            }
            guard input.count - bodyStart >= length else {
                if closed { throw .malformedResponse("connection closed after \(input.count - bodyStart) of \(length) body bytes") }
                return nil
            }
            end = bodyStart + length
            body = Array(input[bodyStart..<end])
        } else {
            guard closed else { return nil }  // delimited by the close
            end = input.count
            body = Array(input[bodyStart...])
        }
        let bytes = Array(input[..<end])
        input.removeFirst(end)
        return TestResponse(status: status, headers: headers, body: body, bytes: bytes)
    }

    /// Decodes a chunked body starting at `start`; returns the index after its last CRLF,
    /// or nil when incomplete.
    private static func dechunk(_ input: [UInt8], from start: Int, into body: inout [UInt8]) throws(TestClientError) -> Int? {
        var index = start
        while true {
            guard let lineEnd = input[index...].firstRange(of: [13, 10]) else { return nil }
            let sizeText = String(decoding: input[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let sizeField = sizeText.split(separator: ";").first, let size = Int(sizeField, radix: 16), size >= 0,
                size < Int.max / 2 - index
            else {
                throw .malformedResponse("bad chunk size: \(sizeText)")
            }
            index = lineEnd.upperBound
            if size == 0 {
                // Trailers, then an empty line.
                while true {
                    guard let trailerEnd = input[index...].firstRange(of: [13, 10]) else { return nil }
                    let empty = trailerEnd.lowerBound == index
                    index = trailerEnd.upperBound
                    if empty { return index }
                }
            }
            guard input.count >= index + size + 2 else { return nil }
            guard input[index + size] == 13, input[index + size + 1] == 10 else {
                throw .malformedResponse("chunk data not followed by CRLF")
            }
            body += input[index..<(index + size)]
            index += size + 2
        }
    }
}
