// libFuzzer entry point for HTTP1's HTTPServerConnection (and so HTTPRequestParser).
//
// Input layout: 4 control bytes, then the payload fed to the connection.
//   c0  limits: bits 0-1 maxHeaderBytes, 2-3 maxRequestLineLength, 4-5 maxHeaderCount,
//       6-7 maxBodyBytes (index 0 of each table is the default limit)
//   c1  bits 0-2 number of split points, bit 3 byte-by-byte feeding (payload <= 4 KiB),
//       bit 4 no EOF at the end, bit 5 tiny maxBufferedInputBytes
//   c2  seed of the split positions
//   c3  seed of the response policy (bit 7 set: some responses end with keepAlive: false)
// Inputs shorter than 4 bytes are fed with all-zero controls.
//
// Checked invariants (any violation aborts with a message, which libFuzzer reports as a crash):
//   - after .reject, after .close and after responseCompleted(keepAlive: false) only .close;
//   - .request only while no response is pending; .awaitingResponse only while one is;
//   - .sendContinue at most once per request, only for HTTP/1.1 requests with
//     Expect: 100-continue and a non-empty body framing;
//   - request bodies never exceed maxBodyBytes and match their framing; header names and values
//     are valid field names / values; trailers only on chunked requests;
//   - consumed bytes (received - buffered) never decrease, never exceed what was received, and
//     cover at least the bodies returned;
//   - .close only after EOF, a reject or keepAlive: false; wantsRead is false once closed;
//   - differential: the same bytes fed in one piece (every response keep-alive) give the same
//     requests and the same rejection status (a prefix when a response closed early).
import EventideHTTP1

@inline(never)
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        print("HTTP1Fuzzer invariant violated: \(message())")
        fatalError(message())
    }
}

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func limits(from c0: UInt8, tinyBuffer: Bool) -> HTTPLimits {
    let headerBytes = [16 * 1024, 24, 64, 300]
    let requestLine = [8 * 1024, 8, 20, 64]
    let headerCount = [100, 0, 1, 4]
    let bodyBytes = [8 * 1024 * 1024, 0, 7, 300]
    return HTTPLimits(
        maxRequestLineLength: requestLine[Int((c0 >> 2) & 3)],
        maxHeaderBytes: headerBytes[Int(c0 & 3)],
        maxHeaderCount: headerCount[Int((c0 >> 4) & 3)],
        maxBodyBytes: bodyBytes[Int((c0 >> 6) & 3)],
        maxBufferedInputBytes: tinyBuffer ? 16 : 64 * 1024
    )
}

/// What a run produced, for the differential check.
struct Result {
    var requests: [HTTPParsedRequest] = []
    var rejectStatus: Int?
    var closedEarly = false
}

/// Drives one connection over `chunks`, checking every invariant along the way.
struct Driver {
    let limits: HTTPLimits
    var connection: HTTPServerConnection
    var policy: SplitMix64?
    var result = Result()

    var received = 0
    var consumed = 0
    var bodyBytes = 0
    var pending = false
    var deferred = false
    var closeExpected = false  // reject or keepAlive: false seen
    var closed = false
    var eofSent = false
    var continuesForRequest = 0

    init(limits: HTTPLimits, policy: SplitMix64?) {
        self.limits = limits
        self.connection = HTTPServerConnection(limits: limits)
        self.policy = policy
    }

    mutating func checkAccounting() {
        let buffered = connection.bufferedByteCount
        check(buffered >= 0 && buffered <= received, "buffered \(buffered) of \(received) received")
        let nowConsumed = received - buffered
        check(nowConsumed >= consumed, "consumed went back from \(consumed) to \(nowConsumed)")
        consumed = nowConsumed
        check(bodyBytes <= consumed, "\(bodyBytes) body bytes but only \(consumed) consumed")
        if closed || closeExpected {
            check(!connection.wantsRead, "wantsRead after close")
        }
        if eofSent { check(!connection.wantsRead, "wantsRead after EOF") }
    }

    mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        connection.receive(bytes)
        if !closed && !closeExpected && !eofSent { received += bytes.count }
        checkAccounting()
        if deferred {
            deferred = false
            complete(keepAlive: true)
        }
        drain()
    }

    mutating func complete(keepAlive: Bool) {
        check(pending, "completing without a pending request")
        pending = false
        connection.responseCompleted(keepAlive: keepAlive)
        if !keepAlive {
            closeExpected = true
            result.closedEarly = true
        }
    }

    mutating func drain() {
        var steps = 0
        var previousWasContinue = false
        while true {
            steps += 1
            check(steps < 100_000, "next() loop does not terminate")
            let action = connection.next()
            checkAccounting()
            if closeExpected || closed {
                guard case .close = action else {
                    check(false, "\(action) after reject/close/keepAlive:false")
                    return
                }
                closed = true
                return
            }
            switch action {
            case .needMoreData:
                check(!pending, ".needMoreData while a response is pending")
                return
            case .awaitingResponse:
                check(pending, ".awaitingResponse without a pending request")
                return
            case .sendContinue:
                check(!pending, ".sendContinue while a response is pending")
                check(!previousWasContinue, "two .sendContinue in a row")
                continuesForRequest += 1
                check(continuesForRequest == 1, "more than one .sendContinue for one request")
                previousWasContinue = true
            case .request(let request):
                previousWasContinue = false
                check(!pending, ".request while a response is pending")
                validate(request)
                result.requests.append(request)
                bodyBytes += request.body.count
                checkAccounting()
                continuesForRequest = 0
                pending = true
                respond()
                if pending { continue }  // deferred: next() must say .awaitingResponse
            case .reject(let error):
                check(!pending, ".reject while a response is pending")
                check(
                    [400, 413, 414, 431, 411, 501, 505].contains(error.status.code),
                    "unexpected reject status \(error.status.code)")
                result.rejectStatus = error.status.code
                closeExpected = true
                check(!connection.wantsRead, "wantsRead after reject")
                // Further input must be ignored.
                [UInt8]("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8).withUnsafeBytes {
                    connection.receive($0)
                }
                connection.responseCompleted(keepAlive: true)
                check(connection.bufferedByteCount == 0, "input buffered after reject")
            case .close:
                check(eofSent, ".close without EOF, reject or keepAlive: false")
                closed = true
                check(!connection.wantsRead, "wantsRead after close")
                return
            }
        }
    }

    mutating func respond() {
        guard var rng = policy else {
            complete(keepAlive: true)
            return
        }
        let choice = rng.next()
        policy = rng
        switch choice & 7 {
        case 0, 1:
            deferred = true  // completed after the next receive (or at the end)
        case 2 where choice & 0x80 != 0:
            complete(keepAlive: false)
        default:
            complete(keepAlive: true)
        }
    }

    func validate(_ request: HTTPParsedRequest) {
        check(request.body.count <= limits.maxBodyBytes, "body \(request.body.count) > limit")
        switch request.head.framing {
        case .none:
            check(request.body.isEmpty, "body without framing")
        case .contentLength(let n):
            check(request.body.count == n, "body \(request.body.count) != Content-Length \(n)")
        case .chunked:
            check(request.head.version.hasHTTP11Semantics, "chunked HTTP/1.0")
        }
        if request.head.framing != .chunked {
            check(request.trailers.isEmpty, "trailers without chunked framing")
        }
        if continuesForRequest > 0 {
            check(request.head.expectsContinue, "100-continue without Expect")
            check(
                request.head.framing != .none && request.head.framing != .contentLength(0),
                "100-continue for a request without body")
        }
        check(request.head.version.major == 1, "version \(request.head.version)")
        check(!request.head.method.rawValue.isEmpty, "empty method")
        check(!request.head.target.isEmpty, "empty target")
        check(request.head.headers.count <= limits.maxHeaderCount, "too many headers")
        check(request.trailers.count <= limits.maxHeaderCount, "too many trailers")
        for (name, value) in request.head.headers {
            check(HTTPFieldValidation.isValidName(name), "invalid header name \(name)")
            check(HTTPFieldValidation.isValidValue(value), "invalid header value \(value)")
        }
        for (name, value) in request.trailers {
            check(HTTPFieldValidation.isValidName(name), "invalid trailer name \(name)")
            check(HTTPFieldValidation.isValidValue(value), "invalid trailer value \(value)")
        }
        let contentLengths = request.head.headers["content-length"]
        let transferEncodings = request.head.headers["transfer-encoding"]
        check(contentLengths.isEmpty || transferEncodings.isEmpty, "both CL and TE accepted")
    }

    /// EOF (unless disabled), then answers whatever is still pending.
    mutating func finish(eof: Bool) {
        if eof {
            connection.receiveEOF()
            eofSent = true
            checkAccounting()
        }
        if deferred {
            deferred = false
            complete(keepAlive: true)
        }
        drain()
        var rounds = 0
        while pending {
            rounds += 1
            check(rounds < 100_000, "pending requests never end")
            deferred = false
            complete(keepAlive: true)
            drain()
        }
        if !eof && !closed && !closeExpected {
            // Without EOF the connection just waits for input.
            if case .needMoreData = connection.next() {} else {
                check(false, "expected .needMoreData at the end without EOF")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let all = UnsafeRawBufferPointer(start: data, count: size)
    let controls: [UInt8] = size >= 4 ? Array(all[0..<4]) : [0, 0, 0, 0]
    let payload = size >= 4 ? UnsafeRawBufferPointer(rebasing: all[4...]) : all
    let (c0, c1, c2, c3) = (controls[0], controls[1], controls[2], controls[3])
    let eof = c1 & 0x10 == 0
    let limits = limits(from: c0, tinyBuffer: c1 & 0x20 != 0)

    // Reference: one piece, every response keep-alive.
    var reference = Driver(limits: limits, policy: nil)
    reference.receive(payload)
    reference.finish(eof: eof)

    // Split at positions derived from c1/c2 (or byte by byte), responses per c3.
    var cuts: [Int] = []
    if c1 & 0x08 != 0 && payload.count <= 4096 {
        cuts = Array(0...payload.count)
    } else {
        var rng = SplitMix64(state: UInt64(c2) &* 0x1_0000_0001 &+ UInt64(payload.count))
        cuts = [0, payload.count]
        if payload.count > 0 {
            for _ in 0..<Int(c1 & 7) { cuts.append(Int(rng.next() % UInt64(payload.count + 1))) }
        }
        cuts.sort()
    }
    var split = Driver(limits: limits, policy: SplitMix64(state: UInt64(c3) | UInt64(c2) << 8))
    for (from, to) in zip(cuts, cuts.dropFirst()) {
        split.receive(UnsafeRawBufferPointer(rebasing: payload[from..<to]))
        if split.closed { break }
    }
    split.finish(eof: eof)

    // Differential check.
    let r = reference.result
    let s = split.result
    check(!r.closedEarly, "reference closed early")
    if s.closedEarly {
        check(s.rejectStatus == nil, "reject after keepAlive: false")
        check(s.requests.count <= r.requests.count, "more requests than the reference")
        for (a, b) in zip(s.requests, r.requests) {
            check(a == b, "split request differs:\n\(a)\nvs reference\n\(b)")
        }
    } else {
        check(
            s.requests.count == r.requests.count,
            "split gave \(s.requests.count) requests, reference \(r.requests.count)")
        for (a, b) in zip(s.requests, r.requests) {
            check(a == b, "split request differs:\n\(a)\nvs reference\n\(b)")
        }
        check(
            s.rejectStatus == r.rejectStatus,
            "split rejected with \(String(describing: s.rejectStatus)), reference \(String(describing: r.rejectStatus))")
    }
    return 0
}

// SwiftPM links executables with `--defsym main=HTTP1Fuzzer_main` (so tests can link them),
// which hides libFuzzer's own `main`; this entry point hands control to libFuzzer's driver.
// scripts/fuzz.sh builds with `-DFUZZING -sanitize=fuzzer,address`; without FUZZING (e.g. in
// `swift test --package-path Fuzz`) the executable just runs the files named on its command
// line through the harness, which reproduces a crasher without libFuzzer.
#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("HTTP1Fuzzer_main")
func fuzzerMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
}
#else
@_silgen_name("fopen") func c_fopen(_ path: UnsafePointer<CChar>, _ mode: UnsafePointer<CChar>) -> OpaquePointer?
@_silgen_name("fread") func c_fread(_ buffer: UnsafeMutableRawPointer, _ size: Int, _ count: Int, _ file: OpaquePointer) -> Int
@_silgen_name("fclose") func c_fclose(_ file: OpaquePointer) -> Int32

@_cdecl("HTTP1Fuzzer_main")
func reproducerMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guard let argv else { return 2 }
    for index in 1..<Int(argc) {
        guard let path = argv[index], let file = c_fopen(path, "rb") else { return 2 }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { c_fread($0.baseAddress!, 1, $0.count, file) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        _ = c_fclose(file)
        _ = bytes.withUnsafeBufferPointer { buffer in
            fuzzOneInput(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
        }
        print("ok: \(String(cString: path))")
    }
    return 0
}
#endif
