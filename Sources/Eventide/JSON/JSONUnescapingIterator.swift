/// The UTF-8 bytes of a string as it was before `JSONEncodingState.writeString` escaped it,
/// read back from the output (only the escapes that function writes are understood).
struct JSONUnescapingIterator: IteratorProtocol {
    private let output: UnsafeBufferPointer<UInt8>
    private var index: Int
    private let end: Int

    /// The string written between `start` and `end` (its quotes excluded).
    init(_ output: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        self.output = output
        index = start
        self.end = end
    }

    mutating func next() -> UInt8? {
        guard index < end else { return nil }
        let byte = output[index]
        index += 1
        guard byte == UInt8(ascii: "\\") else { return byte }
        let escape = output[index]
        index += 1
        switch escape {
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "u"):
            // \u00xx: only bytes below 0x20 are written this way.
            let value = Self.hexValue(output[index + 2]) << 4 | Self.hexValue(output[index + 3])
            index += 4
            return value
        default:  // " \ /
            return escape
        }
    }

    private static func hexValue(_ digit: UInt8) -> UInt8 {
        digit <= UInt8(ascii: "9") ? digit - UInt8(ascii: "0") : digit - UInt8(ascii: "a") + 10
    }
}
