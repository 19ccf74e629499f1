import EventideHTTP1
import EventideUVLoop
import Logging

/// One connection's request path, written once: feeds the sans-IO HTTP state machine the
/// bytes its transport delivers, dispatches requests, serializes responses, hands the
/// background tasks over once their response's last byte was written, and decides when
/// to read and when to close. Loop-bound.
///
/// The transport is a socket for the server (`TCPConnection`), an in-memory pipe for
/// `TestClient` and the micro-benchmarks (`MemoryTransport`): the same code answers a
/// socket, a test and a benchmark, byte for byte. Generic rather than an existential, so the server's path is
/// specialized for `TCPConnection` with direct calls.
///
/// Responses produced while handling one read are collected in `outbound` and written
/// with a single write, so pipelined requests cost one syscall per batch. The buffer is
/// the loop's, borrowed for the batch (`borrowOutput()`, given back by `flush()`): an
/// idle keep-alive connection holds none.
package final class HTTPConnection<Transport: ConnectionTransport>: ServedConnection {
    enum Phase {
        /// Reading and answering requests.
        case active
        /// The last response is queued; waiting for it to flush before FIN.
        case closing
        /// FIN sent; discarding input until the peer closes or the linger timer fires.
        case lingering
        /// The handle is closed.
        case closed
    }

    package let id: UInt64
    // Strong: the core drops the connection when it closes, which ends the cycle; an
    // unowned reference cost a checked retain on every access.
    let core: ServerCore
    /// `core.loop`, held here too: read through `core` the loop was retained and released
    /// around every clock read.
    let loop: EventLoop
    let transport: Transport
    // why: loop-bound, and the sans-IO machine never calls back into the connection; exclusivity checks cost 5.9% instructions per plaintext request (Benchmarks/instructions.py).
    @exclusivity(unchecked) var machine: HTTPServerConnection
    // why: only this connection's methods touch it, on the loop, and pass it inout only to the serializer; exclusivity checks cost 5.7% instructions per plaintext request (Benchmarks/instructions.py).
    @exclusivity(unchecked) var outbound: [UInt8] = []
    var phase = Phase.active
    /// A request is being answered asynchronously (async handler or streamed body).
    var responding = false
    var processing = false
    var peerClosed = false
    /// Set by a graceful shutdown: the current response is the last one.
    var closeAfterResponse = false
    /// Transport clock times (ms) behind the timeouts: last input, start of the request being
    /// received, last progress of pending output, start of lingering.
    var lastReadAt: UInt64
    var lastActivityAt: UInt64
    var requestStartedAt: UInt64?
    var lastWriteProgressAt: UInt64
    var lingerStartedAt: UInt64 = 0
    /// Reuses the previous synchronous request's context when nothing kept it.
    // why: loop-bound like `machine`; exclusivity checks cost 0.89% instructions per plaintext request (Benchmarks/instructions.py).
    @exclusivity(unchecked) var contexts = RequestContextRecycler()
    /// Accepted beyond `maxConnections`: its first request is answered 503.
    let overCapacity: Bool
    /// Stream writes waiting for the client to read (a writer handed to other tasks may
    /// have several).
    var streamWaiters: [CheckedContinuation<Void, Never>] = []
    /// Schedules the streamed response's background tasks once the body ended.
    var streamCompleted: ((_ failed: Bool) -> Void)?
    /// Streamed responses started on this connection; the last one is current while
    /// `streamCompleted` is set.
    var streamsStarted: UInt64 = 0
    /// The streamed body of the request being answered (`body: .stream`), until it ended.
    // why: loop-bound like `machine`, and read on every response and read decision; exclusivity checks cost 0.4 checks per notification request (Benchmarks/instructions.py).
    @exclusivity(unchecked) var bodyChannel: RequestBodyChannel?
    /// Reading stopped because the handler has not taken what `bodyChannel` holds.
    // why: as `bodyChannel`.
    @exclusivity(unchecked) var bodyPaused = false
    /// Background tasks waiting for their response's last byte.
    // why: loop-bound like `machine`; exclusivity checks cost 1.2% instructions per plaintext request, 1.0% per notification (Benchmarks/instructions.py).
    @exclusivity(unchecked) var tasksAwaitingWrite = TasksAwaitingWrite()

    package init(id: UInt64, core: ServerCore, transport: Transport, overCapacity: Bool) {
        self.id = id
        self.core = core
        self.loop = core.loop
        self.transport = transport
        self.overCapacity = overCapacity
        self.machine = HTTPServerConnection(limits: core.configuration.limits)
        machine.announcesHeads = core.routes.streamsBodies
        let now = transport.nowMilliseconds
        lastReadAt = now
        lastActivityAt = now
        lastWriteProgressAt = now
    }

    /// No request in progress and nothing buffered (output may still be unsent).
    var isIdle: Bool { phase == .active && !responding && machine.isIdle }

    // MARK: Transport events

    /// Bytes arrived (valid only during the call).
    package func received(_ bytes: UnsafeRawBufferPointer) {
        guard phase == .active else { return }  // lingering: discard
        let now = transport.nowMilliseconds
        if machine.isIdle && !responding { requestStartedAt = now }
        lastReadAt = now
        lastActivityAt = now
        machine.receive(bytes)
        process()
    }

    /// The peer half-closed: no more input.
    package func receivedEOF() {
        peerClosed = true
        switch phase {
        case .active:
            machine.receiveEOF()
            process()
        case .lingering:
            transport.close()
        case .closing, .closed:
            break
        }
    }

    /// A read or write failed (reset by the peer, ...): the connection closes.
    package func failed(_ error: UVError) {
        core.logger.debug("connection failed", metadata: ["connection": "\(id)", "error": "\(error)"])
        transport.close()
    }

    /// Queued output was written (`transport.bytesWritten` advanced).
    package func wrote() {
        lastWriteProgressAt = transport.nowMilliseconds
        lastActivityAt = lastWriteProgressAt
        if !streamWaiters.isEmpty, transport.pendingWriteBytes <= core.configuration.writeBufferLowWatermark {
            resumeStreamWaiters()
        }
        startWrittenTasks()
        if phase == .active { updateReading() }
    }

    /// The transport closed; nothing more is read or written.
    package func closed() {
        phase = .closed
        if bodyChannel != nil { abortStreamedBody(.connectionClosed) }
        // The client left before the end: the work was accepted, so it still runs.
        startAllAwaitingTasks()
        resumeStreamWaiters()
        core.connectionDidClose(id)
    }

    // MARK: Request processing

    /// Runs the state machine until it needs input or waits for a response.
    func process() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        borrowOutput()
        loop: while phase == .active {
            switch machine.next() {
            case .needMoreData, .awaitingResponse:
                break loop
            case .sendContinue:
                outbound.append(contentsOf: HTTPResponseSerializer.continueResponse)
            case .request(let request):
                if !dispatch(request) { break loop }
            case .headWithBody:
                streamingAction(.headWithBody)
            case .bodyPart:
                streamingAction(.bodyPart)
            case .bodyEnd:
                streamingAction(.bodyEnd)
            case .reject(let error):
                if bodyChannel != nil { abortStreamedBody(.malformed) }
                core.logLimited(.info, "rejected request", kind: "reject", metadata: [
                    "connection": "\(id)", "status": "\(error.status.code)", "reason": "\(error.reason)",
                ])
                ResponseEncoding.appendRejection(status: error.status, reason: error.reason, date: core.date(), into: &outbound)
                closeAfterFlush()
            case .close:
                if bodyChannel != nil { abortStreamedBody(.connectionClosed) }
                closeAfterFlush()
            }
        }
        flush()
        if phase == .active { updateReading() }
    }

    /// Calls the handler. Returns true when the response was produced synchronously.
    /// `consuming`: the request's strings and arrays move into the `Request`.
    func dispatch(_ head: consuming HTTPParsedRequest) -> Bool {
        requestStartedAt = machine.bufferedByteCount > 0 ? transport.nowMilliseconds : nil
        if overCapacity {
            core.logLimited(.warning, "connection limit reached: answering 503", kind: "capacity", metadata: [
                "connection": "\(id)", "limit": "\(core.configuration.maxConnections)",
            ])
            closeAfterResponse = true
            return send(ResponseEncoding.overCapacityResponse, to: head.head, context: nil, failed: true)
        }
        guard let target = RequestTarget(head.head.target) else {
            core.logLimited(.info, "rejected request", kind: "reject", metadata: [
                "connection": "\(id)", "status": "400", "reason": "invalid request-target",
            ])
            // The request line parsed but names no path: its framing may be off too.
            closeAfterResponse = true
            return send(.text("400 Bad Request: invalid request-target\n", status: .badRequest), to: head.head, context: nil, failed: true)
        }
        let id = core.nextRequestID()
        let context = contexts.make(id: id, service: core.backgroundTasks)
        var routed = Request(head, target: target, id: id, context: context, environment: core.requestEnvironment)
        let responder = core.routes.responder(for: &routed)
        let request = routed
        switch responder {
        case .sync(let handler):
            defer { contexts.recycle(context) }
            do {
                return send(try handler(request), to: request.parsedHead, context: context, failed: false)
            } catch {
                return send(ErrorResponse.response(for: error, to: request), to: request.parsedHead, context: context, failed: true)
            }
        case .async(let handler), .streaming(let handler):
            return respondLater(to: request.parsedHead, context: context) { _ in
                do {
                    return (try await handler(request), false)
                } catch {
                    return (ErrorResponse.response(for: error, to: request), true)
                }
            }
        }
    }

    /// Holds the connection (no further request is read) while `produce` runs in a task
    /// on the loop's executor, then sends what it produced: an `async` handler's answer,
    /// or a response waiting for its durable tasks' commit. Returns false (not answered yet).
    func respondLater(
        to request: HTTPRequestHead, context: RequestContext?,
        _ produce: @escaping @Sendable (LoopBound<HTTPConnection>) async -> (response: Response, failed: Bool)
    ) -> Bool {
        let this = holdForResponse()
        Task(executorPreference: loop.executor) {
            let (response, failed) = await produce(this)
            this.value.answerHeld(response, to: request, context: context, failed: failed)
        }
        return false
    }

    /// Holds the connection (no further request is read) until `answerHeld`; returns it
    /// bound to its loop, for whoever answers later.
    func holdForResponse() -> LoopBound<HTTPConnection> {
        responding = true
        core.taskStarted()
        return LoopBound(self, loop: loop)
    }

    /// Sends the answer of a held request and reads on.
    func answerHeld(_ response: Response, to request: HTTPRequestHead, context: RequestContext?, failed: Bool) {
        core.taskFinished()
        responding = false
        if send(response, to: request, context: context, failed: failed) { process() }
    }

    func resumeStreamWaiters() {
        let waiters = streamWaiters
        streamWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}

/// Feeds a TCP connection's events to its `HTTPConnection`.
extension HTTPConnection: TCPConnectionDelegate where Transport == TCPConnection {
    package func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) { received(bytes) }
    package func connectionDidReadEOF(_ connection: TCPConnection) { receivedEOF() }
    package func connection(_ connection: TCPConnection, didFail error: UVError) { failed(error) }
    package func connectionDidWrite(_ connection: TCPConnection) { wrote() }
    package func connectionDidClose(_ connection: TCPConnection) { closed() }
}
