import EventideHTTP1
import Testing

@Suite struct ConnectionTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        var c = HTTPServerConnection()
        c.receive(
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "\r\nGET /4 HTTP/1.1\r\nHost: a\r\n\r\n")
        var targets: [String] = []
        for _ in 0..<4 {
            let r = try #require(requestOf(c.next()))
            targets.append(r.head.target)
            if r.head.target == "/2" { #expect(r.body == Array("abc".utf8)) }
            #expect(isAwaiting(c.next()))
            #expect(isAwaiting(c.next()))
            c.responseCompleted(keepAlive: true)
        }
        #expect(targets == ["/1", "/2", "/3", "/4"])
        #expect(isNeedMoreData(c.next()))
        #expect(c.isIdle)
    }

    @Test func partialPipelinedRequestCompletesLater() throws {
        var c = HTTPServerConnection()
        c.receive("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo")
        #expect(requestOf(c.next())?.head.target == "/1")
        c.responseCompleted(keepAlive: true)
        #expect(isNeedMoreData(c.next()))
        #expect(!c.isIdle)
        c.receive("st: a\r\n\r\n")
        #expect(requestOf(c.next())?.head.target == "/2")
    }

    @Test func manyPipelinedRequestsSurviveCompaction() {
        var c = HTTPServerConnection()
        let one = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
        c.receive(String(repeating: one, count: 150))
        c.receive("POST /last HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n")
        var count = 0
        while let r = requestOf(c.next()) {
            count += 1
            c.responseCompleted(keepAlive: true)
            if count == 75 { c.receive("ok") }
            if count <= 150 { #expect(r.head.target == "/x") } else { #expect(r.body == Array("ok".utf8)) }
        }
        #expect(count == 151)
        #expect(c.bufferedByteCount == 0)
    }

    @Test func responseWithoutKeepAliveCloses() {
        var c = HTTPServerConnection()
        c.receive("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(requestOf(c.next()) != nil)
        c.responseCompleted(keepAlive: false)
        #expect(isClose(c.next()))
        #expect(isClose(c.next()))
        #expect(!c.wantsRead)
    }

    @Test func eofWhenIdleCloses() {
        var c = HTTPServerConnection()
        #expect(c.isIdle)
        c.receiveEOF()
        #expect(isClose(c.next()))
    }

    @Test func eofWithPartialRequestClosesWithoutResponse() {
        var c = HTTPServerConnection()
        c.receive("GET / HTTP/1.1\r\nHost: a\r\n")
        #expect(isNeedMoreData(c.next()))
        c.receiveEOF()
        #expect(isClose(c.next()))
        var body = HTTPServerConnection()
        body.receive("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        #expect(isNeedMoreData(body.next()))
        body.receiveEOF()
        #expect(isClose(body.next()))
    }

    @Test func eofWhileAwaitingStillAnswersBufferedRequests() {
        var c = HTTPServerConnection()
        c.receive("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTT")
        #expect(requestOf(c.next())?.head.target == "/1")
        c.receiveEOF()
        #expect(isAwaiting(c.next()))
        c.responseCompleted(keepAlive: true)
        #expect(requestOf(c.next())?.head.target == "/2")
        c.responseCompleted(keepAlive: true)
        #expect(isClose(c.next()))  // "/3" is incomplete
    }

    @Test func rejectThenCloseForever() {
        var c = HTTPServerConnection()
        c.receive("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(rejectOf(c.next())?.status == .badRequest)
        #expect(isClose(c.next()))
        c.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(isClose(c.next()))
        #expect(!c.wantsRead)
        #expect(c.bufferedByteCount == 0)
    }

    @Test func garbageAfterValidRequestIsRejectedAfterTheResponse() {
        var c = HTTPServerConnection()
        c.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\nNOT HTTP\r\n\r\n")
        #expect(requestOf(c.next()) != nil)
        c.responseCompleted(keepAlive: true)
        #expect(rejectOf(c.next())?.status == .badRequest)
        #expect(isClose(c.next()))
    }

    @Test func wantsReadAppliesBackpressure() {
        var c = HTTPServerConnection(limits: HTTPLimits(maxBufferedInputBytes: 64))
        #expect(c.wantsRead)
        c.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(requestOf(c.next()) != nil)
        #expect(c.wantsRead)
        let next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"  // 31 bytes
        c.receive(next)
        c.receive(next)
        #expect(c.bufferedByteCount == 62)
        #expect(c.wantsRead)
        c.receive(next)  // 93 > 64
        #expect(!c.wantsRead)
        c.responseCompleted(keepAlive: true)
        #expect(requestOf(c.next())?.head.target == "/next")
        #expect(c.bufferedByteCount == 62)
        #expect(c.wantsRead)  // awaiting again, but at the limit, not above it
    }

    @Test func wantsReadIsFalseAfterEOF() {
        var c = HTTPServerConnection()
        c.receiveEOF()
        #expect(!c.wantsRead)
    }

    @Test func isIdleTracksProgress() {
        var c = HTTPServerConnection()
        #expect(c.isIdle)
        c.receive("GET / HTTP/1.1\r\n")
        #expect(!c.isIdle)
        c.receive("Host: a\r\n\r\n")
        #expect(requestOf(c.next()) != nil)
        #expect(!c.isIdle)
        c.responseCompleted(keepAlive: true)
        #expect(c.isIdle)
        #expect(isNeedMoreData(c.next()))
        #expect(c.isIdle)
    }
}
