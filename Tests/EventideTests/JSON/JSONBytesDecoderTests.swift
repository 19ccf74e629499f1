import Foundation
import Testing

@testable import Eventide

/// `JSONBytesDecoder` against Foundation's `JSONDecoder`: the same values where it decodes
/// itself, and Foundation's own values and errors where it falls back.
@Suite("JSON bytes decoder")
struct JSONBytesDecoderTests {
    /// Encodes `value` with `JSONBytesEncoder` and expects the fast path (or, with
    /// `fast: false`, the fallback) to give Foundation's result.
    func expectRoundTrip<T: Codable & Equatable>(_ value: T, fast: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = try JSONBytesEncoder.encode(value)
        let foundation = try JSONDecoder().decode(T.self, from: Data(bytes))
        let direct = JSONBytesDecoder.decodeWithoutFallback(T.self, from: bytes)
        if fast {
            #expect(direct == foundation, sourceLocation: sourceLocation)
        } else {
            #expect(direct == nil, sourceLocation: sourceLocation)
        }
        #expect(try JSONBytesDecoder.decode(T.self, from: bytes) == foundation, sourceLocation: sourceLocation)
    }

    /// Decodes `text` both ways and expects the same value, or errors of the same type and
    /// description; `fast` says whether the fast path should decode it itself.
    func expectSameOutcome<T: Decodable & Equatable>(_ type: T.Type, _ text: String, fast: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        expectSameOutcome(type, Array(text.utf8), fast: fast, sourceLocation: sourceLocation)
    }

    func expectSameOutcome<T: Decodable & Equatable>(_ type: T.Type, _ bytes: [UInt8], fast: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let foundation = Result { try JSONDecoder().decode(type, from: Data(bytes)) }
        let ours = Result { try JSONBytesDecoder.decode(type, from: bytes) }
        switch (foundation, ours) {
        case (.success(let expected), .success(let actual)):
            #expect(actual == expected, sourceLocation: sourceLocation)
        case (.failure(let expected), .failure(let actual)):
            #expect("\(Swift.type(of: actual))" == "\(Swift.type(of: expected))", sourceLocation: sourceLocation)
            #expect("\(actual)" == "\(expected)", sourceLocation: sourceLocation)
        default:
            Issue.record("Foundation: \(foundation), JSONBytesDecoder: \(ours)", sourceLocation: sourceLocation)
        }
        let direct = JSONBytesDecoder.decodeWithoutFallback(type, from: bytes)
        #expect((direct != nil) == fast, "fast path for \(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    @Test func flatStructs() throws {
        try expectRoundTrip(Flat.sample)
        try expectRoundTrip(Flat(s: "", i: .min, i8: -128, u64: .max, b: false, d: -0.0, f: 0.1, opt: nil, optInt: nil))
        try expectRoundTrip(Flat(s: "x", i: .max, i8: 127, u64: 0, b: true, d: 1e-300, f: -3.4e38, opt: "", optInt: -1))
        try expectRoundTrip(Email(email: "someone@example.com"))
    }

    @Test func nestedArraysAndDictionaries() throws {
        try expectRoundTrip(Outer.sample)
        try expectRoundTrip([Outer.sample, Outer(name: "b", inner: Inner(tags: [], level: .low, color: .red), list: [], map: [:])])
        try expectRoundTrip(["a": 1, "b": -2, "ü": 3])
        try expectRoundTrip([1: "x", -7: "y"])
        try expectRoundTrip([[String: [Int?]]]([["k": [1, nil, 3]], [:]]))
    }

