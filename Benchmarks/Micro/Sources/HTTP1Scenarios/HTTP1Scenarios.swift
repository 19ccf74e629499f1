import EventideHTTP1
import HTTPTypes

/// A measured operation: `prepare` runs once, outside the measurement, and returns the
/// operation, which the benchmarks (and `micro-probe`) call repeatedly. The result is
/// only there to be black-holed.
public struct Scenario: Sendable {
    public let name: String
    public let prepare: @Sendable () throws -> () -> Int

    public init(_ name: String, prepare: @escaping @Sendable () throws -> () -> Int) {
        self.name = name
        self.prepare = prepare
    }
}

/// Request bytes shared by the scenarios.
public enum Requests {
    /// wrk's request for `GET /plaintext`.
    public static let wrkGet = Array("GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n".utf8)

    /// A browser-like GET with 8 header fields.
    public static let browserGet = Array(
        """
        GET /users/42?tab=profile HTTP/1.1\r
        Host: example.com\r
        User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r
        Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r
        Accept-Language: en-US,en;q=0.5\r
        Accept-Encoding: gzip, deflate, br, zstd\r
        Connection: keep-alive\r
        Cookie: session=4f2a9c1e7b3d4e5f; theme=dark\r
        Upgrade-Insecure-Requests: 1\r
        \r

        """.utf8)
}

/// (a) parsing through `HTTPServerConnection` and (c) serialization.
public enum HTTP1Scenarios {
    public static let all: [Scenario] = [
        parse("Parse wrk GET /plaintext", Requests.wrkGet),
        parse("Parse browser GET (8 headers)", Requests.browserGet),
        serializePlaintext,
    ]

    /// One keep-alive request as the server handles it: receive → next (the request) →
    /// responseCompleted → next (needMoreData).
    static func parse(_ name: String, _ input: [UInt8]) -> Scenario {
        Scenario(name) {
            final class State {
                var connection = HTTPServerConnection()
            }
            let state = State()
            let operation = {
                input.withUnsafeBytes { bytes in
                    state.connection.receive(bytes)
                    guard case .request(let request) = state.connection.next() else { fatalError("expected a request") }
                    state.connection.responseCompleted(keepAlive: true)
                    guard case .needMoreData = state.connection.next() else { fatalError("expected needMoreData") }
                    return request.head.headers.count
                }
            }
            _ = operation()  // the input buffer's first growth is not per request
            return operation
        }
    }

    /// `appendHead` + body for the /plaintext response, as `HTTPConnectionHandler.send`
    /// writes it, into a reused buffer.
    static let serializePlaintext = Scenario("Serialize plaintext response") {
        final class State {
            var buffer: [UInt8] = []
        }
        let state = State()
        state.buffer.reserveCapacity(4096)
        let headers: HTTPFields = [.contentType: "text/plain"]
        let body = Array("Hello, World!".utf8)
        let date = HTTPDate.imfFixdate(secondsSince1970: 1_700_000_000)
        return {
            HTTPResponseSerializer.appendHead(
                status: .ok, headers: headers, contentLength: body.count, chunked: false,
                keepAlive: true, requestVersion: .http1_1, date: date, into: &state.buffer)
            state.buffer.append(contentsOf: body)
            let count = state.buffer.count
            state.buffer.removeAll(keepingCapacity: true)
            return count
        }
    }
}
