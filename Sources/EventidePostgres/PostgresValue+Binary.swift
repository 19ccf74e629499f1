extension PostgresValue {
    /// The type OID sent with the value (0 for NULL: the server infers it).
    var typeOID: UInt32 {
        switch self {
        case .null: 0
        case .bool: PostgresType.bool
        case .int32: PostgresType.int4
        case .int64: PostgresType.int8
        case .float64: PostgresType.float8
        case .text: PostgresType.text
        case .bytea: PostgresType.bytea
        case .jsonb: PostgresType.jsonb
        case .timestamp: PostgresType.timestamptz
        case .int64Array: PostgresType.int8Array
        case .int32Array: PostgresType.int4Array
        case .textArray: PostgresType.textArray
        case .jsonbArray: PostgresType.jsonbArray
        case .timestampArray: PostgresType.timestamptzArray
        case .boolArray: PostgresType.boolArray
        }
    }

    /// The value in PostgreSQL's binary format, nil for NULL.
    var binary: [UInt8]? {
        var out: [UInt8] = []
        switch self {
        case .null: return nil
        case .bool(let value): out.append(value ? 1 : 0)
        case .int32(let value): out.appendBigEndian(value)
        case .int64(let value): out.appendBigEndian(value)
        case .float64(let value): out.appendBigEndian(value.bitPattern)
        case .text(let value): out.append(contentsOf: value.utf8)
        case .bytea(let value): out = value
        case .jsonb(let value): out.reserveCapacity(value.count + 1); out.append(1); out.append(contentsOf: value)
        case .timestamp(let milliseconds): out.appendBigEndian(Self.microseconds(milliseconds))
        case .int64Array(let values):
            out.appendArray(of: PostgresType.int8, values.map { element in [UInt8](bigEndian: element) })
        case .int32Array(let values):
            out.appendArray(of: PostgresType.int4, values.map { element in [UInt8](bigEndian: element) })
        case .textArray(let values):
            out.appendArray(of: PostgresType.text, values.map { $0.map { Array($0.utf8) } })
        case .jsonbArray(let values):
            out.appendArray(of: PostgresType.jsonb, values.map { [1] + $0 })
        case .timestampArray(let values):
            out.appendArray(of: PostgresType.timestamptz, values.map { $0.map { [UInt8](bigEndian: Self.microseconds($0)) } })
        case .boolArray(let values):
            out.appendArray(of: PostgresType.bool, values.map { [$0 ? 1 : 0] })
        }
        return out
    }

    /// A `timestamptz` on the wire: microseconds since 2000-01-01 UTC.
    private static func microseconds(_ milliseconds: Int64) -> Int64 {
        (milliseconds - PostgresType.epochOffsetMilliseconds) * 1000
    }
}

extension [UInt8] {
    init<T: FixedWidthInteger>(bigEndian value: T) {
        self = []
        appendBigEndian(value)
    }

    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// A one-dimensional array in binary format: dimensions, null flag, element type,
    /// length and lower bound 1, then each element as length (-1 for NULL) and bytes.
    mutating func appendArray(of elementType: UInt32, _ elements: [[UInt8]?]) {
        appendBigEndian(Int32(elements.isEmpty ? 0 : 1))
        appendBigEndian(Int32(elements.contains(nil) ? 1 : 0))
        appendBigEndian(elementType)
        guard !elements.isEmpty else { return }
        appendBigEndian(Int32(elements.count))
        appendBigEndian(Int32(1))
        for element in elements {
            if let element {
                appendBigEndian(Int32(element.count))
                append(contentsOf: element)
            } else {
                appendBigEndian(Int32(-1))
            }
        }
    }
}
