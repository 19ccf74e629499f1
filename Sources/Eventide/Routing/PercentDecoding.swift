import EventideHTTP1

/// Percent-decoding (RFC 3986 section 2.1) of URL components into UTF-8 Strings.
enum PercentDecoding {
    /// Strictly decodes `bytes`.
    ///
    /// - Parameter plusAsSpace: decode `+` as a space (query strings); paths keep `+`.
    /// - Returns: `nil` when a `%` is not followed by two hex digits or when
    ///   the decoded bytes are not valid UTF-8.
    static func decode(_ bytes: some Collection<UInt8>, plusAsSpace: Bool) -> String? {
        guard needsDecoding(bytes, plusAsSpace: plusAsSpace) else {
            return validUTF8String(bytes)
        }
        // Decoding only shrinks, so `count` bytes always suffice; stack-allocated when small.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { buffer -> String? in
            guard let length = decodeBytes(bytes, into: buffer, plusAsSpace: plusAsSpace, lenient: false) else {
                return nil
            }
            return validUTF8String(UnsafeBufferPointer(rebasing: buffer[..<length]))
        }
    }

    /// Strictly decodes `text`; an escape-free input is returned without re-validation.
    static func decode(_ text: some StringProtocol, plusAsSpace: Bool) -> String? {
        guard needsDecoding(text.utf8, plusAsSpace: plusAsSpace) else { return String(text) }
        return decode(text.utf8, plusAsSpace: plusAsSpace)
    }

    /// Decodes `bytes` without ever failing: a malformed `%` escape is kept
    /// literally and invalid UTF-8 is replaced with U+FFFD (like browsers'
    /// `URLSearchParams`).
    static func decodeLenient(_ bytes: some Collection<UInt8>, plusAsSpace: Bool) -> String {
        guard needsDecoding(bytes, plusAsSpace: plusAsSpace) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { buffer -> String in
            let length = decodeBytes(bytes, into: buffer, plusAsSpace: plusAsSpace, lenient: true) ?? 0
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<length]), as: UTF8.self)
        }
    }

    /// Lenient decoding of `text`; an escape-free input is returned as is.
    static func decodeLenient(_ text: some StringProtocol, plusAsSpace: Bool) -> String {
        guard needsDecoding(text.utf8, plusAsSpace: plusAsSpace) else { return String(text) }
        return decodeLenient(text.utf8, plusAsSpace: plusAsSpace)
    }

    /// `bytes` as a String, or `nil` if they are not valid UTF-8.
    ///
    /// Decoding with repair and comparing is used instead of `String(validating:)`,
    /// whose generic implementation looks up type metadata at run time on every call.
    /// Any repair replaces an invalid byte with U+FFFD, so the bytes differ exactly when the input was invalid.
    private static func validUTF8String(_ bytes: some Collection<UInt8>) -> String? {
        // ASCII is valid UTF-8: the common case skips the comparison, a byte-by-byte walk
        // through String.UTF8View that cost ~1% of a request with a path parameter.
        let string = String(decoding: bytes, as: UTF8.self)
        if !bytes.contains(where: { $0 >= 0x80 }) { return string }
        return string.utf8.elementsEqual(bytes) ? string : nil
    }

    private static func needsDecoding(_ bytes: some Collection<UInt8>, plusAsSpace: Bool) -> Bool {
        bytes.contains { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }
    }

    /// Writes the decoded bytes into `buffer` (at least `bytes.count` long) and
    /// returns how many were written, or `nil` on a malformed escape when strict.
    private static func decodeBytes(
        _ bytes: some Collection<UInt8>,
        into buffer: UnsafeMutableBufferPointer<UInt8>,
        plusAsSpace: Bool,
        lenient: Bool
    ) -> Int? {
        var written = 0
        var index = bytes.startIndex
        while index != bytes.endIndex {
            var byte = bytes[index]
            bytes.formIndex(after: &index)
            if byte == UInt8(ascii: "%") {
                if index != bytes.endIndex,
                    let high = hexValue(bytes[index]),
                    case let next = bytes.index(after: index), next != bytes.endIndex,
                    let low = hexValue(bytes[next])
                {
                    byte = high << 4 | low
                    index = bytes.index(after: next)
                } else if !lenient {
                    return nil
                }
            } else if plusAsSpace && byte == UInt8(ascii: "+") {
                byte = UInt8(ascii: " ")
            }
            buffer.initializeElement(at: written, to: byte)
            written += 1
        }
        return written
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
