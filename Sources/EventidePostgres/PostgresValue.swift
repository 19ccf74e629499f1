/// A statement parameter. Each is sent in binary format with its type's OID, so the
/// server never parses text and the type is fixed by the case, not inferred.
public enum PostgresValue: Sendable, Equatable {
    /// SQL NULL, sent without a type: the server infers it from the statement.
    case null
    /// `bool`
    case bool(Bool)
    /// `int4`
    case int32(Int32)
    /// `int8`
    case int64(Int64)
    /// `float8`
    case float64(Double)
    /// `text` (UTF-8)
    case text(String)
    /// `bytea`
    case bytea([UInt8])
    /// `jsonb`, from the bytes of its JSON text.
    case jsonb([UInt8])
    /// `timestamptz`, in milliseconds since the Unix epoch.
    case timestamp(milliseconds: Int64)
    /// `int8[]`
    case int64Array([Int64])
    /// `int4[]`
    case int32Array([Int32])
    /// `text[]`; nil elements are NULL.
    case textArray([String?])
    /// `jsonb[]`, each element the bytes of its JSON text.
    case jsonbArray([[UInt8]])
    /// `timestamptz[]` in milliseconds since the Unix epoch; nil elements are NULL.
    case timestampArray([Int64?])
    /// `bool[]`
    case boolArray([Bool])
}
