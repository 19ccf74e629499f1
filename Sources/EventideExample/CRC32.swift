/// The CRC-32 checksum of zlib, gzip and PNG (reflected polynomial 0xEDB88320, initial and
/// final value 0xFFFFFFFF): `CRC32.checksum("123456789")` is 0xCBF43926.
enum CRC32 {
    /// One entry per byte value: the remainder after shifting that byte through the register.
    private static let table: [UInt32] = (0..<256).map { index in
        var remainder = UInt32(index)
        for _ in 0..<8 {
            remainder = remainder & 1 == 1 ? (remainder >> 1) ^ 0xEDB8_8320 : remainder >> 1
        }
        return remainder
    }

    /// The checksum of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8)
            }
            return ~crc
        }
    }

    /// The checksum as 8 lowercase hex digits.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = String(checksum(bytes), radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
