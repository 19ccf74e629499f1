import EventideHTTP1
import EventideUVLoop

/// Request bodies read as they arrive, for routes registered with `body: .stream`: the
/// handler starts once the head arrived and reads `request.bodyStream`, while this
/// connection feeds it and stops reading from the client when the handler falls behind.
extension HTTPConnection {
    /// Acts on the machine's streamed-body actions. Out of line: `process()` is on every
    /// request's path and these on few.
    @inline(never)
    func streamingAction(_ action: HTTPServerConnection.Action) {
        switch action {
        case .headWithBody:
            if let head = machine.announcedHead { startStreaming(head) }
        case .bodyPart:
            streamedBody(machine.takeBodyPart())
        case .bodyEnd:
            endStreamedBody(trailers: machine.takeTrailers())
        default:
            break
        }
    }

    /// A request with a body was announced. A `body: .stream` route's handler starts now;
    /// any other request waits for its whole body as usual (and so does one this connection
    /// answers 503, or whose target it answers 400: `dispatch` does that).
    func startStreaming(_ head: HTTPRequestHead) {
        guard !overCapacity, let target = RequestTarget(head.target), core.routes.streamsBody(method: head.method, path: target.path)
        else { return }
        machine.streamBody()
        let this = LoopBound(self, loop: loop)
        let loop = self.loop
        let channel = RequestBodyChannel(highWatermark: core.configuration.limits.maxBufferedInputBytes) {
            _ = loop.execute { this.value.streamedBodyDrained() }
        }
        bodyChannel = channel
        bodyPaused = false
        let id = core.nextRequestID()
        let context = contexts.make(id: id, service: core.backgroundTasks)
        context.streamedBody = channel
        var routed = Request(HTTPParsedRequest(head: head), target: target, id: id, context: context, environment: core.requestEnvironment)
        let handler = core.routes.responder(for: &routed).asAsync
        let request = routed
        _ = respondLater(to: head, context: context) { _ in
            do {
                return (try await handler(request), false)
            } catch {
                return (ErrorResponse.response(for: error, to: request), true)
            }
        }
    }

    /// The next part of the streamed body.
    func streamedBody(_ bytes: [UInt8]) {
        guard let bodyChannel else { return }
        if !bodyChannel.yield(bytes) { bodyPaused = true }
    }

    /// The streamed body ended.
    func endStreamedBody(trailers: HTTPHeaders) {
        bodyChannel?.finish()
        bodyChannel = nil
        bodyPaused = false
    }

    /// The handler took enough of the body: read again.
    func streamedBodyDrained() {
        guard bodyPaused else { return }
        bodyPaused = false
        if phase == .active { updateReading() }
    }

    /// The response went before the body ended: whatever the handler did not read is
    /// discarded (by the machine), so reading must not stay paused for it; a late reader
    /// is told the body is incomplete rather than finding a clean end.
    func abandonStreamedBody() {
        abortStreamedBody(.abandoned)
    }

    /// The body cannot end: the handler's next read throws `error`.
    func abortStreamedBody(_ error: RequestBodyError) {
        bodyChannel?.finish(error)
        bodyChannel = nil
        bodyPaused = false
    }

    /// A client that stopped sending a streamed body (while the handler waits for it) is
    /// cut off after `ServerTimeouts.body`; one the handler holds back is not.
    func checkStreamedBodyTimeout(now: UInt64) {
        guard bodyChannel != nil, !bodyPaused, now &- lastReadAt >= core.configuration.timeouts.body.wholeMilliseconds else { return }
        core.logLimited(.info, "request body timed out: closing", kind: "timeout", metadata: ["connection": "\(id)", "stage": "body"])
        abortStreamedBody(.timedOut)
        transport.close()
    }
}
