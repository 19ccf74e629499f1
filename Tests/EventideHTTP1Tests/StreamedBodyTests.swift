import EventideHTTP1
import Testing

/// `announcesHeads` and `streamBody()`: a body delivered in parts as it arrives, and the
/// rest of it discarded when the response came first.
@Suite struct StreamedBodyTests {
    /// What `next()` returned until it needed input, waited or closed, as text.
    static func drain(_ machine: inout HTTPServerConnection, streaming: Bool = true) -> [String] {
        var seen: [String] = []
        while true {
            switch machine.next() {
            case .needMoreData: return seen + ["need"]
            case .awaitingResponse: return seen + ["awaiting"]
            case .close: return seen + ["close"]
            case .sendContinue: seen.append("continue")
            case .headWithBody:
                seen.append("head \(machine.announcedHead?.target ?? "?")")
                if streaming { machine.streamBody() }
            case .bodyPart: seen.append("part \(string(machine.takeBodyPart()))")
            case .bodyEnd: seen.append("end \(machine.takeTrailers().map { "\($0.name)=\($0.value)" }.joined(separator: ","))")
            case .request(let request): seen.append("request \(request.head.target) \(string(request.body))")
            case .reject(let error): return seen + ["reject \(error.status.code)"]
            }
        }
    }

    static func feed(_ machine: inout HTTPServerConnection, _ text: String) {
        Array(text.utf8).withUnsafeBytes { machine.receive($0) }
    }

    @Test func aBodyArrivesInPartsThenTheRequestIsAnswered() {
        var machine = HTTPServerConnection()
        machine.announcesHeads = true
        Self.feed(&machine, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel")
        #expect(Self.drain(&machine) == ["head /up", "part hel", "need"])
        #expect(machine.isStreamingBody && machine.isReadingBody)
        Self.feed(&machine, "lo")
        #expect(Self.drain(&machine) == ["part lo", "need"])
        Self.feed(&machine, "world" + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(Self.drain(&machine) == ["part world", "end ", "awaiting"])
        #expect(!machine.isStreamingBody)
        machine.responseCompleted(keepAlive: true)
        #expect(Self.drain(&machine) == ["request /next ", "awaiting"])
    }

    @Test func chunkedPartsAreDechunkedAndTrailersArrive() {
        var machine = HTTPServerConnection()
        machine.announcesHeads = true
        Self.feed(&machine, "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n")
        #expect(Self.drain(&machine) == ["head /c", "part abc", "part de", "end X-Sum=5", "awaiting"])
    }

    @Test func withoutStreamBodyTheBodyIsAggregatedAsBefore() {
        var machine = HTTPServerConnection()
        machine.announcesHeads = true
        Self.feed(&machine, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz")
        #expect(Self.drain(&machine, streaming: false) == ["head /a", "request /a xyz", "awaiting"])
        // Requests without a body are never announced.
        machine.responseCompleted(keepAlive: true)
        Self.feed(&machine, "GET /b HTTP/1.1\r\nHost: a\r\n\r\nPOST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(Self.drain(&machine) == ["request /b ", "awaiting"])
        machine.responseCompleted(keepAlive: true)
        #expect(Self.drain(&machine) == ["request /c ", "awaiting"])
        // Off (the default): nothing is announced.
        var plain = HTTPServerConnection()
        Self.feed(&plain, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz")
        #expect(Self.drain(&plain) == ["request /a xyz", "awaiting"])
    }

    @Test func answeredEarlyTheRestOfTheBodyIsDiscardedThenTheNextRequestIsRead() {
        var machine = HTTPServerConnection()
        machine.announcesHeads = true
        Self.feed(&machine, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\nab")
        #expect(Self.drain(&machine) == ["head /up", "part ab", "need"])
        machine.responseCompleted(keepAlive: true)
        Self.feed(&machine, "cdef")
        #expect(Self.drain(&machine) == ["need"])
        Self.feed(&machine, "ghGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(Self.drain(&machine) == ["request /next ", "awaiting"])
    }

    @Test func answeredEarlyWithoutKeepAliveCloses() {
        var machine = HTTPServerConnection()
        machine.announcesHeads = true
        Self.feed(&machine, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\nab")
        _ = Self.drain(&machine)
        machine.responseCompleted(keepAlive: false)
        #expect(Self.drain(&machine) == ["close"])
    }

    @Test func aClientWaitingForContinueGetsItOnlyWhileTheBodyIsWanted() {
        var machine = HTTPServerConnection()
        machine.announcesHeads = true
        Self.feed(&machine, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        #expect(Self.drain(&machine) == ["head /up", "continue", "need"])
        Self.feed(&machine, "data")
        #expect(Self.drain(&machine) == ["part data", "end ", "awaiting"])

        // Answered before the continue: the client may never send the body, so close.
        var early = HTTPServerConnection()
        early.announcesHeads = true
        Self.feed(&early, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        #expect(early.next().isHead)
        early.streamBody()
        early.responseCompleted(keepAlive: true)
        #expect(Self.drain(&early) == ["close"])
    }

    @Test func aBadChunkOrAnEndOfInputMidBodyEndsTheConnection() {
        var machine = HTTPServerConnection()
        machine.announcesHeads = true
        Self.feed(&machine, "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n")
        #expect(Self.drain(&machine) == ["head /c", "part abc", "reject 400"])

        var cut = HTTPServerConnection()
        cut.announcesHeads = true
        Self.feed(&cut, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\nab")
        _ = Self.drain(&cut)
        cut.receiveEOF()
        #expect(Self.drain(&cut) == ["close"])
    }

    @Test func theBodyLimitStillHolds() {
        var machine = HTTPServerConnection(limits: HTTPLimits(maxBodyBytes: 4))
        machine.announcesHeads = true
        Self.feed(&machine, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde")
        #expect(Self.drain(&machine) == ["reject 413"])
    }
}

extension HTTPServerConnection.Action {
    var isHead: Bool {
        if case .headWithBody = self { return true }
        return false
    }
}
