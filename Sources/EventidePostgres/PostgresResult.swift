internal import CLibPQ

extension PostgresRows {
    /// Copies a result's rows out of libpq (the result is cleared after).
    init(result: OpaquePointer) {
        let rows = Int(PQntuples(result))
        let columns = Int(PQnfields(result))
        var storage: [UInt8] = []
        var cells: [(offset: Int, length: Int)] = []
        cells.reserveCapacity(rows * columns)
        for row in 0..<Int32(rows) {
            for column in 0..<Int32(columns) {
                if PQgetisnull(result, row, column) == 1 {
                    cells.append((0, -1))
                    continue
                }
                let length = Int(PQgetlength(result, row, column))
                cells.append((storage.count, length))
                PQgetvalue(result, row, column).withMemoryRebound(to: UInt8.self, capacity: length) {
                    storage.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
                }
            }
        }
        self.init(
            count: rows,
            columnNames: (0..<Int32(columns)).map { String(cString: PQfname(result, $0)) },
            affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0,
            columnTypes: (0..<Int32(columns)).map { PQftype(result, $0) },
            storage: storage,
            cells: cells)
    }
}

extension PostgresError {
    /// The error fields of a failed result (or a notice), as `kind`.
    init(result: OpaquePointer, kind: Kind) {
        let sqlState = field(result, eventide_pg_diag_sqlstate)
        var message = field(result, eventide_pg_diag_message_primary)
            ?? PQresultErrorMessage(result).map { String(cString: $0).trimmingTrailingNewlines }
            ?? ""
        if message.isEmpty { message = kind == .pipelineAborted ? "an earlier statement of the pipeline failed" : "unknown error" }
        // The server ends the session (admin shutdown, crash, termination): the statement's
        // outcome is unknown, as for any other loss.
        let lost = sqlState.map { $0.hasPrefix("57P") || $0.hasPrefix("08") } ?? false
        self.init(lost ? .connectionLost : kind, message, sqlState: sqlState,
                  detail: field(result, eventide_pg_diag_message_detail), hint: field(result, eventide_pg_diag_message_hint))
    }
}

/// One error field of a result, nil when absent.
func field(_ result: OpaquePointer, _ code: Int32) -> String? {
    PQresultErrorField(result, code).map { String(cString: $0) }
}
