import EventideHTTP1
import Testing

@Suite struct LimitsTests {
    @Test func requestLineLimit() {
        let limits = HTTPLimits(maxRequestLineLength: 32)
        let exact = "GET /" + String(repeating: "a", count: 18) + " HTTP/1.1"  // 32 bytes
        #expect(exact.utf8.count == 32)
        #expect(request(exact + "\r\nHost: a\r\n\r\n", limits: limits) != nil)
        let long = "GET /" + String(repeating: "a", count: 19) + " HTTP/1.1"
        #expect(rejection(long + "\r\nHost: a\r\n\r\n", limits: limits) == 414)
    }

    @Test func requestLineLimitIsEnforcedBeforeTheLineEnds() {
        let limits = HTTPLimits(maxRequestLineLength: 32)
        var connection = HTTPServerConnection(limits: limits)
        // 32 bytes plus the CR of the CRLF is still acceptable so far.
        connection.receive("GET /" + String(repeating: "a", count: 18) + " HTTP/1.1\r")
        #expect(isNeedMoreData(connection.next()))
        var other = HTTPServerConnection(limits: limits)
        other.receive("GET /" + String(repeating: "a", count: 40))
        #expect(rejectOf(other.next())?.status == .uriTooLong)
    }

    @Test func headerSectionLimit() {
        let head = get("X-Fill: " + String(repeating: "f", count: 40) + "\r\n")
        let size = head.utf8.count
        #expect(request(head, limits: HTTPLimits(maxHeaderBytes: size)) != nil)
        #expect(rejection(head, limits: HTTPLimits(maxHeaderBytes: size - 1)) == 431)
    }

    @Test func headerSectionLimitIsEnforcedIncrementally() {
        let limits = HTTPLimits(maxHeaderBytes: 100)
        var connection = HTTPServerConnection(limits: limits)
        let endless = Array(get("X: " + String(repeating: "v", count: 500)).utf8)
        var rejectedAt: Int?
        for (i, byte) in endless.enumerated() {
            connection.receive([byte])
            if let error = rejectOf(connection.next()) {
                #expect(error.status == .requestHeaderFieldsTooLarge)
                rejectedAt = i + 1
                break
            }
        }
        #expect(rejectedAt == 101)
    }

    @Test func longRequestLineInsideHeaderLimitIs414() {
        let limits = HTTPLimits(maxRequestLineLength: 16, maxHeaderBytes: 1024)
        #expect(rejection("GET /" + String(repeating: "a", count: 100), limits: limits) == 414)
    }

    @Test func headerCountLimit() {
        let limits = HTTPLimits(maxHeaderCount: 3)
        #expect(request(get("A: 1\r\nB: 2\r\n"), limits: limits) != nil)  // Host + 2
        #expect(rejection(get("A: 1\r\nB: 2\r\nC: 3\r\n"), limits: limits) == 431)
    }

    @Test func defaults() {
        let limits = HTTPLimits()
        #expect(limits.maxRequestLineLength == 8192)
        #expect(limits.maxHeaderBytes == 16384)
        #expect(limits.maxHeaderCount == 100)
        #expect(limits.maxBodyBytes == 8 * 1024 * 1024)
        #expect(limits.maxBufferedInputBytes == 65536)
    }
}
