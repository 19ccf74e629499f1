/// A value bound to a statement's parameter or read from a column: one of SQLite's
/// five storage classes.
///
/// Literals convert: `[1, 2.5, "text", nil]` is `[.integer(1), .real(2.5), .text("text"),
/// .null]`. Values held in variables name their class: `.integer(id)`, `.blob(payload)`.
public enum SQLiteValue: Hashable, Sendable {
    /// A 64-bit signed integer (`INTEGER`).
    case integer(Int64)
    /// A double-precision float (`REAL`).
    case real(Double)
    /// UTF-8 text (`TEXT`).
    case text(String)
    /// Bytes (`BLOB`); an empty array is an empty blob, not NULL.
    case blob([UInt8])
    /// `NULL`.
    case null

    /// An `Int`, stored as `.integer`.
    public init(_ value: Int) { self = .integer(Int64(value)) }
}

extension SQLiteValue: ExpressibleByIntegerLiteral {
    /// An integer literal, as `.integer`.
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLiteValue: ExpressibleByFloatLiteral {
    /// A float literal, as `.real`.
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLiteValue: ExpressibleByStringLiteral {
    /// A string literal, as `.text`.
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLiteValue: ExpressibleByNilLiteral {
    /// `nil`, as `.null`.
    public init(nilLiteral: ()) { self = .null }
}
