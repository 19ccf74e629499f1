import EventideHTTP1
import EventideUVLoop
import Logging

/// Serializing responses, streaming bodies, flushing and read backpressure.
extension HTTPConnection {
    // MARK: Writing

    /// Serializes `response` and schedules the request's background tasks after its
    /// last byte. `failed`: the handler threw. Returns true when the response is
    /// complete (not streamed).
    func send(_ response: Response, to request: HTTPRequestHead, context: RequestContext?, failed: Bool) -> Bool {
        // The queue first: a server without one pays no lock per request for this.
        if let queue = core.backgroundTasks.taskQueue, let context {
            let rows = context.sealDurable(failed: failed || response.status.code >= 400)
            if !rows.isEmpty { return commit(rows, to: queue, then: response, to: request, context: context, failed: failed) }
        }
        guard phase == .active else {
            // The connection died while the handler ran: the accepted work still runs.
            if let context { scheduleTasks(context, carried: core.tasks.admit(response.background), failed: failed, status: response.status) }
            return true
        }
        guard let carried = core.tasks.admit(response.background) else {
            // The queue is full: none of the response's tasks was accepted, so it becomes
            // a 503 (with no tasks of its own).
            let rejection = core.tasks.rejectionResponse()
            return send(rejection, to: request, context: context, failed: failed, carried: nil)
        }
        return send(response, to: request, context: context, failed: failed, carried: carried)
    }

    /// Commits the request's durable tasks (one transaction, grouped with other requests'
    /// by the store), then sends `response`, or a 503 with `Retry-After` when the commit
    /// failed: the response never leaves before its durable tasks are on disk. The
    /// connection reads no further request meanwhile; the loop serves the others. The
    /// loop's requests of one iteration go to the store together and their outcomes come
    /// back together (`BackgroundTaskLifecycle.commitDurable`; no Swift task per request).
    private func commit(
        _ rows: [NewDurableTask], to queue: TaskQueue, then response: Response, to request: HTTPRequestHead, context: RequestContext,
        failed: Bool
    ) -> Bool {
        let this = holdForResponse()
        core.tasks.commitDurable(rows) { result in
            let connection = this.value
            switch result {
            case .success(let committed):
                context.addHandOff(committed.handOff)
                connection.answerHeld(response, to: request, context: context, failed: failed)
            case .failure(let error):
                connection.core.logLimited(.error, "durable tasks not committed: answering 503", kind: "durable-commit", metadata: [
                    "connection": "\(connection.id)", "tasks": "\(rows.count)", "error": "\(error)",
                ])
                connection.answerHeld(queue.commitFailureResponse, to: request, context: context, failed: true)
            }
        }
        return false
    }

