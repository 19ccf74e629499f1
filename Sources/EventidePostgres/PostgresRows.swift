/// A statement's result: its rows, copied out of libpq, and how many rows it changed.
///
/// Results come in binary format; the getters convert by the column's type: `int2`,
/// `int4`, `int8` and `oid` read as `Int64`; `text`, `varchar`, `name`, `bpchar` and `json`
/// as `String`; `jsonb` as its JSON text (the format version byte stripped); `bytea` as
/// bytes; `bool`; `float4` and `float8` as `Double`; `timestamptz` (and `timestamp`, read
/// as UTC) as milliseconds since the Unix epoch. `string` also renders numbers, `bool`,
/// `numeric` and `uuid`. A getter returns nil for NULL and for a type it does not convert.
public struct PostgresRows: Sendable {
    /// The number of rows.
    public let count: Int
    /// The column names, in order.
    public let columnNames: [String]
    /// The rows an INSERT, UPDATE, DELETE, MERGE, SELECT or COPY touched (`PQcmdTuples`),
    /// 0 for other commands.
    public let affectedRows: Int
    /// Each column's type OID.
    let columnTypes: [UInt32]
    /// Every non-NULL cell's bytes, one after the other.
    let storage: [UInt8]
    /// For cell `row * columns + column`: its offset in `storage` and its length, -1 for NULL.
    let cells: [(offset: Int, length: Int)]

    init(count: Int, columnNames: [String], affectedRows: Int, columnTypes: [UInt32], storage: [UInt8], cells: [(offset: Int, length: Int)]) {
        self.count = count
        self.columnNames = columnNames
        self.affectedRows = affectedRows
        self.columnTypes = columnTypes
        self.storage = storage
        self.cells = cells
    }

    /// The index of the column named `name`, nil when there is none.
    public func column(named name: String) -> Int? {
        columnNames.firstIndex(of: name)
    }

    /// Whether the cell is NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool {
        cells[index(row, column)].length < 0
    }

    /// The cell as text (see the type's documentation for the types converted).
    public func string(_ row: Int, _ column: Int) -> String? {
        cell(row, column) { type, bytes in PostgresDecoding.string(type, bytes) }
    }

    /// The cell of an integer column.
    public func int64(_ row: Int, _ column: Int) -> Int64? {
        cell(row, column) { type, bytes in PostgresDecoding.integer(type, bytes) }
    }

    /// The cell's bytes: `bytea` as stored, `jsonb` as its JSON text, text types as UTF-8.
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        cell(row, column) { type, bytes in
            switch type {
            case PostgresType.bytea: Array(bytes)
            case PostgresType.jsonb: bytes.first == 1 ? Array(bytes.dropFirst()) : nil
            case _ where PostgresType.isText(type): Array(bytes)
            default: nil
            }
        }
    }

    /// The cell of a `bool` column.
    public func bool(_ row: Int, _ column: Int) -> Bool? {
        cell(row, column) { type, bytes in type == PostgresType.bool && bytes.count == 1 ? bytes.first != 0 : nil }
    }

    /// The cell of a floating-point or integer column.
    public func double(_ row: Int, _ column: Int) -> Double? {
        cell(row, column) { type, bytes in PostgresDecoding.double(type, bytes) }
    }

    /// The cell of a `timestamptz` or `timestamp` column, in milliseconds since the Unix
    /// epoch (rounded down).
    public func timestampMilliseconds(_ row: Int, _ column: Int) -> Int64? {
        cell(row, column) { type, bytes in PostgresDecoding.timestamp(type, bytes) }
    }

    /// Whether the cell is NULL; true when there is no such column.
    public func isNull(_ row: Int, _ column: String) -> Bool {
        self.column(named: column).map { isNull(row, $0) } ?? true
    }

    /// `string(_:_:)` by column name; nil when there is no such column.
    public func string(_ row: Int, _ column: String) -> String? { self.column(named: column).flatMap { string(row, $0) } }
    /// `int64(_:_:)` by column name; nil when there is no such column.
    public func int64(_ row: Int, _ column: String) -> Int64? { self.column(named: column).flatMap { int64(row, $0) } }
    /// `bytes(_:_:)` by column name; nil when there is no such column.
    public func bytes(_ row: Int, _ column: String) -> [UInt8]? { self.column(named: column).flatMap { bytes(row, $0) } }
    /// `bool(_:_:)` by column name; nil when there is no such column.
    public func bool(_ row: Int, _ column: String) -> Bool? { self.column(named: column).flatMap { bool(row, $0) } }
    /// `double(_:_:)` by column name; nil when there is no such column.
    public func double(_ row: Int, _ column: String) -> Double? { self.column(named: column).flatMap { double(row, $0) } }
    /// `timestampMilliseconds(_:_:)` by column name; nil when there is no such column.
    public func timestampMilliseconds(_ row: Int, _ column: String) -> Int64? {
        self.column(named: column).flatMap { timestampMilliseconds(row, $0) }
    }

    private func index(_ row: Int, _ column: Int) -> Int {
        precondition(row >= 0 && row < count && column >= 0 && column < columnNames.count,
                     "cell (\(row), \(column)) outside \(count) rows of \(columnNames.count) columns")
        return row * columnNames.count + column
    }

    private func cell<T>(_ row: Int, _ column: Int, _ convert: (UInt32, ArraySlice<UInt8>) -> T?) -> T? {
        let cell = cells[index(row, column)]
        guard cell.length >= 0 else { return nil }
        return convert(columnTypes[column], storage[cell.offset..<cell.offset + cell.length])
    }
}
