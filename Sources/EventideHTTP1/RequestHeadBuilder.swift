/// Accumulates the request line and header fields of one request while the parser scans
/// them, and derives framing and connection semantics once the header section ends.
struct RequestHeadBuilder {
    var hasRequestLine = false
    var method = HTTPMethod(rawValue: "")
    var target = ""
    var version = HTTPVersion.http1_1
    var headers = HTTPHeaders()

    private var hostCount = 0
    private var contentLength: Int?
    private var hasTransferEncoding = false
    private var chunkedCount = 0
    private var lastCodingIsChunked = false
    private var hasUnsupportedCoding = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectContinue = false

    /// Parses `method SP request-target SP HTTP-version` from `bytes[line]` (CRLF excluded).
    mutating func parseRequestLine(
        _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>
    ) throws(HTTPParseError) {
        let end = line.upperBound
        var i = line.lowerBound
        while i < end && ASCII.isTChar(bytes[i]) { i &+= 1 }
        guard i > line.lowerBound, i < end, bytes[i] == ASCII.sp else {
            throw .badRequest("invalid method")
        }
        let methodRange = line.lowerBound..<i
        i &+= 1
        let targetStart = i
        while i < end && ASCII.isVisible(bytes[i]) { i &+= 1 }
        guard i > targetStart, i < end, bytes[i] == ASCII.sp else {
            throw .badRequest("invalid request-target")
        }
        let targetRange = targetStart..<i
        i &+= 1
        version = try Self.parseVersion(bytes, i..<end)
        method = HTTPMethod(rawValue: CommonMethods.string(bytes, methodRange))
        target = ASCII.string(bytes, targetRange)
        hasRequestLine = true
    }

    /// `HTTP-version = "HTTP/" DIGIT "." DIGIT`, case-sensitive.
    private static func parseVersion(
        _ bytes: UnsafeRawBufferPointer, _ r: Range<Int>
    ) throws(HTTPParseError) -> HTTPVersion {
        let s = r.lowerBound
        guard r.count == 8,
            bytes[s] == 0x48, bytes[s + 1] == 0x54, bytes[s + 2] == 0x54, bytes[s + 3] == 0x50,
            bytes[s + 4] == 0x2F, bytes[s + 6] == 0x2E,
            bytes[s + 5] &- 0x30 < 10, bytes[s + 7] &- 0x30 < 10
        else { throw .badRequest("malformed HTTP version") }
        let major = Int(bytes[s + 5] &- 0x30)
        let version = HTTPVersion(major: major, minor: Int(bytes[s + 7] &- 0x30))
        guard version.major == 1 else {
            throw HTTPParseError(
                status: .httpVersionNotSupported, reason: "unsupported HTTP version")
        }
        return version
    }

    /// Records one validated header field, interpreting the ones that affect framing.
    mutating func addField(
        _ bytes: UnsafeRawBufferPointer, name: Range<Int>, value: Range<Int>
    ) throws(HTTPParseError) {
        switch name.count {
        case 4 where ASCII.equalsLowercased(bytes, name, "host"):
            hostCount &+= 1
            guard hostCount == 1 else { throw .badRequest("multiple Host headers") }
        case 6 where ASCII.equalsLowercased(bytes, name, "expect"):
            if ASCII.equalsLowercased(bytes, value, "100-continue") { expectContinue = true }
        case 10 where ASCII.equalsLowercased(bytes, name, "connection"):
            parseConnection(bytes, value)
        case 14 where ASCII.equalsLowercased(bytes, name, "content-length"):
            try parseContentLength(bytes, value)
        case 17 where ASCII.equalsLowercased(bytes, name, "transfer-encoding"):
            try parseTransferEncoding(bytes, value)
        default:
            break
        }
        if headers.isEmpty { headers.reserveCapacity(16) }
        headers.add(name: CommonFieldNames.string(bytes, name), value: ASCII.string(bytes, value))
    }

