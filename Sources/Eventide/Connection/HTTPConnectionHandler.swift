import Logging

/// Glue between one TCP connection and the sans-IO HTTP state machine: feeds it bytes,
/// dispatches requests, serializes responses, and decides when to read and when to
/// close. Loop-bound.
///
/// Responses produced while handling one read are collected in `outbound` and written
/// with a single write, so pipelined requests cost one syscall per batch.
final class HTTPConnectionHandler: TCPConnectionDelegate {
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

    let id: UInt64
    private unowned let core: ServerCore
    private let tcp: TCPConnection
    private var machine: HTTPServerConnection
    private var outbound: [UInt8] = []
    private(set) var phase = Phase.active
    /// A request is being answered asynchronously (async handler or streamed body).
    private var responding = false
    private var processing = false
    private var peerClosed = false
    /// Set by a graceful shutdown: the current response is the last one.
    private var closeAfterResponse = false
    /// Loop times (ms) behind the timeouts: last input, start of the request being
    /// received, last progress of pending output, start of lingering.
    private var lastReadAt: UInt64
    private var lastActivityAt: UInt64
    private var requestStartedAt: UInt64?
    private var lastWriteProgressAt: UInt64
    private var lingerStartedAt: UInt64 = 0
    /// Accepted beyond `maxConnections`: its first request is answered 503.
    private let overCapacity: Bool
    private var streamWaiter: CheckedContinuation<Void, Never>?
    /// Schedules the streamed response's background tasks once the body ended.
    private var streamCompleted: ((_ failed: Bool) -> Void)?
    /// Background tasks waiting for their response's last byte: they start once
    /// `tcp.bytesWritten` reaches `offset` (or the connection closes).
    private var tasksAwaitingWrite: [(offset: UInt64, requestID: RequestID, entries: [BackgroundTaskScheduler.Entry])] = []

    init(id: UInt64, core: ServerCore, tcp: TCPConnection, overCapacity: Bool) {
        self.id = id
        self.core = core
        self.tcp = tcp
        self.overCapacity = overCapacity
        self.machine = HTTPServerConnection(limits: core.configuration.limits)
        let now = core.loop.nowMilliseconds
        lastReadAt = now
        lastActivityAt = now
        lastWriteProgressAt = now
        outbound.reserveCapacity(4096)
    }

    func start() {
        tcp.delegate = self
        tcp.startReading()
    }

    /// No request in progress and nothing buffered: safe to close on shutdown.
    var isIdle: Bool { phase == .active && !responding && machine.isIdle }

