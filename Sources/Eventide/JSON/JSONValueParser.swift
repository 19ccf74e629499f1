/// A parsed JSON value, as `JSONValueDecoder` reads it.
enum JSONDecodingValue {
    case null
    case bool(Bool)
    /// Its text, validated against the JSON number grammar.
    case number(String)
    case string(String)
    case array([JSONDecodingValue])
    /// Members in the order written, keys all different.
    case object([(key: String, value: JSONDecodingValue)])
}

/// Strict RFC 8259 parsing of a whole document into a `JSONDecodingValue`; `nil` for
/// anything Foundation might read differently or reject.
struct JSONValueParser: ~Copyable {
    /// Deeper documents go to Foundation, which has its own limit.
    static let maximumDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The document's value, or `nil` if it is not one value with optional white space.
    static func parse(_ bytes: [UInt8]) -> JSONDecodingValue? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONValueParser(buffer)
            guard let value = parser.value() else { return nil }
            parser.skipWhitespace()
            return parser.index == buffer.count ? value : nil
        }
    }

    /// The next byte after white space, 0 past the end.
    private mutating func peek() -> UInt8 {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : 0
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value() -> JSONDecodingValue? {
        switch peek() {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ text: StaticString, _ value: JSONDecodingValue) -> JSONDecodingValue? {
        let count = text.utf8CodeUnitCount
        guard bytes.count - index >= count else { return nil }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return nil }
        index += count
        return value
    }

    private mutating func object() -> JSONDecodingValue? {
        depth += 1
        guard depth <= Self.maximumDepth else { return nil }
        index += 1
        var members: [(key: String, value: JSONDecodingValue)] = []
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            guard peek() == UInt8(ascii: "\""), let key = string() else { return nil }
            guard peek() == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let value = value() else { return nil }
            // Foundation keeps the last of repeated keys; rare enough to leave to it.
            guard !members.contains(where: { $0.key == key }) else { return nil }
            members.append((key, value))
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(members)
            default: return nil
            }
        }
    }

    private mutating func array() -> JSONDecodingValue? {
        depth += 1
        guard depth <= Self.maximumDepth else { return nil }
        index += 1
        var elements: [JSONDecodingValue] = []
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            guard let value = value() else { return nil }
            elements.append(value)
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(elements)
            default: return nil
            }
        }
    }

    /// A string token at `index` (on its opening quote), unescaped and checked as UTF-8.
    private mutating func string() -> String? {
        index += 1
        let start = index
        // Every byte ORed: below 0x80 at the end means all ASCII, which is valid UTF-8 as
        // it is. `String(validating:)` reached the standard library's unspecialized path
        // (a generic-metadata lookup): about 1,000 instructions for a short string.
        var bits: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let utf8 = UnsafeBufferPointer(rebasing: bytes[start..<index])
                let text = bits < 0x80 ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            guard byte >= 0x20 else { return nil }
            bits |= byte
            index += 1
        }
        return nil
    }

    /// The rest of a string that has escapes, its bytes from `start` to `index` plain.
    private mutating func escapedString(from start: Int) -> String? {
        var utf8 = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return String(validating: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    utf8.append(contentsOf: UTF8.encode(scalar)!)
                default: return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                utf8.append(byte)
            }
        }
        return nil
    }

    /// The scalar of a `\uXXXX` escape (after its `u`), a surrogate pair taking two; `nil`
    /// for a lone surrogate.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let unit = hex4() else { return nil }
        switch unit {
        case 0xD800...0xDBFF:
            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
            index += 2
            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        case 0xDC00...0xDFFF: return nil
        default: return Unicode.Scalar(unit)
        }
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var unit: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt32(digit)
        }
        return unit
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text.
    private mutating func number() -> JSONDecodingValue? {
        let start = index
        if byte(is: "-") { index += 1 }
        if byte(is: "0") {
            index += 1
        } else {
            guard digits() else { return nil }
        }
        if byte(is: ".") {
            index += 1
            guard digits() else { return nil }
        }
        if byte(is: "e") || byte(is: "E") {
            index += 1
            if byte(is: "+") || byte(is: "-") { index += 1 }
            guard digits() else { return nil }
        }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    private func byte(is ascii: Unicode.Scalar) -> Bool {
        index < bytes.count && bytes[index] == UInt8(ascii: ascii)
    }

    /// Skips one or more digits; `false` if there is none.
    private mutating func digits() -> Bool {
        let start = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
        return index > start
    }
}