    /// Validates the complete header section and produces the request head.
    consuming func finish(limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead {
        let http11 = version.hasHTTP11Semantics
        if http11 && hostCount == 0 { throw .badRequest("missing Host header") }
        var framing = HTTPBodyFraming.none
        if hasTransferEncoding {
            if contentLength != nil {
                throw .badRequest("both Content-Length and Transfer-Encoding")
            }
            if !http11 {
                throw HTTPParseError(
                    status: .lengthRequired, reason: "HTTP/1.0 request must use Content-Length")
            }
            if chunkedCount > 1 { throw .badRequest("chunked applied more than once") }
            if chunkedCount == 1 && !lastCodingIsChunked {
                throw .badRequest("chunked is not the final transfer coding")
            }
            if hasUnsupportedCoding {
                throw HTTPParseError(status: .notImplemented, reason: "unsupported transfer coding")
            }
            if chunkedCount == 0 { throw .badRequest("empty Transfer-Encoding") }
            framing = .chunked
        } else if let length = contentLength {
            if length > limits.maxBodyBytes {
                throw HTTPParseError(
                    status: .contentTooLarge, reason: "Content-Length exceeds limit")
            }
            framing = .contentLength(length)
        }
        return HTTPRequestHead(
            method: method,
            target: target,
            version: version,
            headers: headers,
            framing: framing,
            keepAlive: http11 ? !connectionClose : (connectionKeepAlive && !connectionClose),
            expectsContinue: http11 && expectContinue
        )
    }

    /// `Content-Length = 1*DIGIT`; a list of identical values (in one or several fields) is
    /// accepted as that value.
    private mutating func parseContentLength(
        _ bytes: UnsafeRawBufferPointer, _ value: Range<Int>
    ) throws(HTTPParseError) {
        var found = false
        for element in ListElements(bytes, value) {
            guard !element.isEmpty else { throw .badRequest("invalid Content-Length") }
            var n = 0
            for i in element {
                let digit = bytes[i] &- 0x30
                guard digit < 10 else { throw .badRequest("invalid Content-Length") }
                // Caps at about 10^18, far beyond any limit but safe from overflow.
                guard n < 100_000_000_000_000_000 else {
                    throw .badRequest("Content-Length overflow")
                }
                n = n &* 10 &+ Int(digit)
            }
            if let existing = contentLength, existing != n {
                throw .badRequest("conflicting Content-Length values")
            }
            contentLength = n
            found = true
        }
        if !found { throw .badRequest("invalid Content-Length") }
    }

    /// Combines Transfer-Encoding fields into one coding list and tracks where `chunked` is.
    private mutating func parseTransferEncoding(
        _ bytes: UnsafeRawBufferPointer, _ value: Range<Int>
    ) throws(HTTPParseError) {
        hasTransferEncoding = true
        for element in ListElements(bytes, value) where !element.isEmpty {
            var i = element.lowerBound
            while i < element.upperBound && ASCII.isTChar(bytes[i]) { i &+= 1 }
            let coding = element.lowerBound..<i
            while i < element.upperBound && ASCII.isWhitespace(bytes[i]) { i &+= 1 }
            let hasParameters = i < element.upperBound
            guard !coding.isEmpty, !hasParameters || bytes[i] == ASCII.semicolon else {
                throw .badRequest("invalid Transfer-Encoding")
            }
            if ASCII.equalsLowercased(bytes, coding, "chunked") {
                if hasParameters { throw .badRequest("chunked takes no parameters") }
                chunkedCount &+= 1
                lastCodingIsChunked = true
            } else {
                hasUnsupportedCoding = true
                lastCodingIsChunked = false
            }
        }
    }

    /// Looks for the `close` and `keep-alive` connection options.
    private mutating func parseConnection(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) {
        for element in ListElements(bytes, value) {
            if ASCII.equalsLowercased(bytes, element, "close") {
                connectionClose = true
            } else if ASCII.equalsLowercased(bytes, element, "keep-alive") {
                connectionKeepAlive = true
            }
        }
    }
}
