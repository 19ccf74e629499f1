/// An incremental, sans-IO HTTP/1.1 request parser (RFC 9112), one request at a time.
///
/// Feed it the unconsumed input; it returns at most one event per call plus how many bytes it
/// consumed. The caller drops the consumed bytes and calls again with the remaining bytes
/// (plus any newly arrived ones) — also when the event was `nil` but bytes were consumed, and
/// also right after an event, since the next event may need no new input (e.g. `.end` follows
/// `.head` immediately for a request without a body).
///
/// While a header (or trailer) section is incomplete nothing is consumed, and the parser
/// remembers how far it has scanned, so feeding a head byte by byte stays linear. Limits are
/// checked as bytes arrive, so the caller never needs to buffer more than they allow.
///
/// After an error the parser state is unspecified; the connection must be closed (or
/// ``reset()`` called before parsing an unrelated stream).
public struct HTTPRequestParser {
    /// A parsing event.
    public enum Event: Sendable {
        /// The request line and header section are complete and valid.
        case head(HTTPRequestHead)
        /// A piece of (de-chunked) body, copied out of the input.
        case body([UInt8])
        /// The request is complete; `trailers` holds the trailer section of a chunked body.
        /// The parser is ready for the next request.
        case end(trailers: HTTPHeaders)
    }

    /// An event whose body is a range of the input, so callers inside the module avoid a copy.
    enum RawEvent {
        case head(HTTPRequestHead)
        case body(Range<Int>)
        case end(HTTPHeaders)
    }

    enum State {
        case head
        case body(remaining: Int)
        case chunkSizeLine
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case end
    }

    /// Longest accepted chunk-size line (size plus extensions), excluding CRLF.
    static let maxChunkLineLength = 1024
    /// Most empty lines tolerated before a request line (RFC 9112 §2.2 robustness).
    static let maxLeadingEmptyLines = 8

    let limits: HTTPLimits
    var state = State.head
    // Progress in the current section, relative to the first unconsumed byte.
    var scanned = 0
    var lineStart = 0
    var sectionStart = 0
    var leadingEmptyLines = 0
    var fieldCount = 0
    var bodyReceived = 0
    var builder = RequestHeadBuilder()
    var trailers = HTTPHeaders()

    /// Creates a parser enforcing `limits`.
    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
    }

    /// Parses as much of `bytes` as possible and returns the next event (or `nil` when more
    /// input is needed) and how many bytes were consumed. Body events copy the body bytes into
    /// a new array.
    public mutating func parse(
        _ bytes: UnsafeRawBufferPointer
    ) throws(HTTPParseError) -> (event: Event?, consumed: Int) {
        let (raw, consumed) = try parseRaw(bytes)
        switch raw {
        case nil:
            return (nil, consumed)
        case .head(let head):
            return (.head(head), consumed)
        case .body(let range):
            return (.body(Array(UnsafeRawBufferPointer(rebasing: bytes[range]))), consumed)
        case .end(let trailers):
            return (.end(trailers: trailers), consumed)
        }
    }

    /// Forgets any request in progress; ready for a new request. Done automatically after `.end`.
    public mutating func reset() {
        state = .head
        resetSection()
        leadingEmptyLines = 0
        bodyReceived = 0
        builder = RequestHeadBuilder()
        trailers = HTTPHeaders()
    }

    /// Like ``parse(_:)`` but reports body bytes as a range of `bytes`.
    mutating func parseRaw(
        _ bytes: UnsafeRawBufferPointer
    ) throws(HTTPParseError) -> (event: RawEvent?, consumed: Int) {
        var base = 0
        while true {
            switch state {
            case .head:
                guard let end = try scanSection(bytes, base: base, isTrailer: false) else {
                    return (nil, base)
                }
                // Moved out, not copied: the head takes the builder's strings and arrays.
                var completed = RequestHeadBuilder()
                swap(&completed, &builder)
                let head = try completed.finish(limits: limits)
                switch head.framing {
                case .none, .contentLength(0): state = .end
                case .contentLength(let n): state = .body(remaining: n)
                case .chunked: state = .chunkSizeLine
                }
                return (.head(head), end)

            case .body(let remaining):
                let available = bytes.count &- base
                guard available > 0 else { return (nil, base) }
                let n = min(remaining, available)
                state = n == remaining ? .end : .body(remaining: remaining &- n)
                return (.body(base..<(base &+ n)), base &+ n)

            case .chunkSizeLine:
                guard let next = try scanChunkSizeLine(bytes, base: base) else {
                    return (nil, base)
                }
                base = next

            case .chunkData(let remaining):
                let available = bytes.count &- base
                guard available > 0 else { return (nil, base) }
                let n = min(remaining, available)
                bodyReceived &+= n
                state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining &- n)
                return (.body(base..<(base &+ n)), base &+ n)

            case .chunkDataEnd:
                let available = bytes.count &- base
                if available >= 1 && bytes[base] != ASCII.cr {
                    throw .badRequest("missing CRLF after chunk data")
                }
                guard available >= 2 else { return (nil, base) }
                guard bytes[base &+ 1] == ASCII.lf else {
                    throw .badRequest("missing CRLF after chunk data")
                }
                base &+= 2
                state = .chunkSizeLine

            case .trailers:
                guard let end = try scanSection(bytes, base: base, isTrailer: true) else {
                    return (nil, base)
                }
                let fields = trailers
                reset()
                return (.end(fields), end)

            case .end:
                reset()
                return (.end(HTTPHeaders()), base)
            }
        }
    }

    mutating func resetSection() {
        scanned = 0
        lineStart = 0
        sectionStart = 0
        fieldCount = 0
    }
}
