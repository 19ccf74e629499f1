import HTTPTypes

/// Serializes HTTP/1.1 responses into a caller-owned byte buffer (appending).
public enum HTTPResponseSerializer {
    /// `HTTP/1.1 100 Continue\r\n\r\n`.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Appends the status line, header fields and the empty line that ends the head.
    ///
    /// Layout: `HTTP/1.1 <code> <reason>` (the standard phrase when `status` carries none),
    /// then the caller's `headers` in order (names as spelled), then — unless the caller set
    /// them — `Date`, then the framing field, then `Connection`.
    /// - Framing: `Content-Length: <contentLength>` when non-nil (`chunked` is then ignored),
    ///   else `Transfer-Encoding: chunked` when `chunked`, else none (e.g. 204/304). Any
    ///   Content-Length or Transfer-Encoding in `headers` is dropped so framing stays consistent.
    /// - `Connection: close` when `!keepAlive`; `Connection: keep-alive` when `keepAlive` and the
    ///   request was HTTP/1.0. A caller-set Connection header wins and suppresses these.
    /// - Returns whether the connection stays open after this response: `keepAlive`, unless a
    ///   caller-set Connection field lists `close` (the fields are read once, here).
    /// - A caller-set `Date` header suppresses `date`.
    /// - Response splitting cannot happen: `HTTPField` names are tokens and its values have CR,
    ///   LF and other control characters replaced by spaces when they are made, and
    ///   `HTTPResponse.Status` legalizes its reason phrase the same way.
    ///
    /// Only the head is written; for HEAD requests pass the length the body would have and
    /// write no body.
    @discardableResult
    public static func appendHead(
        status: HTTPResponse.Status,
        headers: HTTPFields,
        contentLength: Int?,
        chunked: Bool,
        keepAlive: Bool,
        requestVersion: HTTPVersion,
        date: String,
        into buffer: inout [UInt8]
    ) -> Bool {
        // One pass over the fields (each `HTTPField` the iteration yields is a copy: a
        // sizing pass before the writing one cost one more per field), in three parts
        // each sized before it is written: the status line, each field, the rest.
        let reasonPhrase = status.reasonPhrase.isEmpty ? ReasonPhrase.standard(for: status.code) : status.reasonPhrase
        buffer.appendBytes(count: 9 &+ ByteWriter.decimalDigits(status.code) &+ 1 &+ reasonPhrase.utf8.count &+ 2) { w in
            w.write("HTTP/1.1 ")
            w.writeDecimal(status.code)
            w.write(byte: ASCII.sp)
            w.write(reasonPhrase)
            w.write("\r\n")
        }
        var hasDate = false
        var hasConnection = false
        var callerCloses = false
        for field in headers {
            switch kind(of: field.name.canonicalName) {
            case .framing: continue
            case .date: hasDate = true
            case .connection:
                hasConnection = true
                if field.withUnsafeBytesOfValue({ listsClose($0) }) { callerCloses = true }
            case .other: break
            }
            let name = field.name.rawName
            field.withUnsafeBytesOfValue { value in
                buffer.appendBytes(count: name.utf8.count &+ value.count &+ 4) { w in
                    w.write(name)
                    w.write(": ")
                    w.write(value)
                    w.write("\r\n")
                }
            }
        }
        let writeDate = !hasDate && HTTPFieldValidation.isValidValue(date)
        var size = writeDate ? 8 &+ date.utf8.count : 0
        if let contentLength {
            size &+= 18 &+ ByteWriter.decimalDigits(contentLength)
        } else if chunked {
            size &+= transferEncodingChunked.utf8CodeUnitCount
        }
        var connection: StaticString?
        if !hasConnection {
            if !keepAlive {
                connection = "Connection: close\r\n"
            } else if !requestVersion.hasHTTP11Semantics {
                connection = "Connection: keep-alive\r\n"
            }
        }
        size &+= (connection?.utf8CodeUnitCount ?? 0) &+ 2
        buffer.appendBytes(count: size) { w in
            if writeDate {
                w.write("Date: ")
                w.write(date)
                w.write("\r\n")
            }
            if let contentLength {
                w.write("Content-Length: ")
                w.writeDecimal(contentLength)
                w.write("\r\n")
            } else if chunked {
                w.write(transferEncodingChunked)
            }
            if let connection { w.write(connection) }
            w.write("\r\n")
        }
        return keepAlive && !callerCloses
    }

    /// Whether a Connection field value lists the `close` option (case-insensitive).
    private static func listsClose(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        for end in 0...value.count where end == value.count || value[end] == UInt8(ascii: ",") {
            var lower = start
            var upper = end
            while lower < upper, ASCII.isWhitespace(value[lower]) { lower += 1 }
            while upper > lower, ASCII.isWhitespace(value[upper - 1]) { upper -= 1 }
            if upper - lower == 5, ASCII.caseInsensitiveEquals(UnsafeBufferPointer(rebasing: value[lower..<upper]), lowercased: "close") {
                return true
            }
            start = end + 1
        }
        return false
    }

    /// Appends one chunk: hex size, CRLF, the data, CRLF. Empty input writes nothing (an empty
    /// chunk would end the body).
    public static func appendChunk(_ bytes: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        buffer.appendBytes(count: ByteWriter.hexDigits(bytes.count) &+ 2) { w in
            w.writeHex(bytes.count)
            w.write("\r\n")
        }
        buffer.append(contentsOf: bytes)
        buffer.append(ASCII.cr)
        buffer.append(ASCII.lf)
    }

    /// Appends the last chunk with an empty trailer section: `0\r\n\r\n`.
    public static func appendLastChunk(into buffer: inout [UInt8]) {
        buffer.appendBytes(count: 5) { w in w.write("0\r\n\r\n") }
    }

    private static let transferEncodingChunked: StaticString = "Transfer-Encoding: chunked\r\n"

    private enum FieldKind {
        case date, connection, framing, other
    }

    /// Classifies the response header names the serializer manages itself.
    private static func kind(of name: String) -> FieldKind {
        let count = name.utf8.count
        guard count == 4 || count == 10 || count == 14 || count == 17 else { return .other }
        return ASCII.withUTF8(name) { n in
            switch n.count {
            case 4 where ASCII.caseInsensitiveEquals(n, lowercased: "date"): .date
            case 10 where ASCII.caseInsensitiveEquals(n, lowercased: "connection"): .connection
            case 14 where ASCII.caseInsensitiveEquals(n, lowercased: "content-length"): .framing
            case 17 where ASCII.caseInsensitiveEquals(n, lowercased: "transfer-encoding"): .framing
            default: .other
            }
        }
    }
}
