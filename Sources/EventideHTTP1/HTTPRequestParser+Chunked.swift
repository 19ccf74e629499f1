extension HTTPRequestParser {
    /// Scans `chunk-size [ chunk-ext ] CRLF` at `base`. Returns the index just past the line
    /// (and moves to chunk data or trailers), or nil when more input is needed.
    mutating func scanChunkSizeLine(
        _ bytes: UnsafeRawBufferPointer, base: Int
    ) throws(HTTPParseError) -> Int? {
        let end = bytes.count
        let i = ASCII.firstIndex(of: ASCII.lf, in: bytes, from: base &+ scanned, to: end)
        guard i < end else {
            scanned = end &- base
            guard scanned <= Self.maxChunkLineLength &+ 1 else {
                throw .badRequest("chunk line too long")
            }
            return nil
        }
        guard i > base, bytes[i &- 1] == ASCII.cr else { throw .badRequest("bare LF") }
        let line = base..<(i &- 1)
        guard line.count <= Self.maxChunkLineLength else {
            throw .badRequest("chunk line too long")
        }
        scanned = 0

        var j = line.lowerBound
        var size = 0
        while j < line.upperBound, let digit = ASCII.hexValue(bytes[j]) {
            guard size <= Int.max >> 4 else { throw .badRequest("chunk size overflow") }
            size = size << 4 | digit
            j &+= 1
        }
        guard j > line.lowerBound else { throw .badRequest("missing chunk size") }
        try Self.validateChunkExtensions(bytes, j..<line.upperBound)

        if size == 0 {
            state = .trailers
            resetSection()
        } else {
            guard size <= limits.maxBodyBytes &- bodyReceived else {
                throw HTTPParseError(status: .contentTooLarge, reason: "chunked body exceeds limit")
            }
            state = .chunkData(remaining: size)
        }
        return i &+ 1
    }

    /// Validates `*( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )`.
    /// Extensions are otherwise ignored.
    static func validateChunkExtensions(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>
    ) throws(HTTPParseError) {
        let end = range.upperBound
        var i = range.lowerBound
        func skipWhitespace() {
            while i < end && ASCII.isWhitespace(bytes[i]) { i &+= 1 }
        }
        func skipToken() -> Bool {
            let start = i
            while i < end && ASCII.isTChar(bytes[i]) { i &+= 1 }
            return i > start
        }
        while i < end {
            skipWhitespace()
            guard i < end, bytes[i] == ASCII.semicolon else {
                throw .badRequest("invalid chunk extension")
            }
            i &+= 1
            skipWhitespace()
            guard skipToken() else { throw .badRequest("invalid chunk extension") }
            let afterName = i
            skipWhitespace()
            guard i < end, bytes[i] == ASCII.equals else {
                i = afterName
                continue
            }
            i &+= 1
            skipWhitespace()
            if i < end && bytes[i] == ASCII.dquote {
                i &+= 1
                guard skipQuotedStringRest(bytes, &i, end) else {
                    throw .badRequest("invalid chunk extension")
                }
            } else if !skipToken() {
                throw .badRequest("invalid chunk extension")
            }
        }
    }

    /// Skips the rest of a quoted-string after its opening DQUOTE; false if malformed.
    private static func skipQuotedStringRest(
        _ bytes: UnsafeRawBufferPointer, _ i: inout Int, _ end: Int
    ) -> Bool {
        while i < end {
            let b = bytes[i]
            i &+= 1
            if b == ASCII.dquote { return true }
            if b == ASCII.backslash {
                guard i < end, ASCII.isFieldValueByte(bytes[i]) else { return false }
                i &+= 1
            } else if !ASCII.isFieldValueByte(b) {
                return false
            }
        }
        return false
    }
}
