import EventideHTTP1
import Testing

@Suite struct ContinueTests {
    let head = "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"

    @Test func sentOnceWhileBodyIsMissing() throws {
        var c = HTTPServerConnection()
        c.receive(head)
        #expect(isContinue(c.next()))
        #expect(isNeedMoreData(c.next()))
        c.receive("he")
        #expect(isNeedMoreData(c.next()))
        c.receive("llo")
        let r = try #require(requestOf(c.next()))
        #expect(r.body == Array("hello".utf8))
        #expect(r.head.expectsContinue)
    }

    @Test func notSentWhenBodyIsAlreadyBuffered() {
        let outcome = run(head + "hello")
        #expect(outcome.continues == 0)
        #expect(outcome.requests.count == 1)
    }

    @Test func notSentWhenContentLengthIsTooLarge() {
        let large = "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n"
        let outcome = run(large, limits: HTTPLimits(maxBodyBytes: 50))
        #expect(outcome.continues == 0)
        #expect(outcome.error?.status == .contentTooLarge)
    }

    @Test func notSentWithoutBodyOrOnHTTP10() {
        let noBody = run("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")
        #expect(noBody.continues == 0)
        #expect(noBody.requests.count == 1)
        let zero = run("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
        #expect(zero.continues == 0)
        #expect(zero.requests.count == 1)
        let old = run("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(old.continues == 0)
        #expect(isNeedMoreData(old.last))
    }

    @Test func sentForChunkedBodies() {
        let outcome = run("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(outcome.continues == 1)
        #expect(isNeedMoreData(outcome.last))
    }

    @Test func sentAgainForTheNextRequest() {
        var c = HTTPServerConnection()
        c.receive(head)
        #expect(isContinue(c.next()))
        c.receive("hello" + head)
        #expect(requestOf(c.next()) != nil)
        c.responseCompleted(keepAlive: true)
        #expect(isContinue(c.next()))
        #expect(isNeedMoreData(c.next()))
    }

    @Test func notSentAfterEOF() {
        var c = HTTPServerConnection()
        c.receive(head)
        c.receiveEOF()
        #expect(isClose(c.next()))
    }
}
