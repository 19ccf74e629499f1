internal import CLibPQ
import EventideUVLoop

extension PostgresConnection {
    func start(_ string: PostgresConnectionString, timeout: Duration, _ completion: @escaping (Result<PostgresConnection, PostgresError>) -> Void) {
        connectCompletion = completion
        guard let pg = PQconnectStart(string.string) else {
            shutDown(PostgresError(.client, "libpq could not allocate a connection"))
            return
        }
        self.pg = pg
        guard PQstatus(pg) != CONNECTION_BAD else {
            shutDown(PostgresError(.connectFailed, libpqMessage(pg)))
            return
        }
        // Unretained: libpq's handle goes (PQfinish in shutDown) before this object does.
        PQsetNoticeReceiver(pg, { context, result in PostgresConnection.from(context).didReceiveNotice(result) },
                            Unmanaged.passUnretained(self).toOpaque())
        let timer = LoopTimer(loop: loop)
        connectTimer = timer
        timer.start(afterMilliseconds: UInt64(max(1, timeout.milliseconds))) { [self] in
            shutDown(PostgresError(.timeout, "connecting took longer than \(timeout)"))
        }
        // libpq's documented first step: wait as if PQconnectPoll had asked for writing.
        waitForConnect(PGRES_POLLING_WRITING)
    }

    /// Waits for what PQconnectPoll asked for. The watcher is made anew each step: libpq
    /// may have closed the socket and opened another (next host or address), often under
    /// the same descriptor number, which libuv would keep watching as the old one.
    private func waitForConnect(_ polling: PostgresPollingStatusType) {
        guard let pg, state == .connecting else { return }
        watcher?.close()
        watcher = nil
        switch polling {
        case PGRES_POLLING_OK:
            didConnect(pg)
        case PGRES_POLLING_READING, PGRES_POLLING_WRITING:
            do throws(UVError) {
                let watcher = try SocketWatcher(loop: loop, socket: PQsocket(pg))
                self.watcher = watcher
                try watcher.watch(readable: polling == PGRES_POLLING_READING, writable: polling == PGRES_POLLING_WRITING) { [self] _ in
                    waitForConnect(PQconnectPoll(pg))
                }
            } catch {
                shutDown(PostgresError(.connectFailed, "cannot watch libpq's socket: \(error)"))
            }
        default:
            shutDown(PostgresError(.connectFailed, libpqMessage(pg)))
        }
    }

    private func didConnect(_ pg: OpaquePointer) {
        guard PQsetnonblocking(pg, 1) == 0, PQenterPipelineMode(pg) == 1 else {
            shutDown(PostgresError(.connectFailed, libpqMessage(pg)))
            return
        }
        connectTimer?.close()
        connectTimer = nil
        backendPID = PQbackendPID(pg)
        serverVersion = Int(PQserverVersion(pg))
        do throws(UVError) {
            let watcher = try SocketWatcher(loop: loop, socket: PQsocket(pg))
            self.watcher = watcher
            try watcher.watch(readable: true, writable: false) { [self] events in socketReady(events) }
        } catch {
            shutDown(PostgresError(.connectFailed, "cannot watch libpq's socket: \(error)"))
            return
        }
        state = .open
        let completion = connectCompletion
        connectCompletion = nil
        completion?(.success(self))
    }

    /// A notice or warning; a FATAL one (sent before the server hangs up) is kept to say
    /// why the connection was lost.
    private func didReceiveNotice(_ result: OpaquePointer?) {
        guard let result else { return }
        let error = PostgresError(result: result, kind: .connectionLost)
        if field(result, eventide_pg_diag_severity_nonlocalized) == "FATAL" {
            lastFatal = error
        }
        onNotice?(error.message)
    }
}

/// libpq's current error message for the connection, without its trailing newline.
func libpqMessage(_ pg: OpaquePointer?) -> String {
    guard let pg, let message = PQerrorMessage(pg) else { return "unknown libpq error" }
    let text = String(cString: message).trimmingTrailingNewlines
    return text.isEmpty ? "unknown libpq error" : text
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
