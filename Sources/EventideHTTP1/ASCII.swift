/// Byte-level character classes from RFC 9110 / RFC 9112, used by the parser and serializer.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let dquote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C

    // Bitmask of the ASCII bytes that are `tchar`, in two words (no table load on the hot path).
    private static let tcharLow: UInt64 = 0x03FF_6CFA_0000_0000
    private static let tcharHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    /// `tchar` from RFC 9110 §5.6.2.
    @inline(__always)
    static func isTChar(_ b: UInt8) -> Bool {
        if b < 64 { return (tcharLow >> UInt64(b)) & 1 != 0 }
        if b < 128 { return (tcharHigh >> UInt64(b &- 64)) & 1 != 0 }
        return false
    }

    /// SP or HTAB (`OWS` / `BWS` characters).
    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == sp || b == htab
    }

    /// Visible ASCII (`VCHAR`, 0x21–0x7E).
    @inline(__always)
    static func isVisible(_ b: UInt8) -> Bool {
        b &- 0x21 < 0x5E
    }

    /// A byte allowed inside a field value: HTAB, SP, VCHAR or obs-text (no other CTL, no DEL).
    @inline(__always)
    static func isFieldValueByte(_ b: UInt8) -> Bool {
        (b >= 0x20 && b != 0x7F) || b == htab
    }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b &- 0x30)
        case 0x41...0x46: return Int(b &- 0x41 &+ 10)
        case 0x61...0x66: return Int(b &- 0x61 &+ 10)
        default: return nil
        }
    }

    /// ASCII lowercase of one byte.
    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first `byte` in `bytes[from..<to]`, or `to`. Compares 8 bytes per step.
    @inline(__always)
    static func firstIndex(
        of byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int
    ) -> Int {
        var i = from
        if let base = bytes.baseAddress {
            let pattern = UInt64(byte) &* ones
            while i &+ 8 <= to {
                let word = UInt64(
                    littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let x = word ^ pattern
                // Nonzero iff some byte of x is zero; the lowest flagged byte is exact.
                let found = (x &- ones) & ~x & highBits
                if found != 0 { return i &+ found.trailingZeroBitCount >> 3 }
                i &+= 8
            }
        }
        while i < to && bytes[i] != byte { i &+= 1 }
        return i
    }

    /// Whether every byte of `bytes[range]` is a field-value byte (no CTL other than HTAB,
    /// no DEL). Checks 8 bytes per step, falling back to single bytes near a suspect.
    @inline(__always)
    static func allFieldValueBytes(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var i = range.lowerBound
        let end = range.upperBound
        if let base = bytes.baseAddress {
            while i &+ 8 <= end {
                let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let below20 = (x &- 0x20 &* ones) & ~x & highBits
                let del = x ^ (0x7F &* ones)
                let isDel = (del &- ones) & ~del & highBits
                if below20 | isDel != 0 { break }
                i &+= 8
            }
        }
        while i < end {
            if !isFieldValueByte(bytes[i]) { return false }
            i &+= 1
        }
        return true
    }

    /// Calls `body` with the UTF-8 bytes of `string` (no copy for native strings).
    @inline(__always)
    static func withUTF8<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = string
        return copy.withUTF8(body)
    }

    /// Whether `bytes[range]` equals the lowercase ASCII `literal`, ignoring ASCII case.
    @inline(__always)
    static func equalsLowercased(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString
    ) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        var i = range.lowerBound
        var j = 0
        while i < range.upperBound {
            if lower(bytes[i]) != lit[j] { return false }
            i &+= 1
            j &+= 1
        }
        return true
    }

    /// ASCII case-insensitive comparison of two strings.
    static func caseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return withUTF8(a) { a in
            withUTF8(b) { b in caseInsensitiveEquals(a, b) }
        }
    }

    /// ASCII case-insensitive comparison of two byte buffers.
    static func caseInsensitiveEquals(
        _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] {
            if lower(a[i]) != lower(b[i]) { return false }
        }
        return true
    }

    /// Whether `bytes` equal the lowercase ASCII `literal`, ignoring ASCII case.
    @inline(__always)
    static func caseInsensitiveEquals(
        _ bytes: UnsafeBufferPointer<UInt8>, lowercased literal: StaticString
    ) -> Bool {
        caseInsensitiveEquals(
            bytes, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Makes a `String` from a byte range (invalid UTF-8 in obs-text is repaired with U+FFFD).
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
