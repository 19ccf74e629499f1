/// How the SQLite store writes a task's state: a small integer (schema version 5 on).
///
/// Every insert and every change of state makes SQLite test the partial indexes' WHERE
/// clauses against the row (before and after), whether or not the row enters them; as
/// one integer comparison (`state < 3`) that test costs a fraction of three or four
/// string comparisons: about 4,300 fewer instructions per task stored and completed
/// (a C program against both schemas, callgrind). The codes are ordered so that the
/// states a claim takes are below 3 and the unfinished ones below 4.
///
/// | state | code |
/// |---|---|
/// | scheduled | 0 |
/// | available | 1 |
/// | retryable | 2 |
/// | running | 3 |
/// | completed | 4 |
/// | discarded | 5 |
/// | cancelled | 6 |
extension DurableTaskState {
    /// The state's code in the SQLite store's `state` column.
    package var sqliteCode: Int {
        switch self {
        case .scheduled: 0
        case .available: 1
        case .retryable: 2
        case .running: 3
        case .completed: 4
        case .discarded: 5
        case .cancelled: 6
        }
    }

    /// The state stored as `code`; nil for a code no state has.
    init?(sqliteCode code: Int) {
        switch code {
        case 0: self = .scheduled
        case 1: self = .available
        case 2: self = .retryable
        case 3: self = .running
        case 4: self = .completed
        case 5: self = .discarded
        case 6: self = .cancelled
        default: return nil
        }
    }

    /// The code as an SQL literal.
    var sqlite: String { String(sqliteCode) }

    /// SQL that turns a state column written before version 5 (the state's name) into its
    /// code; a name no state has becomes `discarded`, as reading it did.
    static func sqliteCode(fromName column: String) -> String {
        "CASE \(column) " + allCases.filter { $0 != .discarded }.map { "WHEN '\($0.rawValue)' THEN \($0.sqliteCode) " }.joined()
            + "ELSE \(DurableTaskState.discarded.sqliteCode) END"
    }
}
