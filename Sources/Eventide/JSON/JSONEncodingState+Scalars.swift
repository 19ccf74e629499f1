import EventideHTTP1

// Scalars as Foundation's JSONEncoder writes them.

extension JSONEncodingState {
    func writeNull() {
        writeASCII("null")
    }

    func writeBool(_ value: Bool) {
        writeASCII(value ? "true" : "false")
    }

    /// Literal ASCII (no temporary array).
    func writeASCII(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Decimal digits, `-` for negatives: what `description` gives, without the String.
    func writeInteger<T: FixedWidthInteger>(_ value: T) {
        guard T.bitWidth <= 64 else {
            bytes.append(contentsOf: value.description.utf8)
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var remaining = UInt64(value.magnitude)
        var digits = 1
        var scan = remaining
        while scan >= 10 {
            scan /= 10
            digits += 1
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        bytes.withUnsafeMutableBufferPointer { buffer in
            var index = start + digits
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
                remaining /= 10
            } while remaining > 0
        }
    }

    /// `description` without a trailing `.0` (`1.0` → `1`, `-0.0` → `-0`, `1e-07` as is).
    /// NaN and the infinities fall back: Foundation throws for them by default.
    func writeFloatingPoint<T: BinaryFloatingPoint & CustomStringConvertible>(_ value: T) throws {
        guard value.isFinite else { throw fallback() }
        bytes.append(contentsOf: value.description.utf8)
        let count = bytes.count
        if count >= 2, bytes[count - 2] == UInt8(ascii: "."), bytes[count - 1] == UInt8(ascii: "0") {
            bytes.removeLast(2)
        }
    }

    /// A quoted string, escaped as Foundation does: `"` and `\` always, `/` unless
    /// `.withoutEscapingSlashes`, `\b \f \n \r \t`, other bytes below 0x20 as `\u00xx`
    /// (lowercase hex); everything else, DEL, U+2028, U+2029 and all non-ASCII included,
    /// passes through as UTF-8.
    func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                    || (byte == UInt8(ascii: "/") && escapesSlashes)
                else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                writeEscape(for: byte)
                runStart = index + 1
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private func writeEscape(for byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x00..<0x20:
            writeASCII("u00")
            bytes.append(byte < 0x10 ? UInt8(ascii: "0") : UInt8(ascii: "1"))
            let low = byte & 0xF
            bytes.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
        default:  // " \ /
            bytes.append(byte)
        }
    }
}
