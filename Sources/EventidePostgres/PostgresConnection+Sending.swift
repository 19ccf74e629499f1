internal import CLibPQ
import EventideUVLoop

extension PostgresConnection {
    /// Queues a run's messages in libpq and flushes what the socket takes. Statements not
    /// prepared yet are prepared first, each in a segment of its own (its own Sync), so
    /// neither a failed prepare nor the prepares split the run's implicit transaction.
    ///
    /// - Returns: the error that ends the connection when libpq refused a message.
    func send(_ statements: [PostgresStatement], on pg: OpaquePointer,
              _ completion: @escaping ([Result<PostgresRows, PostgresError>]) -> Void) -> PostgresError? {
        if let tooMany = statements.first(where: { $0.parameters.count > Int(Int16.max) * 2 + 1 }) {
            completion(statements.map { _ in
                .failure(PostgresError(.client, "\(tooMany.parameters.count) parameters: PostgreSQL takes at most 65535"))
            })
            return nil
        }
        var pipeline = PendingPipeline(statementCount: statements.count, completion: completion)
        var names: [String?] = []
        for statement in statements {
            let key = PreparedStatements.Key(sql: statement.sql, types: statement.parameters.map(\.typeOID))
            switch prepared.plan(for: key) {
            case .prepared(let name):
                names.append(name)
            case .prepare(let name):
                names.append(name)
                guard PQsendPrepare(pg, name, key.sql, Int32(key.types.count), key.types) == 1,
                      PQpipelineSync(pg) == 1
                else { return sendFailure(pg, pipeline) }
                pipeline.steps += [.prepare(key, name: name), .sync]
            case .unnamed:
                names.append(nil)
            }
        }
        for (index, statement) in statements.enumerated() {
            guard sendStatement(statement, name: names[index], on: pg) == 1 else { return sendFailure(pg, pipeline) }
            pipeline.steps.append(.statement(index, name: names[index]))
        }
        guard PQpipelineSync(pg) == 1 else { return sendFailure(pg, pipeline) }
        pipeline.steps.append(.sync)
        pipelines.append(pipeline)
        return flush()
    }

    /// Sends one statement with its parameters in binary, asking for binary results.
    private func sendStatement(_ statement: PostgresStatement, name: String?, on pg: OpaquePointer) -> Int32 {
        let count = Int32(statement.parameters.count)
        var storage: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int32] = []
        var types: [UInt32] = []
        for parameter in statement.parameters {
            types.append(parameter.typeOID)
            if let bytes = parameter.binary {
                offsets.append(storage.count)
                lengths.append(Int32(bytes.count))
                storage += bytes
            } else {
                offsets.append(-1)
                lengths.append(0)
            }
        }
        // Never empty, so an empty (non-NULL) value still gets a non-nil pointer.
        storage.append(0)
        let formats = [Int32](repeating: 1, count: statement.parameters.count)
        return storage.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0 < 0 ? nil : UnsafePointer(base + $0) }
            if let name {
                return PQsendQueryPrepared(pg, name, count, values, lengths, formats, 1)
            }
            return PQsendQueryParams(pg, statement.sql, count, types, values, lengths, formats, 1)
        }
    }

    /// libpq refused a message: part of the run may be queued, so the connection cannot
    /// go on. The run is kept pending, to fail with the others when it closes.
    private func sendFailure(_ pg: OpaquePointer, _ pipeline: PendingPipeline) -> PostgresError {
        pipelines.append(pipeline)
        return PostgresError(.connectionLost, "libpq refused a message: \(libpqMessage(pg))")
    }

    /// Writes what libpq has buffered; watches for writability while some is left.
    ///
    /// - Returns: the error that ends the connection when writing failed.
    func flush() -> PostgresError? {
        guard let pg else { return nil }
        let status = PQflush(pg)
        guard status >= 0 else { return lostError(pg) }
        let wantsWrites = status == 1
        guard wantsWrites != watchingWrites, let watcher else { return nil }
        do throws(UVError) {
            try watcher.watch(readable: true, writable: wantsWrites) { [self] events in socketReady(events) }
        } catch {
            return PostgresError(.connectionLost, "cannot watch libpq's socket: \(error)")
        }
        watchingWrites = wantsWrites
        return nil
    }

    /// Why the connection broke: the server's FATAL message when it sent one.
    func lostError(_ pg: OpaquePointer) -> PostgresError {
        if let lastFatal { return lastFatal }
        return PostgresError(.connectionLost, libpqMessage(pg))
    }
}
