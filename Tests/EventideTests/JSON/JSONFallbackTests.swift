import Foundation
import Testing

@testable import Eventide

/// What `JSONBytesEncoder` hands to Foundation, and that the result is then Foundation's.
@Suite("JSON fallback")
struct JSONFallbackTests {
    static let date = Date(timeIntervalSinceReferenceDate: 12.5)

    /// Falls back under every formatting, and `encode` then gives Foundation's bytes.
    func expectFallback<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for formatting in supportedFormattings {
            #expect(try JSONBytesEncoder.encodeWithoutFallback(value, formatting: formatting) == nil, sourceLocation: sourceLocation)
        }
        let sorted: JSONEncoder.OutputFormatting = [.sortedKeys]
        #expect(try JSONBytesEncoder.encode(value, formatting: sorted) == foundationJSON(value, sorted), sourceLocation: sourceLocation)
    }

    @Test func foundationStrategyTypes() throws {
        try expectFallback(Self.date)
        try expectFallback(Data([0, 1, 2, 250]))
        try expectFallback(URL(string: "https://example.com/a?b=c")!)
        try expectFallback(Decimal(string: "12.50")!)
    }

    @Test func strategyTypesInsideOtherValues() throws {
        try expectFallback([Self.date])
        try expectFallback(["when": Self.date])
        try expectFallback(Dated(when: Self.date))
        try expectFallback(Dated(when: nil, later: Self.date))
        try expectFallback([Wrapper(wrapped: Data([1]))])
        try expectFallback(["links": [URL(string: "https://example.com/")!]])
        try expectFallback([[Decimal(1)]])
        // The same shapes without them stay on the fast path.
        try expectSameAsFoundation(Dated(when: nil))
    }

    @Test func nonConformingFloats() throws {
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(try JSONBytesEncoder.encodeWithoutFallback(["x": value]) == nil)
            #expect(throws: EncodingError.self) { try JSONBytesEncoder.encode(["x": value]) }
            #expect(throws: EncodingError.self) { try Response.json([value]) }
        }
        #expect(try JSONBytesEncoder.encodeWithoutFallback([Float.nan]) == nil)
        #expect(throws: EncodingError.self) { try JSONBytesEncoder.encode(Wrapper(wrapped: Float.infinity)) }
    }

    @Test func duplicateKeysKeepTheLastValue() throws {
        try expectFallback(Duplicates(nested: false))
        try expectFallback(Duplicates(nested: true))
        #expect(try fastJSON(Duplicates(nested: false), .sortedKeys) == #"{"a":3,"b":2}"#)
        #expect(try fastJSON(Duplicates(nested: true), .sortedKeys) == #"{"a":[1,3],"b":2}"#)
        try expectFallback(Dictionary(uniqueKeysWithValues: (0..<40).map { (Tag(name: "t\($0 % 20)", id: $0), $0) }))
    }

    @Test func containersUsedOutOfOrder() throws {
        try expectFallback(OutOfOrder())
        try expectFallback(LateSuperEncoder())
    }

    @Test func emptyTopLevelThrowsFoundationsError() throws {
        #expect(try JSONBytesEncoder.encodeWithoutFallback(Silent()) == nil)
        #expect(throws: EncodingError.self) { try JSONBytesEncoder.encode(Silent()) }
        #expect(throws: EncodingError.self) { try Response.json(Silent()) }
    }

    @Test func prettyPrintingIsFoundations() throws {
        let pretty: JSONEncoder.OutputFormatting = [.prettyPrinted, .sortedKeys]
        #expect(try JSONBytesEncoder.encodeWithoutFallback(Point(x: 1, y: 2), formatting: pretty) == nil)
        #expect(try JSONBytesEncoder.encode(Point(x: 1, y: 2), formatting: pretty) == foundationJSON(Point(x: 1, y: 2), pretty))
    }

    @Test func nestingBeyondTheLimit() throws {
        try expectFallback(Nesting(depth: JSONEncodingState.maximumDepth + 10, objects: true))
    }

    @Test func aValueThatSwallowsTheFallback() throws {
        try expectFallback(Swallowing())
    }

    @Test func aValueThatCatchesANestedError() throws {
        try expectFallback(Forgiving())
    }

    @Test func errorsOfTheValuePropagate() throws {
        #expect(throws: Refusal.self) { try JSONBytesEncoder.encode(Refusing()) }
        #expect(throws: Refusal.self) { try JSONBytesEncoder.encode(["a": [Refusing()]]) }
        #expect(throws: Refusal.self) { try JSONBytesEncoder.encode(Refusing(afterDate: true)) }  // via the fallback
        #expect(throws: Refusal.self) { try Response.json(Refusing()) }
        #expect(throws: Refusal.self) { try ["a": Refusing()].makeResponse() }
    }
}

