import Testing
import EventideHTTP1

extension HTTPServerConnection {
    mutating func receive(_ string: String) {
        receive(Array(string.utf8))
    }

    mutating func receive(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { receive($0) }
    }
}

/// Outcome of feeding input to a fresh connection until it stops producing requests.
struct Outcome {
    var requests: [HTTPParsedRequest] = []
    var error: HTTPParseError?
    var continues = 0
    var last: HTTPServerConnection.Action?
}

/// Feeds `input` to a connection and answers every request with keep-alive.
func run(_ input: String, limits: HTTPLimits = .init(), eof: Bool = false) -> Outcome {
    run(Array(input.utf8), limits: limits, eof: eof)
}

func run(_ input: [UInt8], limits: HTTPLimits = .init(), eof: Bool = false) -> Outcome {
    var connection = HTTPServerConnection(limits: limits)
    connection.receive(input)
    if eof { connection.receiveEOF() }
    var outcome = Outcome()
    drain(&connection, into: &outcome)
    return outcome
}

/// Calls `next()` until the connection needs input, closes or rejects.
func drain(_ connection: inout HTTPServerConnection, into outcome: inout Outcome) {
    var previousWasContinue = false
    while true {
        let action = connection.next()
        outcome.last = action
        switch action {
        case .request(let request):
            outcome.requests.append(request)
            connection.responseCompleted(keepAlive: true)
            previousWasContinue = false
        case .sendContinue:
            outcome.continues += 1
            // Two in a row is a bug; stop rather than spin so the test fails.
            if previousWasContinue { return }
            previousWasContinue = true
        case .reject(let error):
            outcome.error = error
            return
        case .needMoreData, .awaitingResponse, .close:
            return
        case .headWithBody, .bodyPart, .bodyEnd:
            // Only with `announcesHeads`, which these helpers never set.
            Issue.record("a streamed-body action without announcesHeads: \(action)")
            return
        }
    }
}

/// The single request parsed from `input`, or nil.
func request(_ input: String, limits: HTTPLimits = .init()) -> HTTPParsedRequest? {
    let outcome = run(input, limits: limits)
    return outcome.requests.count == 1 && outcome.error == nil ? outcome.requests[0] : nil
}

/// The status code `input` is rejected with, or nil when accepted.
func rejection(_ input: String, limits: HTTPLimits = .init()) -> Int? {
    run(input, limits: limits).error?.status.code
}

func rejection(_ input: [UInt8], limits: HTTPLimits = .init()) -> Int? {
    run(input, limits: limits).error?.status.code
}

/// Wraps header lines into a minimal HTTP/1.1 GET.
func get(_ headerLines: String = "") -> String {
    "GET / HTTP/1.1\r\nHost: example.com\r\n" + headerLines + "\r\n"
}

func isNeedMoreData(_ action: HTTPServerConnection.Action?) -> Bool {
    if case .needMoreData = action { return true }
    return false
}

func isClose(_ action: HTTPServerConnection.Action?) -> Bool {
    if case .close = action { return true }
    return false
}

func isAwaiting(_ action: HTTPServerConnection.Action?) -> Bool {
    if case .awaitingResponse = action { return true }
    return false
}

func isContinue(_ action: HTTPServerConnection.Action?) -> Bool {
    if case .sendContinue = action { return true }
    return false
}

func requestOf(_ action: HTTPServerConnection.Action?) -> HTTPParsedRequest? {
    if case .request(let request) = action { return request }
    return nil
}

func rejectOf(_ action: HTTPServerConnection.Action?) -> HTTPParseError? {
    if case .reject(let error) = action { return error }
    return nil
}

func string(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
}
