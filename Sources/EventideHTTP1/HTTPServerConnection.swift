/// The sans-IO server side of one HTTP/1.1 connection: buffers input, parses requests one at a
/// time (pipelined requests wait until the previous response is completed), aggregates bodies
/// and tells the caller what to do next.
///
/// Typical loop: on readable data call ``receive(_:)``, then call ``next()`` and act on the
/// result until it returns ``Action/needMoreData``, ``Action/awaitingResponse`` or
/// ``Action/close``. After writing a response call ``responseCompleted(keepAlive:)`` and call
/// ``next()`` again, since further requests may already be buffered.
///
/// Streamed bodies: with ``announcesHeads`` set, a request with a body is first announced by
/// ``Action/headWithBody``. Calling ``streamBody()`` then delivers its body as it arrives
/// (``Action/bodyPart``, then ``Action/bodyEnd``) instead of aggregating it into
/// ``Action/request(_:)``. The response may be completed before the body ended: the rest of
/// the body is then read and discarded before the next request.
public struct HTTPServerConnection {
    /// What the caller should do next.
    public enum Action: Sendable {
        /// Read more input.
        case needMoreData
        /// Write ``HTTPResponseSerializer/continueResponse`` now, then read more input. Emitted at
        /// most once per request: HTTP/1.1 with `Expect: 100-continue` whose body is expected
        /// but not yet fully received (and within limits).
        case sendContinue
        /// A complete request with its body aggregated. Answer it, then call
        /// ``HTTPServerConnection/responseCompleted(keepAlive:)``.
        case request(HTTPParsedRequest)
        /// A request is being answered; nothing to do until the response is completed.
        case awaitingResponse
        /// The input is malformed: write an error response with `error.status` and
        /// `Connection: close`, then close. Afterwards only ``close`` is returned.
        case reject(HTTPParseError)
        /// Close the connection (after flushing pending output).
        case close
        // The streaming cases carry no payload: with three more payload cases every copy
        // and destruction of an action went through slower value-witness paths, about 750
        // instructions more per plaintext request (Benchmarks/instructions.py).
        /// With ``HTTPServerConnection/announcesHeads``: the head of a request whose body is
        /// still to come is ``HTTPServerConnection/announcedHead``. Call
        /// ``HTTPServerConnection/streamBody()`` before the next ``HTTPServerConnection/next()``
        /// to receive the body in parts; otherwise it is aggregated into ``request(_:)``.
        case headWithBody
        /// The next part of a streamed body (de-chunked, in order) is ready:
        /// ``HTTPServerConnection/takeBodyPart()``.
        case bodyPart
        /// The streamed body ended (the trailers of a chunked body:
        /// ``HTTPServerConnection/takeTrailers()``). Answer the request, if not answered yet,
        /// as after ``request(_:)``.
        case bodyEnd
    }

    /// Whether requests with a body are announced by ``Action/headWithBody`` so that their body
    /// can be streamed. Default false.
    public var announcesHeads = false

    @usableFromInline enum Phase {
        case reading
        case awaitingResponse
        case closed
    }

    // The state the inlinable queries read is `@usableFromInline`: a non-inlined getter on
    // a struct stored in a class copies the whole struct (a retain per buffer and field).
    @usableFromInline let limits: HTTPLimits
    private var parser: HTTPRequestParser
    @usableFromInline var buffer: [UInt8] = []
    // Start of unconsumed input; the buffer is compacted lazily instead of on every request.
    @usableFromInline var readIndex = 0
    @usableFromInline var phase = Phase.reading
    @usableFromInline var receivedEOF = false
    @usableFromInline var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var continueSent = false
    /// The current request's body is delivered in parts (``streamBody()``).
    private var streaming = false
    /// The trailers of the streamed body that just ended.
    private var streamedTrailers = HTTPHeaders()
    /// The response to a request whose body is still streaming was completed (keep-alive):
    /// the rest of the body is read and discarded, then the next request is parsed.
    private var discardingBody = false

