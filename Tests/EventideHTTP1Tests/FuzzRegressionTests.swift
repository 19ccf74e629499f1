import EventideHTTP1
import Testing

/// Inputs found by the libFuzzer harness (Fuzz/, scripts/fuzz.sh), kept with the behaviour
/// they must have. The harness's control bytes are decoded here into explicit limits and
/// payloads; the property that failed is asserted for every way of splitting the input.
@Suite struct FuzzRegressionTests {
    /// Feeds `bytes` split at `cuts` (sorted offsets), answering every request with keep-alive.
    static func feed(_ bytes: [UInt8], cuts: [Int], limits: HTTPLimits, eof: Bool = false) -> Outcome {
        var connection = HTTPServerConnection(limits: limits)
        var outcome = Outcome()
        var start = 0
        for cut in cuts + [bytes.count] where cut >= start {
            connection.receive(Array(bytes[start..<cut]))
            drain(&connection, into: &outcome)
            start = cut
            if outcome.error != nil { break }
        }
        if eof && outcome.error == nil {
            connection.receiveEOF()
            drain(&connection, into: &outcome)
        }
        return outcome
    }

    /// The statuses `bytes` is rejected with: in one piece, byte by byte and split at every
    /// single offset.
    static func rejectionStatuses(_ bytes: [UInt8], limits: HTTPLimits) -> Set<Int?> {
        var statuses: Set<Int?> = [feed(bytes, cuts: [], limits: limits).error?.status.code]
        statuses.insert(feed(bytes, cuts: Array(0..<bytes.count), limits: limits).error?.status.code)
        for cut in 0...bytes.count {
            statuses.insert(feed(bytes, cuts: [cut], limits: limits).error?.status.code)
        }
        return statuses
    }

    // crash-cc88a1e23278b2fcea903ed43b74eed592a9efe2 (controls "U5e~"): a request line longer
    // than maxRequestLineLength ending in a bare LF was answered 400 ("bare LF") when it arrived
    // in one piece but 414 when it arrived in parts (the prefix already exceeded the limit).
    // Now the length is checked before the terminator: 414 however it is split.
    @Test func overlongRequestLineEndingInBareLFIs414HoweverSplit() {
        let limits = HTTPLimits(
            maxRequestLineLength: 8, maxHeaderBytes: 24, maxHeaderCount: 0, maxBodyBytes: 0,
            maxBufferedInputBytes: 16)
        let bytes: [UInt8] = [
            0x47, 0x45, 0x54, 0x20, 0x2F, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2F, 0x31, 0x2E, 0x31,  // GET / HTTP/1.1
            0x0D, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x0D, 0x0A,
        ]
        #expect(Self.rejectionStatuses(bytes, limits: limits) == [414])
    }

    @Test func overlongRequestLineEndingInBareLFIs414WithDefaultLimits() {
        let bytes = Array(("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\nHost: a\r\n\r\n").utf8)
        #expect(Self.rejectionStatuses(bytes, limits: HTTPLimits()) == [414])
    }

    /// A request line within maxRequestLineLength that merely ends in a bare LF is still 400.
    @Test func shortRequestLineEndingInBareLFIs400() {
        let bytes = Array("GET / HTTP/1.1\nHost: a\r\n\r\n".utf8)
        #expect(Self.rejectionStatuses(bytes, limits: HTTPLimits()) == [400])
    }

    /// A header line that makes the section too large and ends in a bare LF is 431 (the size is
    /// checked before the terminator, as it is for an incomplete line).
    @Test func oversizedHeaderSectionEndingInBareLFIs431HoweverSplit() {
        let limits = HTTPLimits(maxHeaderBytes: 64)
        let bytes = Array(("GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "b", count: 80) + "\n\r\n").utf8)
        #expect(Self.rejectionStatuses(bytes, limits: limits) == [431])
    }

    // crash-f1449498a052402b3e9737b2b2b2d9b666d32c9d (controls 0d 0a 43 6e: byte by byte):
    // with maxHeaderBytes (24) below maxRequestLineLength (64), an unterminated 103-byte
    // request line was answered 414 in one piece but 431 byte by byte (a 25-byte prefix
    // exceeded the section limit first). While the request line is incomplete only its own
    // limit applies now; the section limit is checked when the line is complete.
    @Test func unterminatedOverlongRequestLineIs414HoweverSplit() {
        let limits = HTTPLimits(maxRequestLineLength: 64, maxHeaderBytes: 24)
        let bytes: [UInt8] =
            [0x74, 0x4C, 0x3D, 0x2D, 0x79, 0x65, 0x6E, 0x74, 0x65]  // tL=-yente
            + [UInt8](repeating: 0xE9, count: 89) + [0x00, 0x00, 0xFB, 0x02, 0x63]
        #expect(bytes.count == 103)
        #expect(Self.rejectionStatuses(bytes, limits: limits) == [414])
    }

    /// The other side of the same fix: a complete request line within maxRequestLineLength
    /// but beyond maxHeaderBytes is 431 however it is split, and never buffered past the line.
    @Test func requestLineWithinItsLimitButBeyondTheSectionLimitIs431HoweverSplit() {
        let limits = HTTPLimits(maxRequestLineLength: 64, maxHeaderBytes: 24)
        let bytes = Array("GET /0123456789012345678901234567890 HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        #expect(Self.rejectionStatuses(bytes, limits: limits) == [431])
    }

    /// An incomplete request line is never rejected for the section limit alone.
    @Test func incompleteRequestLineWithinItsLimitWaitsForMoreInput() {
        let limits = HTTPLimits(maxRequestLineLength: 64, maxHeaderBytes: 24)
        let outcome = Self.feed(Array("GET /0123456789012345678901234567890".utf8), cuts: [], limits: limits)
        #expect(outcome.error == nil)
        #expect(isNeedMoreData(outcome.last))
    }
}
