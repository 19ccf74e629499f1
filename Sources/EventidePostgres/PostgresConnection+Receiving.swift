internal import CLibPQ
import EventideUVLoop

extension PostgresConnection {
    /// The socket is ready: read and dispatch results and notifications, write what is
    /// left. Callbacks run after libpq's state is settled, completions first, in order.
    func socketReady(_ events: SocketEvents) {
        guard state == .open, let pg else { return }
        var failure: PostgresError?
        var finished: [PendingPipeline] = []
        var notifications: [PostgresNotification] = []
        if let error = events.error {
            failure = PostgresError(.connectionLost, "polling libpq's socket failed: \(error)")
        } else {
            // Results read before a hang-up are still delivered.
            let consumed = events.readable ? PQconsumeInput(pg) : 1
            failure = drainResults(pg, into: &finished)
            notifications = drainNotifications(pg)
            if failure == nil, consumed == 0 || PQstatus(pg) == CONNECTION_BAD { failure = lostError(pg) }
            if failure == nil, watchingWrites || events.writable { failure = flush() }
        }
        if pipelines.isEmpty { prepared.clearFailures() }
        for pipeline in finished { pipeline.completion(pipeline.finalResults) }
        for notification in notifications where state == .open { onNotification?(notification) }
        if let failure { shutDown(failure) }
    }

    /// Takes every result libpq can give without blocking and moves finished pipelines to
    /// `finished`.
    ///
    /// - Returns: an error that ends the connection when the results do not match the
    ///   steps sent.
    private func drainResults(_ pg: OpaquePointer, into finished: inout [PendingPipeline]) -> PostgresError? {
        while !pipelines.isEmpty, PQisBusy(pg) == 0 {
            guard let result = PQgetResult(pg) else {
                // NULL ends the current step's results; with none seen yet, nothing is ready.
                guard pipelines[0].stepAnswered else { break }
                pipelines[0].stepAnswered = false
                pipelines[0].cursor += 1
                continue
            }
            defer { PQclear(result) }
            guard let step = pipelines[0].currentStep else {
                return PostgresError(.client, "a result arrived that no statement was waiting for")
            }
            let status = PQresultStatus(result)
            switch step {
            case .sync:
                // libpq reports a broken connection as a FATAL_ERROR result of its own.
                if status == PGRES_FATAL_ERROR || PQstatus(pg) == CONNECTION_BAD {
                    return lastFatal ?? PostgresError(result: result, kind: .connectionLost)
                }
                guard status == PGRES_PIPELINE_SYNC else {
                    return PostgresError(.client, "expected the end of a pipeline, got \(String(cString: PQresStatus(status)))")
                }
                pipelines[0].cursor += 1
                if pipelines[0].currentStep == nil { finished.append(pipelines.removeFirst()) }
            case .prepare(let key, let name):
                pipelines[0].stepAnswered = true
                if status != PGRES_COMMAND_OK {
                    prepared.prepareFailed(key, name: name, PostgresError(result: result, kind: kind(of: status)))
                }
            case .statement(let index, let name):
                pipelines[0].stepAnswered = true
                var outcome = statementResult(result, status: status)
                if case .failure(let error) = outcome, error.isConnectionLoss { lastFatal = error }
                if case .failure = outcome, let name, let prepareError = prepared.failures[name] {
                    outcome = .failure(prepareError)
                }
                if case .failure = pipelines[0].results[index] { continue }
                pipelines[0].results[index] = outcome
            }
        }
        return nil
    }

    private func statementResult(_ result: OpaquePointer, status: ExecStatusType) -> Result<PostgresRows, PostgresError> {
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            .success(PostgresRows(result: result))
        default:
            .failure(PostgresError(result: result, kind: kind(of: status)))
        }
    }

    private func kind(of status: ExecStatusType) -> PostgresError.Kind {
        switch status {
        case PGRES_PIPELINE_ABORTED: .pipelineAborted
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR: .server
        default: .client
        }
    }

    private func drainNotifications(_ pg: OpaquePointer) -> [PostgresNotification] {
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(pg) {
            notifications.append(PostgresNotification(
                channel: String(cString: notify.pointee.relname),
                payload: String(cString: notify.pointee.extra),
                backendPID: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        return notifications
    }
}