    @Test func enums() throws {
        try expectRoundTrip([Hue.red, .blue])
        try expectRoundTrip(Tier.high)
        for shape in [Figure.circle(radius: 2.5), .rect(w: 3, h: -4), .point, .labeled("l", 9)] {
            try expectRoundTrip(shape)
        }
        expectSameOutcome(Hue.self, #""green""#, fast: false)
        expectSameOutcome(Figure.self, #"{"circle":{"radius":1},"point":{}}"#, fast: false)
    }

    @Test func strings() throws {
        try expectRoundTrip(Inner(tags: ["héllo \"quoted\" \\ / \n\t\r\u{8}\u{C}\u{1}\u{7F} 😀 中文", "e\u{301}"], level: .low, color: .blue))
        expectSameOutcome([String].self, #"["\u00e9\ud83d\ude00\u0000\/\"", "\uD834\uDD1E x"]"#, fast: true)
        expectSameOutcome(String.self, #""\ud83d""#, fast: false)
        expectSameOutcome(String.self, #""\ude00\ud83d""#, fast: false)
        expectSameOutcome(String.self, #""\u12""#, fast: false)
        expectSameOutcome(String.self, #""\x""#, fast: false)
        expectSameOutcome(String.self, "\"tab\there\"", fast: false)
        expectSameOutcome(String.self, [0x22, 0xC3, 0x28, 0x22], fast: false)
        expectSameOutcome(String.self, [0x22, 0xE2, 0x82, 0xAC, 0x22], fast: true)
    }

    @Test func optionalsMissingAndNull() {
        expectSameOutcome(Flat.self, #"{"s":"a","i":1,"i8":2,"u64":3,"b":true,"d":1.5,"f":2}"#, fast: true)
        expectSameOutcome(Flat.self, #"{"s":"a","i":1,"i8":2,"u64":3,"b":true,"d":1.5,"f":2,"opt":null,"optInt":null}"#, fast: true)
        expectSameOutcome(Flat.self, #" { "s" : "a" , "i":1,"i8":2,"u64":3,"b":true,"d":1.5,"f":2,"opt":"o","optInt":5 } "#, fast: true)
        expectSameOutcome(Flat.self, #"{"i":1,"i8":2,"u64":3,"b":true,"d":1.5,"f":2}"#, fast: false)
        expectSameOutcome(Flat.self, #"{"s":null,"i":1,"i8":2,"u64":3,"b":true,"d":1.5,"f":2}"#, fast: false)
        expectSameOutcome(Email.self, #"{"email":"a","email":"b"}"#, fast: false)
        expectSameOutcome([Int?].self, "[null,1]", fast: true)
    }

    @Test func integers() {
        expectSameOutcome([Int8].self, "[-128,127,0]", fast: true)
        expectSameOutcome(Int8.self, "128", fast: false)
        expectSameOutcome(Int8.self, "-129", fast: false)
        expectSameOutcome(UInt8.self, "-1", fast: false)
        expectSameOutcome([Int64].self, "[-9223372036854775808,9223372036854775807]", fast: true)
        expectSameOutcome(Int64.self, "9223372036854775808", fast: false)
        expectSameOutcome(UInt64.self, "18446744073709551615", fast: true)
        expectSameOutcome(UInt64.self, "18446744073709551616", fast: false)
        expectSameOutcome([Int16].self, "[-32768,32767]", fast: true)
        expectSameOutcome([UInt32].self, "[4294967295]", fast: true)
        expectSameOutcome(UInt16.self, "65536", fast: false)
        for text in ["1.0", "1e2", "1.5", "-0", "01", "+1", "1E0", "\"1\"", "true", "null", ""] {
            expectSameOutcome(Int.self, text, fast: false)
        }
    }

    @Test func floatingPoint() {
        expectSameOutcome([Double].self, "[0,-0.0,1.5,1e10,1E-5,2.5e+3,123456789012345678,0.1,-7]", fast: true)
        expectSameOutcome([Float].self, "[0,1.5,0.1,3.4028234e38,-1]", fast: true)
        for text in ["1e400", "-1e400", "1e-400", "3.14159265358979323846264338327950288", "\"1\"", "NaN", ".5", "1.", "-", "1e"] {
            expectSameOutcome(Double.self, text, fast: false)
        }
        expectSameOutcome(Float.self, "1e39", fast: false)
        expectSameOutcome(Float.self, "1e-50", fast: false)
    }

    @Test func malformedDocuments() {
        for text in ["", " ", "{", "[1,]", "[1 2]", #"{"a":1,}"#, #"{"a" 1}"#, "{a:1}", "nul", "tru", "[1]]", "// c\n[1]", "\u{FEFF}[1]"] {
            expectSameOutcome([String: Int].self, text, fast: false)
            expectSameOutcome([Int].self, text, fast: false)
        }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        expectSameOutcome(Nested.self, deep, fast: false)
        let shallow = String(repeating: "[", count: 50) + String(repeating: "]", count: 50)
        expectSameOutcome(Nested.self, shallow, fast: true)
        expectSameOutcome(Bool.self, " true ", fast: true)
        expectSameOutcome(Email.self, "[]", fast: false)
        expectSameOutcome([Int].self, "{}", fast: false)
    }

    @Test func foundationStrategyTypesFallBack() throws {
        try expectRoundTrip(Stamped(name: "d", when: Date(timeIntervalSinceReferenceDate: 12.5)), fast: false)
        try expectRoundTrip(Stamped(name: "d", when: nil))
        try expectRoundTrip([Data([0, 1, 250])], fast: false)
        try expectRoundTrip(["u": URL(string: "https://example.com/a?b=c")!], fast: false)
        try expectRoundTrip([Decimal(string: "12.50")!], fast: false)
        expectSameOutcome(Stamped.self, #"{"name":"d","when":"soon"}"#, fast: false)
    }

    @Test func customInitWithNestedContainers() throws {
        try expectRoundTrip(Matrix(rows: [[1, 2], [], [3]], label: "m"))
        expectSameOutcome(Matrix.self, #"{"rows":[[1],[2,"x"]],"label":"m"}"#, fast: false)
        expectSameOutcome(Matrix.self, #"{"rows":[[1]]}"#, fast: false)
        expectSameOutcome(Lenient.self, #"{"x":"not a number"}"#, fast: false)
        expectSameOutcome(Lenient.self, #"{"x":4}"#, fast: true)
        expectSameOutcome(KeyList.self, #"{"b":1,"a":2}"#, fast: true)
        expectSameOutcome(Super.self, #"{"a":1}"#, fast: false)
    }
}

struct Email: Codable, Equatable {
    var email: String
}

struct Flat: Codable, Equatable {
    var s: String
    var i: Int
    var i8: Int8
    var u64: UInt64
    var b: Bool
    var d: Double
    var f: Float
    var opt: String?
    var optInt: Int?

    static let sample = Flat(s: "hello", i: 42, i8: -5, u64: 1 << 63, b: true, d: 3.25, f: 1.5, opt: "o", optInt: 7)
}

enum Hue: String, Codable { case red, blue }
enum Tier: Int, Codable { case low = 1, high = 99 }

enum Figure: Codable, Equatable {
    case circle(radius: Double)
    case rect(w: Int, h: Int)
    case point
    case labeled(String, Int)
}

struct Inner: Codable, Equatable {
    var tags: [String]
    var level: Tier
    var color: Hue?
}

struct Outer: Codable, Equatable {
    var name: String
    var inner: Inner
    var list: [Inner]
    var map: [String: Int]

    static let sample = Outer(
        name: "o", inner: Inner(tags: ["a", "b"], level: .high, color: nil),
        list: [Inner(tags: ["c"], level: .low, color: .red)], map: ["x": 1, "y": 2])
}

struct Stamped: Codable, Equatable {
    var name: String
    var when: Date?
}

/// Arrays of arrays of any depth.
struct Nested: Decodable, Equatable {
    var children: [Nested]

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var children: [Nested] = []
        while !container.isAtEnd { children.append(try container.decode(Nested.self)) }
        self.children = children
    }
}

/// Decoded by hand through nested unkeyed containers.
struct Matrix: Codable, Equatable {
    var rows: [[Int]]
    var label: String

    enum CodingKeys: String, CodingKey { case rows, label }

    init(rows: [[Int]], label: String) {
        self.rows = rows
        self.label = label
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var outer = try container.nestedUnkeyedContainer(forKey: .rows)
        var rows: [[Int]] = []
        while !outer.isAtEnd {
            var inner = try outer.nestedUnkeyedContainer()
            var row: [Int] = []
            if let count = inner.count { row.reserveCapacity(count) }
            while !inner.isAtEnd { row.append(try inner.decode(Int.self)) }
            rows.append(row)
        }
        self.rows = rows
        label = try container.decode(String.self, forKey: .label)
    }
}

/// Catches a type mismatch: the fast path must not decide what that gives.
struct Lenient: Decodable, Equatable {
    var x: Int?

    enum CodingKeys: String, CodingKey { case x }

    init(from decoder: any Decoder) throws {
        x = try? decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .x)
    }
}

/// Its keys, sorted (Foundation's `allKeys` order is its dictionary's).
struct KeyList: Decodable, Equatable {
    var keys: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONCodingKey.self)
        keys = container.allKeys.map(\.stringValue).sorted()
        #expect(container.contains(JSONCodingKey(stringValue: "a")))
        #expect(!container.contains(JSONCodingKey(stringValue: "c")))
    }
}

/// Reads through `superDecoder()`, which only Foundation does.
struct Super: Decodable, Equatable {
    var a: Int

    enum CodingKeys: String, CodingKey { case a }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        a = try container.superDecoder().container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .a)
    }
}
