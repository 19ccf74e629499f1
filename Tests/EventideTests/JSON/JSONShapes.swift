import Foundation

// Value shapes for the differential tests: synthesized conformances and hand-written
// `encode(to:)` that use every container operation.

struct Message: Codable, Equatable {
    var message: String
}

struct Point: Codable {
    var x: Int
    var y: Int
}

struct Profile: Encodable {
    var name = "Ada"
    var age = 36
    var score = 97.5
    var admin = false
    var nickname: String? = nil
    var email: String? = "ada@example.com"
    var tags = ["math", "engines"]
    var home = Point(x: 1, y: -2)
    var visits: [Point] = [Point(x: 0, y: 0), Point(x: 3, y: 4)]
    var ratings = ["b": 2, "a": 1]
    var grid = [[1, 2], [], [3]]
    var nothing: [Int] = []
    var noMap: [String: Int] = [:]
    var color = Color.green
    var level = Level.high
    var shape = Shape.rect(width: 2, height: 3)
}

enum Color: String, Codable {
    case red
    case green = "GREEN"
}

enum Level: Int, Codable {
    case low = 1
    case high = 10
}

/// Synthesized enum conformance: nested keyed containers, `_0` keys, an empty object.
enum Shape: Encodable {
    case circle(radius: Double)
    case rect(width: Int, height: Int)
    case labeled(String, Int)
    case point
}

/// A struct without properties (synthesized: an empty keyed container).
struct Empty: Encodable {}

/// Encodes nothing at all: `{}` wherever it is nested.
struct Silent: Encodable {
    func encode(to encoder: any Encoder) throws {}
}

/// One value through the single-value container's generic `encode`.
struct Wrapper<Wrapped: Encodable>: Encodable {
    var wrapped: Wrapped
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrapped)
    }
}

/// Every keyed-container operation: nested keyed and unkeyed containers (from keyed and
/// unkeyed ones), `superEncoder()`, `superEncoder(forKey:)`, `encodeNil`, `encodeIfPresent`,
/// `encode(contentsOf:)` and `encodeConditional`.
struct Containers: Encodable {
    enum Keys: String, CodingKey {
        case first, nested, list, absent, null, deep, sup, conditional, after
    }
    enum InnerKeys: String, CodingKey {
        case a, b, c
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode("one", forKey: .first)
        var nested = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .nested)
        try nested.encode(1, forKey: .a)
        var nestedList = nested.nestedUnkeyedContainer(forKey: .b)
        try nestedList.encode("x")
        try nestedList.encodeNil()
        var listInList = nestedList.nestedUnkeyedContainer()
        try listInList.encode(contentsOf: [1.5, 2.5])
        var objectInList = nestedList.nestedContainer(keyedBy: InnerKeys.self)
        try objectInList.encode(true, forKey: .c)
        try nested.encode(Point(x: 5, y: 6), forKey: .c)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        try list.encode(Point(x: 7, y: 8))
        try Point(x: 9, y: 10).encode(to: list.superEncoder())
        try list.encode(Silent())
        try container.encodeIfPresent(nil as Int?, forKey: .absent)
        try container.encodeNil(forKey: .null)
        var deep = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .deep)
        var deeper = deep.nestedContainer(keyedBy: InnerKeys.self, forKey: .a)
        var deepest = deeper.nestedUnkeyedContainer(forKey: .b)
        try deepest.encode(Int8(-8))
        try Message(message: "super").encode(to: container.superEncoder())
        try "keyed super".encode(to: container.superEncoder(forKey: .sup))
        try container.encodeConditional(Node(name: "n"), forKey: .conditional)
        try container.encode([Int](), forKey: .after)
    }
}

final class Node: Encodable {
    let name: String
    init(name: String) { self.name = name }
}

/// A subclass encoding its superclass through `superEncoder()`.
class Animal: Encodable {
    var name = "Rex"
    var legs = 4
}

final class Dog: Animal {
    var breed = "collie"
    enum Keys: String, CodingKey { case breed }
    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(breed, forKey: .breed)
        try super.encode(to: container.superEncoder())
    }
}

/// A subclass sharing its encoder with the superclass: one merged object.
final class Cat: Animal {
    var indoor = true
    enum Keys: String, CodingKey { case indoor }
    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(indoor, forKey: .indoor)
        try super.encode(to: encoder)
    }
}

/// Asks its encoder twice for the same kind of container: Foundation continues the first.
struct TwiceKeyed: Encodable {
    enum Keys: String, CodingKey { case a, b, c }
    func encode(to encoder: any Encoder) throws {
        var first = encoder.container(keyedBy: Keys.self)
        try first.encode(1, forKey: .a)
        var nested = first.nestedUnkeyedContainer(forKey: .b)
        try nested.encode(2)
        var second = encoder.container(keyedBy: Keys.self)
        try second.encode(3, forKey: .c)
    }
}

struct TwiceUnkeyed: Encodable {
    func encode(to encoder: any Encoder) throws {
        var first = encoder.unkeyedContainer()
        try first.encode(1)
        var second = encoder.unkeyedContainer()
        try second.encode(2)
        try first.encode(3)
    }
}

/// Keys that need escaping, and whose sorted order changes when escaped.
let awkwardKeys: [String: Int] = [
    "a\"": 1, "a#": 2, "/": 3, "\u{1}": 4, "é": 5, "Z": 6, "": 7, "a": 8, "ab": 9, "a\\": 10, "a/": 11, "a.": 12,
    "\u{1f}": 13, "\n": 14, "~": 15, "\u{7f}": 16, "😀": 17, "\u{2028}": 18,
]

/// Nested `depth` arrays around an empty one.
indirect enum Nesting: Encodable {
    case leaf
    case array(Nesting)
    case object(Nesting)

    init(depth: Int, objects: Bool) {
        self = .leaf
        for level in 0..<depth { self = objects && level % 2 == 0 ? .object(self) : .array(self) }
    }

    enum Keys: String, CodingKey { case inner }
    func encode(to encoder: any Encoder) throws {
        switch self {
        case .leaf:
            var container = encoder.singleValueContainer()
            try container.encode(0)
        case .array(let inner):
            var container = encoder.unkeyedContainer()
            try container.encode(inner)
        case .object(let inner):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(inner, forKey: .inner)
        }
    }
}