    /// Creates a connection state machine enforcing `limits`.
    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
        self.parser = HTTPRequestParser(limits: limits)
    }

    /// Appends received bytes to the input buffer (one copy). Ignored after the connection
    /// was rejected or closed, or after EOF.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        guard phase != .closed, !receivedEOF, !bytes.isEmpty else { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Records that the peer half-closed. Complete requests already buffered are still
    /// answered; a partial request is dropped and the connection closes.
    public mutating func receiveEOF() {
        receivedEOF = true
    }

    /// Advances the state machine and returns the next action.
    public mutating func next() -> Action {
        switch phase {
        case .closed: return .close
        case .awaitingResponse: return .awaitingResponse
        case .reading: break
        }
        // The input is moved out while it is parsed (no exclusivity conflict with `self`,
        // no retain of the buffer) and moved back unless parsing closed the connection.
        var input: [UInt8] = []
        swap(&input, &buffer)
        let action = input.withUnsafeBytes { raw in parseAvailable(raw) }
        if phase != .closed { swap(&input, &buffer) }
        compact()
        return action
    }

    private mutating func parseAvailable(_ raw: UnsafeRawBufferPointer) -> Action {
        while true {
            let input = UnsafeRawBufferPointer(rebasing: raw[readIndex...])
            let event: HTTPRequestParser.RawEvent?
            let consumed: Int
            do {
                (event, consumed) = try parser.parseRaw(input)
            } catch {
                close()
                return .reject(error)
            }
            readIndex &+= consumed
            switch consume event {
            case nil:
                if receivedEOF {
                    close()
                    return .close
                }
                // No 100 Continue once the request was answered: the client may then skip the body.
                if let head, head.expectsContinue, !continueSent, !discardingBody {
                    continueSent = true
                    return .sendContinue
                }
                return .needMoreData
            case .head(let newHead):
                let announce = announcesHeads && newHead.framing.hasBody
                // Reserving 0 (a POST with `Content-Length: 0`) still took the reallocation path.
                if !announce, case .contentLength(let length) = newHead.framing, length > 0 {
                    body.reserveCapacity(length)
                }
                head = newHead
                if announce { return .headWithBody }
            case .body(let range):
                if streaming {
                    if !discardingBody {
                        body = Array(UnsafeRawBufferPointer(rebasing: input[range]))
                        return .bodyPart
                    }
                } else {
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[range]))
                }
            case .end(let trailers):
                continueSent = false
                if streaming {
                    streaming = false
                    head = nil
                    guard discardingBody else {
                        phase = .awaitingResponse
                        streamedTrailers = trailers
                        return .bodyEnd
                    }
                    // Already answered: on to the next request.
                    discardingBody = false
                    continue
                }
                // `head` is always set here: the parser emits .head before .end.
                let request = HTTPParsedRequest(head: head.take()!, body: body, trailers: trailers)
                body = []
                phase = .awaitingResponse
                return .request(request)
            }
        }
    }

    /// Marks the response to the current request as fully queued. With `keepAlive == false`
    /// every later ``next()`` returns ``Action/close``; otherwise the next buffered request
    /// (if any) is parsed by the following ``next()``. The caller decides `keepAlive`, normally
    /// from ``HTTPRequestHead/keepAlive`` and its own policy.
    public mutating func responseCompleted(keepAlive: Bool) {
        guard phase == .awaitingResponse else {
            if streaming, phase == .reading, !discardingBody { answeredBeforeBodyEnded(keepAlive: keepAlive) }
            return
        }
        if keepAlive {
            phase = .reading
        } else {
            close()
        }
    }

    /// The head of the request announced by ``Action/headWithBody``.
    public var announcedHead: HTTPRequestHead? { head }

    /// The body part announced by ``Action/bodyPart`` (empty when there is none).
    public mutating func takeBodyPart() -> [UInt8] {
        guard streaming else { return [] }
        defer { body = [] }
        return body
    }

    /// The trailers of the streamed body announced ended by ``Action/bodyEnd``.
    public mutating func takeTrailers() -> HTTPHeaders {
        defer { streamedTrailers = HTTPHeaders() }
        return streamedTrailers
    }

    /// Answered before its body ended. A client that waits for 100 Continue may never send
    /// the body: close rather than wait for it.
    @inline(never)
    private mutating func answeredBeforeBodyEnded(keepAlive: Bool) {
        if !keepAlive || (head?.expectsContinue == true && !continueSent) {
            close()
        } else {
            discardingBody = true
        }
    }

    /// Delivers the body of the request just announced by ``Action/headWithBody`` in parts.
    public mutating func streamBody() {
        guard phase == .reading, head != nil else { return }
        streaming = true
    }

    /// Whether the current request's body is being streamed and has not ended.
    public var isStreamingBody: Bool { phase == .reading && streaming }

    /// Whether the caller should keep reading from the socket: false after EOF, after a
    /// reject or close, and while a response is pending with more than
    /// ``HTTPLimits/maxBufferedInputBytes`` of unparsed input buffered (backpressure).
    @inlinable @inline(__always) public var wantsRead: Bool {
        switch phase {
        case .closed: false
        case .reading: !receivedEOF
        case .awaitingResponse: !receivedEOF && bufferedByteCount <= limits.maxBufferedInputBytes
        }
    }

    /// Bytes received but not yet consumed by the parser.
    @inlinable @inline(__always) public var bufferedByteCount: Int { buffer.count &- readIndex }

    /// Whether no request is in progress or awaiting a response and no input is buffered —
    /// the connection can be closed without losing anything.
    @inlinable @inline(__always) public var isIdle: Bool {
        guard phase == .reading, bufferedByteCount == 0 else { return false }
        // A case test reads the tag in place; `head == nil` copied the whole head.
        if case .none = head { return true }
        return false
    }

    /// Whether a request's head has been parsed and its body is still arriving (as opposed
    /// to a head still being received). Used to pick the header or body read timeout.
    @inlinable @inline(__always) public var isReadingBody: Bool {
        guard phase == .reading else { return false }
        if case .some = head { return true }
        return false
    }

    private mutating func close() {
        phase = .closed
        buffer = []
        readIndex = 0
        head = nil
        body = []
        streaming = false
        discardingBody = false
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            // Give back memory left over from an unusually large burst.
            if buffer.capacity > 4 &* max(limits.maxBufferedInputBytes, 16 * 1024) {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            readIndex = 0
        } else if readIndex > buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
