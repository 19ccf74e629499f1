/// JSON text with every object's members sorted by the raw bytes of their keys, all other
/// tokens kept byte for byte (number spelling, string escapes). Two outputs with the same
/// canonical form differ at most in member order, the one thing Foundation's `JSONEncoder`
/// leaves to its dictionary without `.sortedKeys`. Compact JSON only: anything else (white
/// space included) gives a form starting with "invalid", so the comparison fails.
func canonicalJSON(_ bytes: [UInt8]) -> String {
    var reader = CanonicalReader(bytes: bytes)
    let text = reader.value()
    guard reader.valid, reader.index == bytes.count else {
        return "invalid at byte \(reader.index): \(String(decoding: bytes, as: UTF8.self))"
    }
    return text
}

private struct CanonicalReader {
    let bytes: [UInt8]
    var index = 0
    var valid = true

    /// The next byte, 0 past the end.
    var next: UInt8 { index < bytes.count ? bytes[index] : 0 }

    mutating func value() -> String {
        guard valid else { return "" }
        switch next {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: String)] = []
            while valid, next != UInt8(ascii: "}") {
                if !members.isEmpty { expect(",") }
                let key = string()
                expect(":")
                members.append((key, value()))
            }
            index += 1
            members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return "{" + members.map { "\($0.key):\($0.value)" }.joined(separator: ",") + "}"
        case UInt8(ascii: "["):
            index += 1
            var elements: [String] = []
            while valid, next != UInt8(ascii: "]") {
                if !elements.isEmpty { expect(",") }
                elements.append(value())
            }
            index += 1
            return "[" + elements.joined(separator: ",") + "]"
        case UInt8(ascii: "\""):
            return string()
        default:
            let start = index
            while index < bytes.count, Self.isScalarByte(bytes[index]) { index += 1 }
            if start == index { valid = false }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }

    /// A string token as written, quotes and escapes included.
    mutating func string() -> String {
        let start = index
        expect("\"")
        while valid, next != UInt8(ascii: "\"") {
            if index >= bytes.count { valid = false }
            index += next == UInt8(ascii: "\\") ? 2 : 1
        }
        index += 1
        return String(decoding: bytes[start..<min(index, bytes.count)], as: UTF8.self)
    }

    mutating func expect(_ character: Unicode.Scalar) {
        if next == UInt8(ascii: character) { index += 1 } else { valid = false }
    }

    /// Bytes of numbers, `true`, `false` and `null`.
    static func isScalarByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "E")
    }
}
