import Logging

/// Closing (graceful, forced, lingering) and the timeouts checked by the loop's sweep.
extension HTTPConnection {
    // MARK: Closing

    /// Sends FIN once queued output is written, then lingers briefly so the peer reads
    /// the final response before the socket closes.
    func closeAfterFlush() {
        guard phase == .active else { return }
        flush()
        phase = .closing
        transport.shutdown { [self] error in
            guard phase == .closing else { return }
            if error != nil || peerClosed {
                transport.close()
                return
            }
            phase = .lingering
            lingerStartedAt = transport.nowMilliseconds
            transport.startReading()
        }
    }

    /// Graceful shutdown: idle connections close now, busy ones after their response.
    func shutdownGracefully() {
        guard phase == .active else { return }
        if isIdle && transport.pendingWriteBytes == 0 {
            // Nothing to flush and no unread input: a plain close sends FIN, no RST.
            phase = .closing
            transport.close()
        } else if isIdle {
            // The last response is still going out to a slow reader: FIN after it, not a
            // close that would cancel the queued bytes.
            closeAfterFlush()
        } else {
            closeAfterResponse = true
        }
    }

    /// Closes at once, dropping unsent output (shutdown deadline passed). Tasks still
    /// waiting for their response start now, so the shutdown report names them.
    func forceClose() {
        startAllAwaitingTasks()
        transport.close()
    }

    // MARK: Timeouts

    /// Called by the loop's sweep timer: closes the connection when the stage it is in
    /// (lingering, writing, idle, receiving a head or a body) took too long.
    func checkTimeouts() {
        let now = transport.nowMilliseconds
        let timeouts = core.configuration.timeouts
        switch phase {
        case .closed:
            return
        case .lingering:
            if now &- lingerStartedAt >= core.configuration.lingerTimeout.wholeMilliseconds { transport.close() }
            return
        case .active, .closing:
            break
        }
        if transport.pendingWriteBytes > 0 {
            if now &- lastWriteProgressAt >= timeouts.writeStall.wholeMilliseconds {
                core.logLimited(.info, "write stalled: closing", kind: "write-stall", metadata: [
                    "connection": "\(id)", "unsent": "\(transport.pendingWriteBytes)",
                ])
                transport.close()
            }
            return
        }
        checkStreamedBodyTimeout(now: now)
        guard phase == .active, !responding else { return }
        if machine.isIdle {
            if now &- lastActivityAt >= timeouts.idle.wholeMilliseconds {
                core.logger.debug("idle keep-alive connection closed", metadata: ["connection": "\(id)"])
                phase = .closing
                transport.close()
            }
        } else if machine.isReadingBody {
            if now &- lastReadAt >= timeouts.body.wholeMilliseconds { timeOut(stage: "body") }
        } else if now &- (requestStartedAt ?? lastReadAt) >= timeouts.header.wholeMilliseconds {
            timeOut(stage: "header")
        }
    }

    func timeOut(stage: String) {
        borrowOutput()
        core.logLimited(.info, "request timed out", kind: "timeout-\(stage)", metadata: ["connection": "\(id)", "stage": "\(stage)"])
        ResponseEncoding.appendRejection(status: .requestTimeout, reason: "\(stage) not received in time", date: core.date(), into: &outbound)
        closeAfterFlush()
    }
}