struct Dated: Encodable {
    var when: Date?
    var later: Date? = nil
    var label = "d"
}

/// Encodes key `a` twice: Foundation keeps the last value, or, for an array followed by a
/// nested unkeyed container on the same key, appends to the array.
struct Duplicates: Encodable {
    var nested: Bool
    enum Keys: String, CodingKey { case a, b }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        if nested {
            try container.encode([1], forKey: .a)
            try container.encode(2, forKey: .b)
            var inner = container.nestedUnkeyedContainer(forKey: .a)
            try inner.encode(3)
        } else {
            try container.encode(1, forKey: .a)
            try container.encode(2, forKey: .b)
            try container.encode(3, forKey: .a)
        }
    }
}

/// A key type whose distinct values share a string: a dictionary of them repeats keys.
struct Tag: Hashable, Encodable, CodingKeyRepresentable {
    var name: String
    var id: Int
    var codingKey: any CodingKey { JSONCodingKey(stringValue: name) }
    init?<T: CodingKey>(codingKey: T) { nil }
    init(name: String, id: Int) {
        self.name = name
        self.id = id
    }
}

/// Writes into a nested container after its parent moved on (Foundation allows it).
struct OutOfOrder: Encodable {
    enum Keys: String, CodingKey { case a, b }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var nested = container.nestedUnkeyedContainer(forKey: .a)
        try nested.encode(1)
        try container.encode(2, forKey: .b)
        try nested.encode(3)
    }
}

/// Fills a super encoder after its container moved on.
struct LateSuperEncoder: Encodable {
    enum Keys: String, CodingKey { case a, b }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        let later = container.superEncoder(forKey: .a)
        try container.encode(2, forKey: .b)
        try "late".encode(to: later)
    }
}

/// Catches the encoder's error around a `Date` and carries on.
struct Swallowing: Encodable {
    enum Keys: String, CodingKey { case date, after }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try? container.encode(JSONFallbackTests.date, forKey: .date)
        try container.encode(1, forKey: .after)
    }
}

struct Refusal: Error {}

/// Throws its own error, after a `Date` when `afterDate`.
struct Refusing: Encodable {
    var afterDate = false
    enum Keys: String, CodingKey { case date }
    func encode(to encoder: any Encoder) throws {
        if afterDate {
            var container = encoder.container(keyedBy: Keys.self)
            try? container.encode(JSONFallbackTests.date, forKey: .date)
        }
        throw Refusal()
    }
}

/// Catches the errors of nested values that failed half-way: Foundation leaves them out.
struct Forgiving: Encodable {
    enum Keys: String, CodingKey { case failed, list, after }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try? container.encode(HalfWritten(), forKey: .failed)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        try? list.encode(HalfWritten())
        try list.encode(1)
        try container.encode(2, forKey: .after)
    }
}

/// Writes a member, then throws.
struct HalfWritten: Encodable {
    enum Keys: String, CodingKey { case partial }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(1, forKey: .partial)
        throw Refusal()
    }
}
