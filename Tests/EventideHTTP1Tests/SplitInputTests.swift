import EventideHTTP1
import Testing

/// Every valid request must parse identically however the input is split.
@Suite struct SplitInputTests {
    static let samples: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "\r\nGET /path/to/resource?x=1&y=2 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nX-Empty:\r\n\r\n",
        "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhello, world!",
        "POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\"v;1\"\r\nhello\r\n1A ; big\r\nabcdefghijklmnopqrstuvwxyz\r\n0;end\r\nX-Sum: 42\r\nX-More: yes\r\n\r\n",
        "PUT /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ndata",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ]

    /// Parses `parts` fed one after another, answering requests as they come.
    static func feed(_ parts: [ArraySlice<UInt8>]) -> Outcome {
        var connection = HTTPServerConnection()
        var outcome = Outcome()
        for part in parts {
            connection.receive(Array(part))
            drain(&connection, into: &outcome)
            if outcome.error != nil { break }
        }
        return outcome
    }

    @Test(arguments: samples.indices)
    func everySplitPointGivesTheSameRequest(index: Int) throws {
        let bytes = Array(Self.samples[index].utf8)
        let reference = Self.feed([bytes[...]])
        #expect(reference.error == nil)
        let expected = try #require(reference.requests.first)
        #expect(reference.requests.count == 1)
        for split in 0...bytes.count {
            let outcome = Self.feed([bytes[..<split], bytes[split...]])
            #expect(outcome.error == nil, "split at \(split)")
            #expect(outcome.requests == [expected], "split at \(split)")
            #expect(outcome.continues <= 1, "split at \(split)")
        }
    }

    @Test(arguments: samples.indices)
    func byteByByteGivesTheSameRequest(index: Int) throws {
        let bytes = Array(Self.samples[index].utf8)
        let expected = try #require(Self.feed([bytes[...]]).requests.first)
        let outcome = Self.feed(bytes.indices.map { bytes[$0...$0] })
        #expect(outcome.error == nil)
        #expect(outcome.requests == [expected])
        let expectsContinue = expected.head.expectsContinue
        #expect(outcome.continues == (expectsContinue ? 1 : 0))
    }

    @Test func allSamplesPipelinedByteByByte() throws {
        let all = Array(Self.samples.joined().utf8)
        let whole = Self.feed([all[...]])
        #expect(whole.requests.count == Self.samples.count)
        let pieces = Self.feed(all.indices.map { all[$0...$0] })
        #expect(pieces.requests == whole.requests)
    }

    @Test func expectedValuesOfSamples() throws {
        let chunked = try #require(Self.feed([Array(Self.samples[3].utf8)[...]]).requests.first)
        #expect(string(chunked.body) == "helloabcdefghijklmnopqrstuvwxyz")
        #expect(chunked.trailers == ["X-Sum": "42", "X-More": "yes"])
        let several = try #require(Self.feed([Array(Self.samples[1].utf8)[...]]).requests.first)
        #expect(several.head.headers.count == 6)
        #expect(several.head.headers.first(name: "user-agent") == "Mozilla/5.0 (X11; Linux x86_64)")
        #expect(several.head.target == "/path/to/resource?x=1&y=2")
    }
}
