/// The statements a connection has prepared, by SQL text and parameter types (a statement
/// prepared for `int8` cannot take `text`, so each combination is its own).
struct PreparedStatements {
    struct Key: Hashable {
        let sql: String
        let types: [UInt32]
    }

    /// How a statement is sent.
    enum Plan {
        /// Already prepared (or its prepare is in flight, ahead of this use).
        case prepared(name: String)
        /// Prepare it first under this name.
        case prepare(name: String)
        /// The cache is full: parse and plan it each time (an unnamed statement).
        case unnamed
    }

    /// Beyond this many, new statements run unnamed: the server keeps every prepared
    /// statement for the session's life.
    static let capacity = 1000

    private var names: [Key: String] = [:]
    private var counter = 0
    /// Names whose prepare failed (syntax error, aborted transaction), with the failure,
    /// reported instead of "prepared statement does not exist" for uses already sent.
    private(set) var failures: [String: PostgresError] = [:]

    /// The plan for `key`; a `.prepare` plan counts the statement as prepared from now on.
    mutating func plan(for key: Key) -> Plan {
        if let name = names[key] { return .prepared(name: name) }
        guard names.count < Self.capacity else { return .unnamed }
        counter += 1
        let name = "eventide_\(counter)"
        names[key] = name
        return .prepare(name: name)
    }

    /// The prepare of `key` under `name` failed: the next use prepares again.
    mutating func prepareFailed(_ key: Key, name: String, _ error: PostgresError) {
        if names[key] == name { names[key] = nil }
        failures[name] = error
    }

    /// Forgets the failures once no pipeline that could have used them is in flight.
    mutating func clearFailures() {
        if !failures.isEmpty { failures = [:] }
    }
}