    // MARK: Reading

    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard phase == .active else { return }  // lingering: discard
        let now = core.loop.nowMilliseconds
        if machine.isIdle && !responding { requestStartedAt = now }
        lastReadAt = now
        lastActivityAt = now
        machine.receive(bytes)
        process()
    }

    func connectionDidReadEOF(_ connection: TCPConnection) {
        peerClosed = true
        switch phase {
        case .active:
            machine.receiveEOF()
            process()
        case .lingering:
            tcp.close()
        case .closing, .closed:
            break
        }
    }

    func connection(_ connection: TCPConnection, didFail error: UVError) {
        core.logger.debug("connection failed", metadata: ["connection": "\(id)", "error": "\(error)"])
        tcp.close()
    }

    func connectionDidWrite(_ connection: TCPConnection) {
        lastWriteProgressAt = core.loop.nowMilliseconds
        lastActivityAt = lastWriteProgressAt
        if let waiter = streamWaiter, tcp.pendingWriteBytes <= core.configuration.writeBufferLowWatermark {
            streamWaiter = nil
            waiter.resume()
        }
        startWrittenTasks()
        if phase == .active { updateReading() }
    }

    func connectionDidClose(_ connection: TCPConnection) {
        phase = .closed
        // The client left before the end: the work was accepted, so it still runs.
        for waiting in tasksAwaitingWrite { core.scheduler.run(waiting.entries, requestID: waiting.requestID, logger: core.logger) }
        tasksAwaitingWrite = []
        streamWaiter?.resume()
        streamWaiter = nil
        core.connectionDidClose(self)
    }

    // MARK: Request processing

    /// Runs the state machine until it needs input or waits for a response.
    private func process() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        loop: while phase == .active {
            switch machine.next() {
            case .needMoreData, .awaitingResponse:
                break loop
            case .sendContinue:
                outbound.append(contentsOf: HTTPResponseSerializer.continueResponse)
            case .request(let request):
                if !dispatch(request) { break loop }
            case .reject(let error):
                core.logLimited(.info, "rejected request", kind: "reject", metadata: [
                    "connection": "\(id)", "status": "\(error.status.code)", "reason": "\(error.reason)",
                ])
                writeRejection(status: error.status, reason: error.reason)
                closeAfterFlush()
            case .close:
                closeAfterFlush()
            }
        }
        flush()
        if phase == .active { updateReading() }
    }

    /// Calls the handler. Returns true when the response was produced synchronously.
    private func dispatch(_ head: HTTPRequest) -> Bool {
        requestStartedAt = machine.bufferedByteCount > 0 ? core.loop.nowMilliseconds : nil
        if overCapacity {
            core.logLimited(.warning, "connection limit reached: answering 503", kind: "capacity", metadata: [
                "connection": "\(id)", "limit": "\(core.configuration.maxConnections)",
            ])
            closeAfterResponse = true
            return send(Self.overCapacityResponse, to: head.head, context: nil, failed: true)
        }
        guard let target = RequestTarget(head.head.target) else {
            core.logLimited(.info, "rejected request", kind: "reject", metadata: [
                "connection": "\(id)", "status": "400", "reason": "invalid request-target",
            ])
            return send(.text("400 Bad Request: invalid request-target\n", status: .badRequest), to: head.head, context: nil, failed: true)
        }
        let context = RequestContext(requestID: core.nextRequestID(), service: core.backgroundTasks)
        var request = Request(head, target: target, context: context, eventLoop: core.loop, logger: core.logger)
        switch core.routes.responder(for: &request) {
        case .sync(let handler):
            do {
                return send(try handler(request), to: request.head, context: context, failed: false)
            } catch {
                return send(ErrorResponse.response(for: error, to: request), to: request.head, context: context, failed: true)
            }
        case .async(let handler):
            responding = true
            let this = LoopBound(self, loop: core.loop)
            core.taskStarted()
            Task(executorPreference: core.loop.executor) {
                let response: Response
                var failed = false
                do {
                    response = try await handler(request)
                } catch {
                    response = ErrorResponse.response(for: error, to: request)
                    failed = true
                }
                let connection = this.value
                connection.core.taskFinished()
                connection.responding = false
                if connection.send(response, to: request.head, context: context, failed: failed) { connection.process() }
            }
            return false
        }
    }

    // MARK: Writing

    /// Serializes `response` and schedules the request's background tasks after its
    /// last byte. `failed`: the handler threw. Returns true when the response is
    /// complete (not streamed).
    private func send(_ response: Response, to request: HTTPRequestHead, context: RequestContext?, failed: Bool) -> Bool {
        guard phase == .active else {
            // The connection died while the handler ran: the accepted work still runs.
            if let context { scheduleTasks(context, carried: admit(response.background), failed: failed, status: response.status) }
            return true
        }
        var response = response
        let carried = admit(response.background)
        if carried == nil { response = core.backgroundTasks.rejectionResponse() }
        var keepAlive = request.keepAlive && !closeAfterResponse && !core.isShuttingDown
        if let connection = response.headers.first(name: "Connection"), connection.lowercased().contains("close") {
            keepAlive = false
        }
        var headers = response.headers
        if let serverName = core.configuration.serverName { headers.replaceOrAdd(name: "Server", value: serverName) }
        let hasBody = request.method != .head && Self.statusAllowsBody(response.status)
        switch response.body {
        case .empty, .bytes:
            let body: [UInt8]
            if case .bytes(let bytes) = response.body { body = bytes } else { body = [] }
            HTTPResponseSerializer.appendHead(
                status: response.status, headers: headers,
                contentLength: Self.statusAllowsBody(response.status) ? body.count : nil,
                chunked: false, keepAlive: keepAlive, requestVersion: request.version,
                date: core.date(), into: &outbound)
            if hasBody { appendBody(body) }
            machine.responseCompleted(keepAlive: keepAlive)
            if let context { scheduleTasks(context, carried: carried, failed: failed, status: response.status) }
            return true
        case .stream(let produce):
            let chunked = request.version != .http1_0
            keepAlive = keepAlive && chunked
            HTTPResponseSerializer.appendHead(
                status: response.status, headers: headers, contentLength: nil, chunked: chunked && hasBody,
                keepAlive: keepAlive, requestVersion: request.version, date: core.date(), into: &outbound)
            guard hasBody else {
                machine.responseCompleted(keepAlive: keepAlive)
                if let context { scheduleTasks(context, carried: carried, failed: failed, status: response.status) }
                return true
            }
            flush()
            stream(produce, chunked: chunked, keepAlive: keepAlive) { [self] streamFailed in
                if let context { scheduleTasks(context, carried: carried, failed: failed || streamFailed, status: response.status) }
            }
            return false
        }
    }

    private func stream(
        _ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void, chunked: Bool, keepAlive: Bool,
        completed: @escaping (_ failed: Bool) -> Void
    ) {
        responding = true
        streamCompleted = completed
        core.taskStarted()
        let this = LoopBound(self, loop: core.loop)
        let writer = ResponseBodyWriter { bytes in try await this.value.writeBodyChunk(bytes, chunked: chunked) }
        Task(executorPreference: core.loop.executor) {
            var failure: (any Error)?
            do {
                try await produce(writer)
            } catch {
                failure = error
            }
            this.value.finishStream(chunked: chunked, keepAlive: keepAlive, failure: failure)
        }
    }

    private func finishStream(chunked: Bool, keepAlive: Bool, failure: (any Error)?) {
        core.taskFinished()
        responding = false
        let completed = streamCompleted ?? { _ in }
        streamCompleted = nil
        // A client that went away is "delivered" for the tasks' sake (rule 6); a
        // producer that threw is a failed handler.
        let producerFailed = failure != nil && !(failure is ResponseBodyWriter.ClientDisconnected)
        guard phase == .active else {
            completed(producerFailed)
            return
        }
        if let failure {
            // The status line is gone; the only honest signal left is an incomplete body.
            core.logger.error("streamed response failed", metadata: ["connection": "\(id)", "error": "\(failure)"])
            flush()
            completed(producerFailed)
            tcp.close()
            return
        }
        if chunked { HTTPResponseSerializer.appendLastChunk(into: &outbound) }
        machine.responseCompleted(keepAlive: keepAlive)
        completed(false)
        process()
    }

    // MARK: Background tasks

    /// Admits the tasks a response carries; nil when the queue is full (the response
    /// then becomes a 503 and none of them was accepted).
    private func admit(_ tasks: [BackgroundTask]) -> [BackgroundTaskScheduler.Entry]? {
        guard !tasks.isEmpty else { return [] }
        return core.backgroundTasks.admitAll(tasks)
    }

    /// The tasks start once the response's last byte was written (rule 5).
    private func scheduleTasks(_ context: RequestContext, carried: [BackgroundTaskScheduler.Entry]?, failed: Bool, status: HTTPStatus) {
        let entries = core.backgroundTasks.entriesToRun(context, carried: carried, failed: failed, status: status)
        guard !entries.isEmpty else { return }
        guard phase != .closed else {
            core.scheduler.run(entries, requestID: context.requestID, logger: core.logger)
            return
        }
        let offset = tcp.bytesQueued + UInt64(outbound.count)
        tasksAwaitingWrite.append((offset: offset, requestID: context.requestID, entries: entries))
    }

    /// Starts the tasks whose response has been fully written.
    private func startWrittenTasks() {
        guard let first = tasksAwaitingWrite.first, first.offset <= tcp.bytesWritten else { return }
        var started = 0
        for waiting in tasksAwaitingWrite {
            guard waiting.offset <= tcp.bytesWritten else { break }
            core.scheduler.run(waiting.entries, requestID: waiting.requestID, logger: core.logger)
            started += 1
        }
        tasksAwaitingWrite.removeFirst(started)
    }

    /// Queues one chunk of a streamed body; waits while the client is slow to read.
    func writeBodyChunk(_ bytes: [UInt8], chunked: Bool) async throws {
        guard phase == .active else { throw ResponseBodyWriter.ClientDisconnected() }
        if chunked {
            bytes.withUnsafeBytes { HTTPResponseSerializer.appendChunk($0, into: &outbound) }
        } else {
            outbound.append(contentsOf: bytes)
        }
        flush()
        if tcp.pendingWriteBytes > core.configuration.writeBufferHighWatermark {
            await withCheckedContinuation { streamWaiter = $0 }
        }
        guard phase == .active else { throw ResponseBodyWriter.ClientDisconnected() }
    }

    /// Large bodies are written straight from the response's array instead of being
    /// copied into `outbound` first.
    private func appendBody(_ body: [UInt8]) {
        if body.count < 16 * 1024 {
            outbound.append(contentsOf: body)
            return
        }
        flush()
        body.withUnsafeBytes { tcp.write($0) }
    }

    private func writeRejection(status: HTTPStatus, reason: String) {
        let body = Array("\(status.code) \(status.reasonPhrase): \(reason)\n".utf8)
        HTTPResponseSerializer.appendHead(
            status: status, headers: ["Content-Type": "text/plain; charset=utf-8"],
            contentLength: body.count, chunked: false, keepAlive: false, requestVersion: .http1_1,
            date: core.date(), into: &outbound)
        outbound.append(contentsOf: body)
    }

    private func flush() {
        guard !outbound.isEmpty, phase != .closed else { return }
        if tcp.pendingWriteBytes == 0 { lastWriteProgressAt = core.loop.nowMilliseconds }
        outbound.withUnsafeBytes { tcp.write($0) }
        if outbound.capacity > 64 * 1024 {
            outbound = []
            outbound.reserveCapacity(4096)
        } else {
            outbound.removeAll(keepingCapacity: true)
        }
        startWrittenTasks()
    }

    private func updateReading() {
        if !peerClosed && machine.wantsRead && tcp.pendingWriteBytes <= core.configuration.writeBufferHighWatermark {
            tcp.startReading()
        } else {
            tcp.stopReading()
        }
    }

    // MARK: Closing

    /// Sends FIN once queued output is written, then lingers briefly so the peer reads
    /// the final response before the socket closes.
    private func closeAfterFlush() {
        guard phase == .active else { return }
        flush()
        phase = .closing
        tcp.shutdown { [self] error in
            guard phase == .closing else { return }
            if error != nil || peerClosed {
                tcp.close()
                return
            }
            phase = .lingering
            lingerStartedAt = core.loop.nowMilliseconds
            tcp.startReading()
        }
    }

    /// Graceful shutdown: idle connections close now, busy ones after their response.
    func shutdownGracefully() {
        guard phase == .active else { return }
        if isIdle {
            // Nothing to flush and no unread input: a plain close sends FIN, no RST.
            phase = .closing
            tcp.close()
        } else {
            closeAfterResponse = true
        }
    }

    /// Closes at once, dropping unsent output (shutdown deadline passed). Tasks still
    /// waiting for their response are handed to the scheduler now, so the shutdown
    /// report names them.
    func forceClose() {
        for waiting in tasksAwaitingWrite { core.scheduler.run(waiting.entries, requestID: waiting.requestID, logger: core.logger) }
        tasksAwaitingWrite = []
        tcp.close()
    }

    // MARK: Timeouts

    /// Called by the loop's sweep timer: closes the connection when the stage it is in
    /// (lingering, writing, idle, receiving a head or a body) took too long.
    func checkTimeouts(now: UInt64) {
        let timeouts = core.configuration.timeouts
        switch phase {
        case .closed:
            return
        case .lingering:
            if now &- lingerStartedAt >= core.configuration.lingerTimeout.wholeMilliseconds { tcp.close() }
            return
        case .active, .closing:
            break
        }
        if tcp.pendingWriteBytes > 0 {
            if now &- lastWriteProgressAt >= timeouts.writeStall.wholeMilliseconds {
                core.logLimited(.info, "write stalled: closing", kind: "write-stall", metadata: [
                    "connection": "\(id)", "unsent": "\(tcp.pendingWriteBytes)",
                ])
                tcp.close()
            }
            return
        }
        guard phase == .active, !responding else { return }
        if machine.isIdle {
            if now &- lastActivityAt >= timeouts.idle.wholeMilliseconds {
                core.logger.debug("idle keep-alive connection closed", metadata: ["connection": "\(id)"])
                phase = .closing
                tcp.close()
            }
        } else if machine.isReadingBody {
            if now &- lastReadAt >= timeouts.body.wholeMilliseconds { timeOut(stage: "body") }
        } else if now &- (requestStartedAt ?? lastReadAt) >= timeouts.header.wholeMilliseconds {
            timeOut(stage: "header")
        }
    }

    private func timeOut(stage: String) {
        core.logLimited(.info, "request timed out", kind: "timeout-\(stage)", metadata: ["connection": "\(id)", "stage": "\(stage)"])
        writeRejection(status: .requestTimeout, reason: "\(stage) not received in time")
        closeAfterFlush()
    }

    private static let overCapacityResponse: Response = {
        var response = Response.text("503 Service Unavailable: too many connections\n", status: .serviceUnavailable)
        response.headers.add(name: "Retry-After", value: "1")
        return response
    }()

    private static func statusAllowsBody(_ status: HTTPStatus) -> Bool {
        status.code >= 200 && status.code != 204 && status.code != 304
    }
}
