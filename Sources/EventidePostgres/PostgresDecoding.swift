/// Conversions of binary-format cells, by type OID.
enum PostgresDecoding {
    static func integer(_ type: UInt32, _ bytes: ArraySlice<UInt8>) -> Int64? {
        switch (type, bytes.count) {
        case (PostgresType.int2, 2): Int64(Int16(truncatingIfNeeded: bigEndian(bytes)))
        case (PostgresType.int4, 4): Int64(Int32(truncatingIfNeeded: bigEndian(bytes)))
        case (PostgresType.int8, 8): Int64(bitPattern: bigEndian(bytes))
        case (PostgresType.oid, 4): Int64(bigEndian(bytes))
        default: nil
        }
    }

    static func double(_ type: UInt32, _ bytes: ArraySlice<UInt8>) -> Double? {
        switch (type, bytes.count) {
        case (PostgresType.float8, 8): Double(bitPattern: bigEndian(bytes))
        case (PostgresType.float4, 4): Double(Float(bitPattern: UInt32(bigEndian(bytes))))
        case (PostgresType.numeric, _): numeric(bytes).flatMap(Double.init)
        default: integer(type, bytes).map(Double.init)
        }
    }

    static func timestamp(_ type: UInt32, _ bytes: ArraySlice<UInt8>) -> Int64? {
        guard type == PostgresType.timestamptz || type == PostgresType.timestamp, bytes.count == 8 else { return nil }
        let microseconds = Int64(bitPattern: bigEndian(bytes))
        let (quotient, remainder) = microseconds.quotientAndRemainder(dividingBy: 1000)
        return (remainder < 0 ? quotient - 1 : quotient) + PostgresType.epochOffsetMilliseconds
    }

    static func string(_ type: UInt32, _ bytes: ArraySlice<UInt8>) -> String? {
        switch type {
        case _ where PostgresType.isText(type): String(decoding: bytes, as: UTF8.self)
        case PostgresType.jsonb: bytes.first == 1 ? String(decoding: bytes.dropFirst(), as: UTF8.self) : nil
        case PostgresType.bool: bytes.count == 1 ? (bytes.first != 0 ? "true" : "false") : nil
        case PostgresType.float4, PostgresType.float8: double(type, bytes).map { "\($0)" }
        case PostgresType.numeric: numeric(bytes)
        case PostgresType.uuid: uuid(bytes)
        default: integer(type, bytes).map { "\($0)" }
        }
    }

    /// The big-endian unsigned integer in `bytes` (at most 8 of them).
    static func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// `numeric`: digit count, weight, sign and display scale (int16 each), then base-10000
    /// digits; digit k counts 10000^(weight - k).
    static func numeric(_ bytes: ArraySlice<UInt8>) -> String? {
        let bytes = Array(bytes)
        guard bytes.count >= 8 else { return nil }
        func int16(_ at: Int) -> Int { Int(Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]))) }
        let count = int16(0), weight = int16(2), sign = UInt16(bitPattern: Int16(int16(4))), scale = int16(6)
        guard bytes.count == 8 + 2 * count else { return nil }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: break
        }
        func digit(_ k: Int) -> Int { k >= 0 && k < count ? int16(8 + 2 * k) : 0 }
        func padded(_ value: Int) -> String { String(String(value + 10000).dropFirst()) }
        var text = sign == 0x4000 ? "-" : ""
        text += weight < 0 ? "0" : String(digit(0)) + (0..<weight).map { padded(digit($0 + 1)) }.joined()
        if scale > 0 {
            var fraction = ""
            var k = weight + 1
            while fraction.count < scale {
                fraction += padded(digit(k))
                k += 1
            }
            text += "." + fraction.prefix(scale)
        }
        return text
    }

    static func uuid(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.count == 16 else { return nil }
        let hex = bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }
}
