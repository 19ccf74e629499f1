import Foundation
import Testing

@testable import Eventide

/// Scalars, top level and inside containers, against Foundation's `JSONEncoder`.
@Suite("JSON scalars")
struct JSONScalarTests {
    static let strings: [String] = [
        "", "plain", "Hello, World!", "a/b", "http://example.com/a/b?c=d", "quote \" backslash \\ slash /",
        "\u{8}\u{c}\n\r\t", "\u{0}", "\u{1f}", "\u{7f}", "\u{2028}\u{2029}", "héllo", "日本語", "😀👍🏽", "e\u{301}",
        "\\/", "\"\"", "ends with \\", String(repeating: "ab/\"\n", count: 500),
        String((0..<0x20).map { Character(Unicode.Scalar($0)!) }),
    ]

    @Test(arguments: strings)
    func string(_ value: String) throws {
        try expectSameAsFoundation(value)
        try expectSameAsFoundation([value])
        try expectSameAsFoundation(["key": value])
        try expectSameAsFoundation([value: value])  // as a key too
    }

    @Test func everyControlCharacterEscape() throws {
        let all = String((0..<0x80).map { Character(Unicode.Scalar($0)!) })
        let bytes = try expectSameAsFoundation(all)
        // The spelling, not only agreement: short escapes, lowercase hex, DEL raw.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e"#))
        #expect(text.contains(##"\u001f !\"#$%&'()*+,-.\/0"##))
        #expect(text.contains("[\\\\]"))
        #expect(text.hasSuffix("~\u{7f}\""))
        #expect(try fastJSON("a/b", .withoutEscapingSlashes) == "\"a/b\"")
        #expect(try fastJSON("\u{2028}é") == "\"\u{2028}é\"")
    }

    /// Each byte that needs a look (escaped, or `/`) at every position of strings longer
    /// than the eight bytes the encoder tests at once, among ASCII and multi-byte UTF-8.
    @Test func escapesAtEveryPositionOfLongStrings() throws {
        for special in ["\"", "\\", "/", "\n", "\u{1}", "\u{1f}", "\u{7f}", "é", "\u{2028}"] {
            for filler in ["abcdefghijklmnopqrstuvwx", "äöüßäöüßäöüß"] {
                let characters = Array(filler)
                for position in 0...characters.count {
                    var text = characters
                    text.insert(contentsOf: Array(special), at: position)
                    try expectSameAsFoundation(String(text))
                }
            }
        }
    }

    @Test func bools() throws {
        try expectSameAsFoundation(true)
        try expectSameAsFoundation(false)
        try expectSameAsFoundation([true, false])
    }

    @Test func integers() throws {
        try expectSameAsFoundation([0, 1, -1, 42, Int.min, Int.max])
        try expectSameAsFoundation([Int8.min, 0, Int8.max])
        try expectSameAsFoundation([Int16.min, 0, Int16.max])
        try expectSameAsFoundation([Int32.min, 0, Int32.max])
        try expectSameAsFoundation([Int64.min, -10, 0, 10, Int64.max])
        try expectSameAsFoundation([UInt.min, 9, 10, 99, 100, UInt.max])
        try expectSameAsFoundation([UInt8.min, UInt8.max])
        try expectSameAsFoundation([UInt16.min, UInt16.max])
        try expectSameAsFoundation([UInt32.min, UInt32.max])
        try expectSameAsFoundation([UInt64.min, UInt64.max])
        try expectSameAsFoundation([Int128.min, -1, 0, Int128.max])
        try expectSameAsFoundation([UInt128.min, UInt128.max])
        try expectSameAsFoundation(Int.min)
        try expectSameAsFoundation(AllIntegers())
    }

    static let doubles: [Double] = [
        0, -0.0, 1, -1, 1.0, 0.1, 0.2, 0.1 + 0.2, 1.5, 100, 123456.789, 1e15, 1e16, 1e20, 1e21, 1e-7, 1e-6, 1e-300,
        -1e-300, 3 * .leastNonzeroMagnitude, .pi, Double(Int64.max), Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude,
        Double.leastNormalMagnitude, Double.leastNonzeroMagnitude, Double.ulpOfOne, 1.2345678901234567e19,
    ]

    @Test func doubles() throws {
        try expectSameAsFoundation(Self.doubles)
        for value in Self.doubles {
            try expectSameAsFoundation(value)
            try expectSameAsFoundation(["value": value])
        }
        #expect(try fastJSON([1.0, 0.1, 1e20, 1e-7, -0.0]) == "[1,0.1,1e+20,1e-07,-0]")
    }

    @Test func floats() throws {
        let floats: [Float] = [
            0, -0.0, 1, 0.1, 1.5, 1e20, 1e-7, .pi, Float(Int32.max), .greatestFiniteMagnitude, .leastNonzeroMagnitude, 3.4e38,
        ]
        try expectSameAsFoundation(floats)
        for value in floats { try expectSameAsFoundation(value) }
    }

    @Test func optionalsAtTheTop() throws {
        try expectSameAsFoundation(Int?.none)
        try expectSameAsFoundation(Int?.some(3))
        try expectSameAsFoundation(String??.some(.none))
        try expectSameAsFoundation([1, nil, 3] as [Int?])
    }
}

/// Every integer type through a keyed container's concrete overloads.
private struct AllIntegers: Encodable {
    var int = Int.min, int8 = Int8.min, int16 = Int16.min, int32 = Int32.min, int64 = Int64.min, int128 = Int128.min
    var uint = UInt.max, uint8 = UInt8.max, uint16 = UInt16.max, uint32 = UInt32.max, uint64 = UInt64.max
    var uint128 = UInt128.max
    var float: Float = 0.1, double = 0.1, bool = true, string = "s"
}
