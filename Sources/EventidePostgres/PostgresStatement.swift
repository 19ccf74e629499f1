/// One SQL statement with its parameters (`$1`, `$2`... in the SQL).
public struct PostgresStatement: Sendable {
    /// The SQL text: exactly one statement. It is prepared once per connection and
    /// parameter types, so keep values out of it.
    public let sql: String
    /// The values of `$1`, `$2`...
    public let parameters: [PostgresValue]

    /// A statement with its parameters.
    public init(_ sql: String, _ parameters: [PostgresValue] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}
