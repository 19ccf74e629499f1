/// The type OIDs this module sends or converts (`pg_type.oid`, fixed since PostgreSQL 7.x).
enum PostgresType {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let json: UInt32 = 114
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let unknown: UInt32 = 705
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let numeric: UInt32 = 1700
    static let uuid: UInt32 = 2950
    static let jsonb: UInt32 = 3802
    static let boolArray: UInt32 = 1000
    static let int4Array: UInt32 = 1007
    static let textArray: UInt32 = 1009
    static let int8Array: UInt32 = 1016
    static let timestamptzArray: UInt32 = 1185
    static let jsonbArray: UInt32 = 3807

    /// Types whose binary form is their UTF-8 text.
    static func isText(_ type: UInt32) -> Bool {
        type == text || type == varchar || type == name || type == json || type == bpchar || type == unknown
    }

    /// Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00 UTC).
    static let epochOffsetMilliseconds: Int64 = 946_684_800_000
}
