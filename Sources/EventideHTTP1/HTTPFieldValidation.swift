/// Validation of header field names and values before they are written, guarding against
/// response splitting (CR/LF or other control characters smuggled into a header).
public enum HTTPFieldValidation {
    /// Whether `name` is a non-empty `token` (RFC 9110 §5.1).
    public static func isValidName(_ name: String) -> Bool {
        ASCII.withUTF8(name) { isValidName($0) }
    }

    /// Whether `value` contains only field-value characters: HTAB, SP, VCHAR and obs-text —
    /// in particular no CR, LF or NUL (RFC 9110 §5.5).
    public static func isValidValue(_ value: String) -> Bool {
        ASCII.withUTF8(value) { isValidValue($0) }
    }

    static func isValidName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        for b in bytes where !ASCII.isTChar(b) { return false }
        return true
    }

    static func isValidValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(bytes)
        return ASCII.allFieldValueBytes(raw, 0..<raw.count)
    }
}
