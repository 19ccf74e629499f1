/// A failure of PostgreSQL or of the connection to it.
///
/// `isConnectionLoss` is the one question a caller must ask before retrying: when it is
/// true, the statement may or may not have run (its commit may have reached the server).
public struct PostgresError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What failed.
    public enum Kind: Sendable, Hashable {
        /// The connection string does not parse.
        case invalidConnectionString
        /// A connection could not be made (refused, authentication, unknown database...).
        case connectFailed
        /// The connection broke while statements were in flight, or was closed under them.
        case connectionLost
        /// The server refused the statement; `sqlState` says why.
        case server
        /// An earlier statement of the same pipeline failed, so this one did not run.
        case pipelineAborted
        /// The connection, pool or listener was closed before the statement was sent.
        case closed
        /// The server cannot be reached now: the last connect attempt failed and no
        /// connection is open. Nothing was sent.
        case unavailable
        /// A connect or an acquire took longer than allowed.
        case timeout
        /// LISTEN/NOTIFY does not work on this server (a transaction-pooling PgBouncer).
        case notificationsUnsupported
        /// libpq refused a call or returned something this module cannot use.
        case client
    }

    /// What failed.
    public let kind: Kind
    /// PostgreSQL's five-character SQLSTATE code (e.g. `23505` for a unique violation),
    /// when the server reported the error.
    public let sqlState: String?
    /// The primary message.
    public let message: String
    /// The server's optional detail line.
    public let detail: String?
    /// The server's optional hint.
    public let hint: String?

    /// Creates an error; the module makes them, callers may for tests.
    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
    }

    /// The statement may or may not have run: the connection broke before its outcome
    /// arrived.
    public var isConnectionLoss: Bool { kind == .connectionLost }

    /// A unique constraint refused the row (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// A serialization failure or deadlock (40001, 40P01): the transaction may be retried.
    public var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }

    public var description: String {
        var text = "PostgreSQL \(kind)"
        if let sqlState { text += " \(sqlState)" }
        text += ": \(message)"
        if let detail { text += " (detail: \(detail))" }
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