    /// `send` once the carried tasks were admitted (`carried` nil: they were refused).
    private func send(
        _ response: Response, to request: HTTPRequestHead, context: RequestContext?, failed: Bool,
        carried: [BackgroundTaskLifecycle.Entry]?
    ) -> Bool {
        borrowOutput()
        var keepAlive = ResponseEncoding.keepAlive(request: request, closing: closeAfterResponse || core.isShuttingDown)
        switch response.body {
        case .empty, .bytes, .string:
            let largeBody: [UInt8]?
            (keepAlive, largeBody) = ResponseEncoding.appendComplete(
                response, to: request, keepAlive: keepAlive, serverName: core.configuration.serverName, date: core.date(),
                into: &outbound)
            if let largeBody {
                flush()
                transport.write(largeBody)  // the array itself: no copy of what waits for the socket
            }
            responseCompleted(keepAlive: keepAlive)
            if let context { scheduleTasks(context, carried: carried, failed: failed, status: response.status) }
            return true
        case .stream(let produce):
            var headers = response.headers
            if let serverName = core.configuration.serverName { headers[.server] = serverName }
            let hasBody = request.method != .head && ResponseEncoding.statusAllowsBody(response.status)
            let chunked = request.version != .http1_0
            keepAlive = keepAlive && chunked
            keepAlive = HTTPResponseSerializer.appendHead(
                status: response.status, headers: headers, contentLength: nil, chunked: chunked && hasBody,
                keepAlive: keepAlive, requestVersion: request.version, date: core.date(), into: &outbound)
            guard hasBody else {
                responseCompleted(keepAlive: keepAlive)
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

    func stream(
        _ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void, chunked: Bool, keepAlive: Bool,
        completed: @escaping (_ failed: Bool) -> Void
    ) {
        responding = true
        streamCompleted = completed
        core.taskStarted()
        streamsStarted += 1
        let stream = streamsStarted
        let this = LoopBound(self, loop: loop)
        let loop = self.loop
        let writer = ResponseBodyWriter { bytes in
            if loop.inEventLoop { return try await this.value.writeBodyChunk(bytes, chunked: chunked, stream: stream) }
            // A writer handed to another task: the write hops to the connection's loop.
            try await Task(executorPreference: loop.executor) {
                try await this.value.writeBodyChunk(bytes, chunked: chunked, stream: stream)
            }.value
        }
        Task(executorPreference: loop.executor) {
            var failure: (any Error)?
            do {
                try await produce(writer)
            } catch {
                failure = error
            }
            this.value.finishStream(chunked: chunked, keepAlive: keepAlive, failure: failure)
        }
    }

    func finishStream(chunked: Bool, keepAlive: Bool, failure: (any Error)?) {
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
            transport.close()
            return
        }
        if chunked {
            borrowOutput()
            HTTPResponseSerializer.appendLastChunk(into: &outbound)
        }
        responseCompleted(keepAlive: keepAlive)
        completed(false)
        process()
    }

    /// `stream`: the number of the stream the writer belongs to; a writer kept past its
    /// stream's end must not write into the connection's next response.
    func writeBodyChunk(_ bytes: [UInt8], chunked: Bool, stream: UInt64) async throws {
        guard stream == streamsStarted && streamCompleted != nil else { throw ResponseBodyWriter.StreamEnded() }
        guard phase == .active else { throw ResponseBodyWriter.ClientDisconnected() }
        borrowOutput()
        if chunked {
            bytes.withUnsafeBytes { HTTPResponseSerializer.appendChunk($0, into: &outbound) }
        } else {
            outbound.append(contentsOf: bytes)
        }
        flush()
        if transport.pendingWriteBytes > core.configuration.writeBufferHighWatermark {
            await withCheckedContinuation { streamWaiters.append($0) }
        }
        guard phase == .active else { throw ResponseBodyWriter.ClientDisconnected() }
    }

    /// Writes the collected output and gives the buffer back to the loop.
    func flush() {
        defer { returnOutput() }
        guard !outbound.isEmpty, phase != .closed else { return }
        if transport.pendingWriteBytes == 0 { lastWriteProgressAt = transport.nowMilliseconds }
        outbound.withUnsafeBytes { transport.write($0) }
        outbound.removeAll(keepingCapacity: true)
        startWrittenTasks()
    }

    /// Takes the loop's output buffer unless this connection holds one.
    func borrowOutput() {
        ResponseEncoding.borrowOutput(&outbound, from: &core.spareOutput)
    }

    /// Gives the emptied output buffer back to the loop.
    private func returnOutput() {
        guard outbound.isEmpty else { return }
        ResponseEncoding.returnOutput(&outbound, to: &core.spareOutput)
    }

    /// The response is fully queued: the machine goes on to the next request (discarding
    /// the rest of a streamed body the handler did not wait for).
    @inline(__always)
    func responseCompleted(keepAlive: Bool) {
        if bodyChannel != nil { abandonStreamedBody() }
        machine.responseCompleted(keepAlive: keepAlive)
    }

    func updateReading() {
        if !peerClosed && !bodyPaused && machine.wantsRead && transport.pendingWriteBytes <= core.configuration.writeBufferHighWatermark {
            transport.startReading()
        } else {
            transport.stopReading()
        }
    }
}
