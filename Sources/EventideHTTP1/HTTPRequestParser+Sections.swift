extension HTTPRequestParser {
    /// Scans the header section (request line and fields) or the trailer section starting at
    /// `base`, processing each line as it completes. Returns the index just past the final
    /// empty line, or nil when more input is needed (progress is remembered).
    mutating func scanSection(
        _ bytes: UnsafeRawBufferPointer, base: Int, isTrailer: Bool
    ) throws(HTTPParseError) -> Int? {
        let end = bytes.count
        var i = base &+ scanned
        while true {
            i = ASCII.firstIndex(of: ASCII.lf, in: bytes, from: i, to: end)
            guard i < end else { break }
            let start = base &+ lineStart
            let endsWithCR = i > start && bytes[i &- 1] == ASCII.cr
            let line = start..<(endsWithCR ? i &- 1 : i)
            i &+= 1
            lineStart = i &- base

            // The limits are checked before the line terminator, in the same order as for an
            // incomplete line below, so the status does not depend on how input was split.
            if !isTrailer && !builder.hasRequestLine {
                guard line.count <= limits.maxRequestLineLength else { throw Self.uriTooLong }
                try checkSectionSize(i &- base, isTrailer: isTrailer)
                guard endsWithCR else { throw .badRequest("bare LF") }
                if line.isEmpty {
                    leadingEmptyLines &+= 1
                    guard leadingEmptyLines <= Self.maxLeadingEmptyLines else {
                        throw .badRequest("too many empty lines before request line")
                    }
                    sectionStart = lineStart
                    continue
                }
                try builder.parseRequestLine(bytes, line)
                continue
            }

            try checkSectionSize(i &- base, isTrailer: isTrailer)
            guard endsWithCR else { throw .badRequest("bare LF") }
            if line.isEmpty {
                resetSection()
                return i
            }
            fieldCount &+= 1
            guard fieldCount <= limits.maxHeaderCount else {
                throw HTTPParseError(
                    status: .requestHeaderFieldsTooLarge,
                    reason: isTrailer ? "too many trailer fields" : "too many header fields")
            }
            let (name, value) = try Self.splitField(bytes, line)
            if isTrailer {
                trailers.add(name: ASCII.string(bytes, name), value: ASCII.string(bytes, value))
            } else {
                try builder.addField(bytes, name: name, value: value)
            }
        }
        scanned = end &- base

        if !isTrailer && !builder.hasRequestLine {
            // A trailing CR may be the start of the request line's CRLF.
            var length = end &- (base &+ lineStart)
            if length > 0 && bytes[end &- 1] == ASCII.cr { length &-= 1 }
            guard length <= limits.maxRequestLineLength else { throw Self.uriTooLong }
            // The section size is checked once the request line is complete: checking it on a
            // prefix too would answer 431 or 414 for the same line depending on how the input
            // was split (a prefix may exceed maxHeaderBytes before the line exceeds
            // maxRequestLineLength). Buffering stays bounded by maxRequestLineLength.
            return nil
        }
        try checkSectionSize(end &- base, isTrailer: isTrailer)
        return nil
    }

    /// Throws 431 when the section (from its start to `offset`, relative to the first
    /// unconsumed byte) is larger than allowed.
    private func checkSectionSize(_ offset: Int, isTrailer: Bool) throws(HTTPParseError) {
        guard offset &- sectionStart <= limits.maxHeaderBytes else {
            throw HTTPParseError(
                status: .requestHeaderFieldsTooLarge,
                reason: isTrailer ? "trailer section too large" : "header section too large")
        }
    }

    private static var uriTooLong: HTTPParseError {
        HTTPParseError(status: .uriTooLong, reason: "request line too long")
    }

    /// Splits `field-name ":" OWS field-value OWS` into validated name and value ranges.
    static func splitField(
        _ bytes: UnsafeRawBufferPointer, _ line: Range<Int>
    ) throws(HTTPParseError) -> (name: Range<Int>, value: Range<Int>) {
        let end = line.upperBound
        var i = line.lowerBound
        if ASCII.isWhitespace(bytes[i]) { throw .badRequest("obsolete line folding") }
        while i < end && ASCII.isTChar(bytes[i]) { i &+= 1 }
        guard i < end, bytes[i] == ASCII.colon else {
            if i < end && ASCII.isWhitespace(bytes[i]) {
                throw .badRequest("whitespace between field name and colon")
            }
            throw .badRequest("invalid field name")
        }
        guard i > line.lowerBound else { throw .badRequest("empty field name") }
        let name = line.lowerBound..<i
        i &+= 1
        while i < end && ASCII.isWhitespace(bytes[i]) { i &+= 1 }
        var valueEnd = end
        while valueEnd > i && ASCII.isWhitespace(bytes[valueEnd &- 1]) { valueEnd &-= 1 }
        guard ASCII.allFieldValueBytes(bytes, i..<valueEnd) else {
            throw .badRequest("invalid character in field value")
        }
        return (name, i..<valueEnd)
    }
}
